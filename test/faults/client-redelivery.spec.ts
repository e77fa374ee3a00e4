import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { PgliteDatabase } from '../../core'
import { helper, runtimeName, FlowNode } from '../support/node-red'
import { eventually, tempDir, uniqueSchema } from '../support/databases'
import { createSourceTable, insertRows, streamerNodeFields } from '../support/source-table'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import clientNode = require('../../nodes/streamer-client/streamer-client')
import streamerNode = require('../../nodes/audit-streamer/audit-streamer')
import sqlNode = require('../../nodes/streamer-sql/streamer-sql')

const nodes = [databaseNode, streamerNode, clientNode, sqlNode]

/**
 * Point 3 of issue 17: a client never freezes silently. The target (streamer-sql) fails a row with
 * a permanent error (a foreign key to a parent row that is not there yet); a Catch node wires the
 * failure back to the client, which sends the unconfirmed rows again in order, marked as replays,
 * without a restart; after N failures it skips the row or stops before it, as configured.
 */
describe(`streamer-client redelivers rows its target failed [pglite] (${runtimeName})`, function () {
  this.timeout(60000)
  const schema = uniqueSchema('rd')
  let template: string
  let dataDir: string

  before(async function () {
    this.timeout(60000)
    template = path.join(tempDir(), 'pg')
    const db = await PgliteDatabase.open({ dataDir: template })
    await createSourceTable(db, schema)
    await db.query(`CREATE TABLE "${schema}".parent (sym text PRIMARY KEY)`)
    await db.query(`INSERT INTO "${schema}".parent VALUES ('OK')`)
    await db.query(
      `CREATE TABLE "${schema}".sink (qty int PRIMARY KEY, sym text NOT NULL REFERENCES "${schema}".parent (sym))`
    )
    await db.close()
  })
  after(() => { fs.rmSync(path.dirname(template), { recursive: true, force: true }) })
  beforeEach(async () => {
    dataDir = tempDir()
    fs.cpSync(template, path.join(dataDir, 'pg'), { recursive: true })
    await helper.startServer()
  })
  afterEach(async () => {
    await helper.unload()
    await helper.stopServer()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  function flow (client: Partial<FlowNode> = {}): FlowNode[] {
    return [
      { id: 'db', type: 'streamer-database', mode: 'embedded', dataDir: path.join(dataDir, 'pg'), schema },
      {
        id: 's1',
        type: 'audit-streamer',
        database: 'db',
        stream: 'src',
        ...streamerNodeFields(schema),
        start: 'beginning',
        wires: [[]]
      },
      {
        id: 'c1',
        type: 'streamer-client',
        database: 'db',
        clientName: 'sink-writer',
        replayable: true,
        filter: '',
        mappings: [],
        payload: '',
        routeMode: 'single',
        routes: [],
        inFlight: 50,
        confirmMode: 'target',
        terminateOnError: false,
        wires: [['t1'], ['herr']],
        ...client
      },
      // The target: stores each row; its output confirms, its failures come back through the Catch node.
      {
        id: 't1',
        type: 'streamer-sql',
        database: 'db',
        sql: `INSERT INTO "${schema}".sink (qty, sym) VALUES ($1, $2) ON CONFLICT (qty) DO NOTHING`,
        params: [
          { v: 'payload.qty', vt: 'msg' },
          { v: 'payload.sym', vt: 'msg' }
        ],
        wires: [['c1', 'done']]
      },
      { id: 'k1', type: 'catch', scope: ['t1'], uncaught: false, wires: [['c1', 'caught']] },
      { id: 'done', type: 'helper' },
      { id: 'caught', type: 'helper' },
      { id: 'herr', type: 'helper' }
    ]
  }
  function collect (id: string): any[] {
    const got: any[] = []
    helper.getNode(id).on('input', (msg: any) => got.push(msg))
    return got
  }
  async function start (
    client: Partial<FlowNode> = {}
  ): Promise<{ db: PgliteDatabase; done: any[]; caught: any[]; errors: any[] }> {
    // The streamer's own output is not wired: the client subscribes to it.
    const f = flow(client)
    ;(f[1] as any).wires = [['c1']]
    await helper.load(nodes, f)
    const db = await (helper.getNode('db') as any).acquire()
    const out = { db, done: collect('done'), caught: collect('caught'), errors: collect('herr') }
    await eventually(
      () => (helper.getNode('s1') as any)?.stream?.subscriptions?.length > 0,
      15000,
      'the client subscribed'
    )
    // Row 4 needs a parent row that does not exist yet: the target fails it.
    await insertRows(
      db,
      `"${schema}".src`,
      Array.from({ length: 10 }, (_, i) => ({ sym: i + 1 === 4 ? 'LATE' : 'OK', qty: i + 1 }))
    )
    return out
  }
  const stored = async (db: PgliteDatabase): Promise<number[]> =>
    (await db.query<{ qty: number }>(`SELECT qty FROM "${schema}".sink ORDER BY qty`)).rows.map(r => r.qty)

  it('sends the failed row and those after it again, in order and marked as replays, once the ' +
    'target can take it; no restart', async () => {
    const { db, done, caught } = await start()
    await eventually(() => caught.length >= 1, 15000, 'the target failed row 4')
    const firstDone = done.length
    await db.query(`INSERT INTO "${schema}".parent VALUES ('LATE')`)
    const redelivered = (): boolean => done.some(m => m.stream.position[0] === '4')
    await eventually(redelivered, 15000, 'row 4 redelivered and stored').catch(err => {
      const c1 = helper.getNode('c1') as any
      throw new Error(
        `${(err as Error).message}: ${JSON.stringify(c1.stats())} ${JSON.stringify(
          c1.status
            .getCalls()
            .slice(-3)
            .map((c: any) => c.args[0])
        )} ${JSON.stringify(c1.warn.getCalls().map((c: any) => c.args[0]))} caught ${caught.length}`
      )
    })
    await eventually(async () => (await stored(db)).length === 10, 15000, 'all 10 rows stored')
    const again = done.slice(firstDone)
    assert.ok(
      again.length >= 1 && again.every(m => m.stream.replay === true),
      'redelivered messages carry msg.stream.replay'
    )
    const order = again.map(m => Number(m.stream.position[0]))
    assert.deepStrictEqual(order, [...order].sort((a, b) => a - b), 'redelivered in stream order')
    assert.strictEqual(order[0], 4, 'from the failed row on')
    const c1 = helper.getNode('c1') as any
    await eventually(
      () => c1.stats().checkpoint?.[0] === '10' && c1.stats().inFlight === 0,
      10000,
      'checkpoint past every row'
    )
    assert.strictEqual(c1.stats().failed, 0)
  })

  it('after the set number of failures stops before the row, red status naming it, checkpoint held', async () => {
    const { db, errors } = await start({ maxAttempts: 3 })
    const c1 = helper.getNode('c1') as any
    await eventually(() => c1.stats().phase === 'stopped', 30000, 'the client stopped')
    assert.deepStrictEqual(c1.stats().checkpoint, ['3'], 'checkpoint before row 4')
    assert.strictEqual(c1.stats().failed, 1)
    await eventually(() => errors.length > 0, 5000, 'the error output')
    assert.deepStrictEqual(errors.map(m => m.payload.qty), [4], 'row 4 on the error output')
    const calls = c1.status.getCalls()
    const last = calls[calls.length - 1].args[0]
    assert.strictEqual(last.fill, 'red')
    assert.match(last.text, /row \[4\] failed 3 times/)
    const s = await stored(db)
    assert.ok([1, 2, 3].every(q => s.includes(q)) && !s.includes(4), `rows before 4 stored, 4 not: ${s.join(',')}`)
  })

  it('with skip after N failures moves past the row, counts it failed and streams on', async () => {
    const { db, errors } = await start({ maxAttempts: 2, skipFailed: true })
    const c1 = helper.getNode('c1') as any
    await eventually(
      () => c1.stats().checkpoint?.[0] === '10' && c1.stats().inFlight === 0,
      30000,
      'checkpoint past every row'
    )
    assert.strictEqual(c1.stats().failed, 1)
    await eventually(() => errors.length > 0, 5000, 'the error output')
    assert.deepStrictEqual(errors.map(m => m.payload.qty), [4])
    assert.deepStrictEqual(await stored(db), [1, 2, 3, 5, 6, 7, 8, 9, 10])
    await eventually(
      () => /1 failed/.test(c1.status.getCalls().slice(-1)[0].args[0].text),
      5000,
      'the status counts the failed row'
    )
  })
})
