import * as assert from 'assert'
import { CheckpointStore, Database, migrate, Streamer, StreamerClient, StreamRow, StreamSource } from '../../core'
import { Registry } from '../../nodes/shared/registry'
import { translator } from '../../nodes/shared/i18n'
import { SourceFollower } from '../../nodes/streamer-client/follower'
import { ClientRun } from '../../nodes/streamer-client/lifecycle'
import type { LogLine } from '../../nodes/streamer-client/observer'
import { describeEachDatabase, dropSchema, eventually, uniqueSchema } from '../support/databases'
import { createSourceTable, insertRows, sourceStreamer } from '../support/source-table'
import catalog = require('../../nodes/streamer-client/locales/en-US/streamer-client.json')

const t = translator({ _: (key: string) => key }, catalog)

describeEachDatabase('streamer-client run and follower', target => {
  let db: Database
  let schema: string
  let table: string
  const streamers: Streamer[] = []
  const runs: ClientRun[] = []

  before(async function () {
    this.timeout(60000)
    db = await target.open()
  })
  after(async () => await db.close())
  beforeEach(async () => {
    schema = uniqueSchema('run')
    await migrate(db, schema)
    table = await createSourceTable(db, schema)
  })
  afterEach(async () => {
    for (const r of runs.splice(0)) await r.close()
    for (const s of streamers.splice(0)) await s.close()
    await dropSchema(db, schema)
  })

  /**
   * A client run as the node wires it: the follower subscribes the client to streamer 's1' of
   * `registry` once the client exists; rows are confirmed when sent.
   */
  function wire (registry: Registry<StreamSource>, ha?: () => { instance: string, leaseMs: number, renewMs: number }): {
    run: ClientRun, follower: SourceFollower, got: StreamRow[], lines: LogLine[], failures: string[], standby: string[]
  } {
    const got: StreamRow[] = []
    const lines: LogLine[] = []
    const failures: string[] = []
    const standby: string[] = []
    const run: ClientRun = new ClientRun({
      makeClient: store => new StreamerClient({
        name: 'orders',
        replayable: true,
        store,
        checkpointEvery: 1,
        prepare: row => ({ action: 'send', send: () => got.push(row), confirmed: true })
      }),
      started: () => follower.follow(),
      stopped: () => follower.dropped(),
      standby: text => { if (text !== undefined) standby.push(text) },
      failed: text => failures.push(text),
      log: line => lines.push(line)
    }, t)
    const follower = new SourceFollower(registry, {
      client: () => run.closed ? undefined : run.client,
      attaching: () => {},
      failed: text => failures.push(text),
      wired: () => ['s1'],
      miswired: () => {}
    })
    runs.push(run)
    run.start(async () => db, schema, ha ?? (() => undefined), () => 'streamer-client:orders')
    return { run, follower, got, lines, failures, standby }
  }

  const streamer = (name?: string): Streamer => {
    const from = { initialStart: { kind: 'beginning' as const } }
    const s = sourceStreamer(db, schema, name === undefined ? from : { ...from, name })
    streamers.push(s)
    return s
  }

  it('makes the client once the database is open and subscribes it when the streamer starts', async () => {
    const registry = new Registry<StreamSource>()
    const { run, follower, got } = wire(registry)
    await eventually(() => run.client !== undefined)
    assert.strictEqual(follower.attached, false)
    await insertRows(db, table, [{ sym: 'A', qty: 1 }, { sym: 'B', qty: 2 }])
    registry.register('s1', streamer())
    await eventually(() => got.length === 2)
    assert.strictEqual(follower.attached, true)
    assert.strictEqual(follower.streamerId, 's1')
    await run.close()
    const stored = await new CheckpointStore(db, schema).load('orders')
    assert.deepStrictEqual(stored?.start, { kind: 'after', position: [got[1].position[0]] })
  })

  it('does not take again a stream that refused the subscription, but takes its replacement', async () => {
    const registry = new Registry<StreamSource>()
    const first = wire(registry)
    await insertRows(db, table, [{ sym: 'A', qty: 1 }])
    registry.register('s1', streamer())
    await eventually(() => first.got.length === 1)
    await first.run.close()
    // The checkpoint belongs to stream "test-stream": a stream of another name is refused.
    const second = wire(registry)
    const other = streamer('other-stream')
    registry.register('s1', other)
    await eventually(() => second.failures.length === 1)
    assert.match(second.failures[0], /holds a checkpoint of stream "test-stream"/)
    assert.strictEqual(second.follower.attached, false)
    second.follower.follow()
    registry.register('s1', other)
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.strictEqual(second.failures.length, 1)
    registry.register('s1', streamer())
    await eventually(() => second.follower.attached)
  })

  it('refuses a rewind before the client runs, and closes without one', async () => {
    const run = new ClientRun({
      makeClient: () => { throw new Error('not called') },
      started: () => {},
      stopped: () => {},
      standby: () => {},
      failed: () => {},
      log: () => {}
    }, t)
    await assert.rejects(run.rewind({ kind: 'beginning' }), { message: 'the client is not started yet' })
    await run.close()
    assert.strictEqual(run.closed, true)
  })

  it('says why lease settings cannot work, and runs no client', async () => {
    const bad = (): never => { throw new Error('leaseTime must exceed renewInterval') }
    const { run, failures, lines } = wire(new Registry(), bad)
    assert.deepStrictEqual(failures, ['leaseTime must exceed renewInterval'])
    assert.deepStrictEqual(lines, [{ level: 'error', text: 'leaseTime must exceed renewInterval' }])
    await new Promise(resolve => setTimeout(resolve, 100))
    assert.strictEqual(run.client, undefined)
  })

  it('runs the client under its lease, once this instance holds it, and says so', async () => {
    const registry = new Registry<StreamSource>()
    const { run, got, lines } = wire(registry, () => ({ instance: 'a', leaseMs: 1000, renewMs: 250 }))
    await eventually(() => run.client !== undefined)
    assert.match(lines[0].text, /^active on a \(lease token \d+\): streaming from the checkpoint$/)
    await insertRows(db, table, [{ sym: 'A', qty: 1 }])
    registry.register('s1', streamer())
    await eventually(() => got.length === 1)
    const held = await db.query(`SELECT holder FROM "${schema}".leases WHERE resource = 'streamer-client:orders'`)
    assert.strictEqual(held.rows[0]?.holder, 'a')
  })
})
