import * as assert from 'assert'
import {
  CheckpointStore,
  Disposition,
  FLUSH_WINDOW,
  StartAt,
  Streamer,
  StreamerClient,
  StreamerClientOptions,
  StreamerOptions,
  StreamRow
} from '../../../core'
import { describeEachDatabase, eventually } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'
import { createSourceTable, insertRows, sourceStreamer } from '../../support/source-table'

function rows (n: number, sym = 'VOD'): Array<{ sym: string, qty: number }> {
  return Array.from({ length: n }, (_, i) => ({ sym, qty: i + 1 }))
}

describeEachDatabase('streamer client core', target => {
  let table: string
  let store: CheckpointStore
  const clients: StreamerClient[] = []
  const f = schemaFixture(target, {
    prefix: 'cl',
    migrate: true,
    setup: async (db, schema) => {
      table = await createSourceTable(db, schema)
      store = new CheckpointStore(db, schema)
      // The clients first, then the streamers they read.
      f.closing.push({ close: async () => { for (const c of clients.splice(0)) await c.close().catch(() => {}) } })
    }
  })

  /** The real streamer over <schema>.src (positions ['id']). */
  function stream (options: Partial<StreamerOptions> = {}): Streamer {
    const s = sourceStreamer(f.db, f.schema, options)
    f.closing.push(s)
    return s
  }

  /** A client whose target records what it got; confirmations are left to the test. */
  function client (
    name: string,
    opts: Partial<StreamerClientOptions> & { filter?: (r: StreamRow) => boolean } = {}
  ): { c: StreamerClient; got: StreamRow[] } {
    const got: StreamRow[] = []
    const c = new StreamerClient({
      name,
      replayable: true,
      store,
      checkpointEvery: 1000,
      checkpointIntervalMs: 60000,
      prepare: (row): Disposition =>
        opts.filter !== undefined && !opts.filter(row)
          ? { action: 'skip' }
          : { action: 'send', send: () => got.push(row) },
      ...opts
    })
    clients.push(c)
    return { c, got }
  }

  const ids = (got: StreamRow[]): number[] => got.map(r => Number(r.position[0]))
  const stored = async (name: string): Promise<StartAt | undefined> => (await store.load(name))?.start

  it('stores checkpoints: position, pending start, delete, and the stream they belong to', async () => {
    assert.strictEqual(await store.load('a'), undefined)
    await store.savePosition('a', 's1', ['7', '12'])
    assert.deepStrictEqual(await stored('a'), { kind: 'after', position: ['7', '12'] })
    await store.saveStart('a', 's1', { kind: 'timestamp', at: '2024-01-01T00:00:00Z' })
    assert.deepStrictEqual(await stored('a'), { kind: 'timestamp', at: '2024-01-01T00:00:00Z' })
    await store.savePosition('a', 's1', ['8', '1'])
    const cp = await store.load('a')
    assert.deepStrictEqual([cp?.stream, cp?.start], ['s1', { kind: 'after', position: ['8', '1'] }])
    assert.strictEqual(await store.delete('a'), true)
    assert.strictEqual(await store.load('a'), undefined)
  })

  it('delivers in order and resumes after the confirmed checkpoint when restarted (continuity)', async () => {
    await insertRows(f.db, table, rows(30))
    const source = stream({ initialStart: { kind: 'beginning' }, batchSize: 7 })
    const first = client('c1', { inFlightLimit: 100 })
    await first.c.attach(source)
    await eventually(() => first.got.length === 30, 10000, '30 rows')
    assert.deepStrictEqual(ids(first.got), Array.from({ length: 30 }, (_, i) => i + 1))
    for (const r of first.got.slice(0, 20)) first.c.confirm(r.position)
    await first.c.close() // a clean stop writes the confirmed checkpoint
    assert.deepStrictEqual(await stored('c1'), { kind: 'after', position: ['20'] })

    await insertRows(f.db, table, rows(5))
    const second = client('c1', { inFlightLimit: 100 })
    await second.c.attach(source)
    await eventually(() => second.got.length === 15, 10000, '15 rows')
    assert.deepStrictEqual(
      ids(second.got),
      Array.from({ length: 15 }, (_, i) => i + 21),
      'the 10 unconfirmed rows come again, then the new ones'
    )
  })

  it('after a crash (no close, no flush) resumes from the last written checkpoint: nothing lost', async () => {
    await insertRows(f.db, table, rows(10))
    const source = stream({ initialStart: { kind: 'beginning' } })
    const first = client('crash', { checkpointEvery: 3, inFlightLimit: 100 })
    await first.c.attach(source)
    await eventually(() => first.got.length === 10)
    for (const r of first.got.slice(0, 6)) first.c.confirm(r.position)
    // 6 advances, batches of 3: the newest confirmed position, 6, is written.
    await eventually(
      async () => JSON.stringify(await stored('crash')) === JSON.stringify({ kind: 'after', position: ['6'] }),
      5000,
      'checkpoint 6'
    )
    first.c.confirm(first.got[6].position) // confirmed, but its batch is not due yet
    await source.close() // the process "dies": the client never flushes (its window is 60 s here)
    clients.splice(clients.indexOf(first.c), 1)

    const second = client('crash', { inFlightLimit: 100 })
    await second.c.attach(stream())
    await eventually(() => second.got.length === 4)
    assert.deepStrictEqual(ids(second.got), [7, 8, 9, 10], 'resumes from the oldest row not known confirmed')
    clients.push(first.c) // the "dead" client is closed after the test, not left with a timer
  })

  it('writes the confirmed checkpoint within the flush window (200 ms or 500 rows) without a close', async () => {
    await f.db.query(`INSERT INTO ${table} (sym, qty) SELECT 'VOD', g FROM generate_series(1, 1000) g`)
    assert.deepStrictEqual(FLUSH_WINDOW, { rows: 500, ms: 200 })
    // Time: the default window writes a few confirmations shortly after they came.
    const timed = client('timed', { checkpointEvery: undefined, checkpointIntervalMs: undefined, inFlightLimit: 10 })
    await timed.c.attach(stream({ initialStart: { kind: 'beginning' } }))
    await eventually(() => timed.got.length === 10)
    for (const r of timed.got.slice(0, 3)) timed.c.confirm(r.position)
    await eventually(
      async () => JSON.stringify(await stored('timed')) === '{"kind":"after","position":["3"]}',
      5000,
      'checkpoint 3 written by the timer'
    )

    // Rows: with the timer out of the way, the 500th confirmed row triggers the write.
    const counted = client('counted', { checkpointEvery: undefined, checkpointIntervalMs: 60000, inFlightLimit: 1000 })
    await counted.c.attach(stream({ initialStart: { kind: 'beginning' }, batchSize: 1000 }))
    await eventually(() => counted.got.length === 1000, 10000, '1000 rows')
    const writes = counted.c.checkpointWrites
    for (const r of counted.got.slice(0, 499)) counted.c.confirm(r.position)
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.strictEqual(counted.c.checkpointWrites, writes, '499 rows: not yet')
    assert.deepStrictEqual(await stored('counted'), { kind: 'beginning' })
    counted.c.confirm(counted.got[499].position)
    // Wait on the writer's count, not on the row: the row is visible to other connections as soon as it
    // commits, a moment before the writer hears back and counts the write.
    await eventually(() => counted.c.checkpointWrites > writes, 5000, 'a checkpoint write')
    assert.deepStrictEqual(await stored('counted'), { kind: 'after', position: ['500'] })
    assert.strictEqual(counted.c.checkpointWrites, writes + 1)
  })

  it('reports its lag exactly: rows after the last one handed on, through the ' +
    'streamer filter, up to a limit', async () => {
    await insertRows(f.db, table, rows(20))
    const source = stream({ initialStart: { kind: 'beginning' }, filter: 'qty <> 3', batchSize: 5 })
    const { c, got } = client('lag', { inFlightLimit: 5 })
    assert.strictEqual(await c.lag(), undefined, 'not attached')
    await c.attach(source)
    await eventually(() => got.length === 5)
    assert.deepStrictEqual(ids(got), [1, 2, 4, 5, 6])
    assert.strictEqual(await c.lag(), 14, 'rows 7-20 are behind')
    assert.strictEqual(await c.lag(10), 10, 'counting stops at the limit')
    const confirmAll = (): void => {
      for (const r of got) c.confirm(r.position)
    }
    await eventually(
      () => {
        confirmAll()
        return got.length === 19
      },
      10000,
      'all rows'
    )
    assert.strictEqual(await c.lag(), 0)
    await insertRows(f.db, table, rows(2))
    await eventually(
      () => {
        confirmAll()
        return got.length === 21
      },
      10000,
      'the new rows'
    )
    assert.strictEqual(await c.lag(), 0)
  })

  it('never writes a checkpoint past an unconfirmed row, whatever the confirmation order', async () => {
    await insertRows(f.db, table, rows(6))
    const source = stream({ initialStart: { kind: 'beginning' } })
    const { c, got } = client('order', { checkpointEvery: 1 })
    await c.attach(source)
    await eventually(() => got.length === 6)
    for (const id of ['6', '5', '3', '2']) c.confirm([id])
    await c.flush()
    assert.deepStrictEqual(await stored('order'), { kind: 'beginning' }, 'row 1 still open: nothing claimed')
    c.confirm(['1'])
    await c.flush()
    assert.deepStrictEqual(await stored('order'), { kind: 'after', position: ['3'] }, 'stops before open row 4')
    c.confirm(['4'])
    await c.flush()
    assert.deepStrictEqual(await stored('order'), { kind: 'after', position: ['6'] })
  })

  it('batches checkpoint writes instead of one per row', async () => {
    await insertRows(f.db, table, rows(250))
    const { c, got } = client('batch', { checkpointEvery: 100, inFlightLimit: 1000 })
    await c.attach(stream({ initialStart: { kind: 'beginning' }, batchSize: 250 }))
    await eventually(() => got.length === 250)
    const before = c.checkpointWrites // the first start
    for (const r of got) c.confirm(r.position)
    await c.close()
    assert.ok(c.checkpointWrites - before <= 3, `${c.checkpointWrites - before} writes for 250 confirmations`)
    assert.deepStrictEqual(await stored('batch'), { kind: 'after', position: ['250'] })
  })

  it('pauses at the in-flight limit: the streamer holds further rows until confirmations free room', async () => {
    await insertRows(f.db, table, rows(40))
    const source = stream({ initialStart: { kind: 'beginning' }, batchSize: 5 })
    const { c, got } = client('window', { inFlightLimit: 4 })
    await c.attach(source)
    await eventually(() => got.length === 4)
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.strictEqual(got.length, 4, 'no fifth row while four are unconfirmed')
    assert.strictEqual(c.stats().inFlight, 4)
    // The streamer's subscription has not been able to hand over its first batch of 5 rows, so
    // it reads nothing more for this client: its accepted position is still the start.
    assert.deepStrictEqual(
      source.subscriptions.map(x => x.position),
      [undefined],
      'the streamer is held at the first batch'
    )
    c.confirm(got[1].position)
    await eventually(() => got.length === 5)
    await eventually(
      () => JSON.stringify(source.subscriptions.map(x => x.position)) === '[["5"]]',
      5000,
      'first batch taken, second held'
    )
    await new Promise(resolve => setTimeout(resolve, 100))
    assert.strictEqual(got.length, 5)
    assert.deepStrictEqual(source.subscriptions.map(x => x.position), [['5']], 'the second batch is held at row 6')
    for (let i = 0; i < 40; i++) if (got[i] !== undefined) c.confirm(got[i].position)
    await eventually(() => { for (const r of got) c.confirm(r.position); return got.length === 40 }, 10000, 'all rows')
  })

  it('two clients on one streamer keep their own filters and checkpoints', async () => {
    await insertRows(f.db, table, [...rows(5, 'VOD'), ...rows(5, 'BARC')])
    const source = stream({ initialStart: { kind: 'beginning' } })
    const vod = client('vod', { filter: r => r.row.sym === 'VOD', checkpointEvery: 1 })
    const barc = client('barc', { filter: r => r.row.sym === 'BARC', checkpointEvery: 1 })
    await vod.c.attach(source)
    await barc.c.attach(source)
    await eventually(() => vod.got.length === 5 && barc.got.length === 5)
    assert.ok(vod.got.every(r => r.row.sym === 'VOD'))
    assert.ok(barc.got.every(r => r.row.sym === 'BARC'))
    for (const r of vod.got) vod.c.confirm(r.position)
    barc.c.confirm(barc.got[0].position)
    await vod.c.flush()
    await barc.c.flush()
    assert.deepStrictEqual(
      await stored('vod'),
      { kind: 'after', position: ['10'] },
      'the filtered BARC rows count as confirmed'
    )
    assert.deepStrictEqual(await stored('barc'), { kind: 'after', position: ['6'] })
  })

  it('a filtered-out row counts as confirmed; a rejected row goes on; a stop holds ' +
    'the checkpoint before the row', async () => {
    await insertRows(f.db, table, rows(5))
    const reported: string[] = []
    const got: StreamRow[] = []
    const c = new StreamerClient({
      name: 'errs',
      replayable: true,
      store,
      checkpointEvery: 1,
      prepare: (row): Disposition => {
        const q = row.row.qty as number
        if (q === 2) return { action: 'reject', report: () => reported.push(`reject ${q}`) }
        if (q === 4) return { action: 'stop', error: new Error('bad row 4'), report: () => reported.push(`stop ${q}`) }
        return { action: 'send', send: () => got.push(row), confirmed: true }
      }
    })
    clients.push(c)
    await c.attach(stream({ initialStart: { kind: 'beginning' } }))
    await eventually(() => c.phase === 'stopped')
    assert.deepStrictEqual(reported, ['reject 2', 'stop 4'])
    assert.deepStrictEqual(ids(got), [1, 3])
    await c.flush()
    assert.deepStrictEqual(await stored('errs'), { kind: 'after', position: ['3'] }, 'row 4 is not passed')
    assert.strictEqual(c.stats().sent, 2)
  })

  it('rewinds to a position, a timestamp, the beginning and live, and commits the new start first', async () => {
    await insertRows(f.db, table, [
      { sym: 'A', qty: 1, at: '2024-01-01T00:00:00Z' },
      { sym: 'A', qty: 2, at: '2024-01-02T00:00:00Z' },
      { sym: 'A', qty: 3, at: '2024-01-03T00:00:00Z' },
      { sym: 'A', qty: 4, at: '2024-01-04T00:00:00Z' }
    ])
    const { c, got } = client('rw', { inFlightLimit: 100 })
    await c.attach(stream({ initialStart: { kind: 'beginning' } }))
    await eventually(() => got.length === 4)

    got.length = 0
    await c.rewind({ kind: 'after', position: ['2'] })
    assert.deepStrictEqual(await stored('rw'), { kind: 'after', position: ['2'] })
    await eventually(() => got.length === 2)
    assert.deepStrictEqual(ids(got), [3, 4])
    assert.strictEqual(c.confirm(['1']), false, 'rows from before the rewind no longer count')

    got.length = 0
    await c.rewind({ kind: 'timestamp', at: '2024-01-02T00:00:00Z' })
    assert.deepStrictEqual(await stored('rw'), { kind: 'timestamp', at: '2024-01-02T00:00:00Z' })
    await eventually(() => got.length === 3)
    assert.deepStrictEqual(ids(got), [2, 3, 4])

    got.length = 0
    await c.rewind({ kind: 'live' })
    assert.deepStrictEqual(
      await stored('rw'),
      { kind: 'after', position: ['4'] },
      'live is stored as "after the head now"'
    )
    await insertRows(f.db, table, rows(1))
    await eventually(() => got.length === 1)
    assert.deepStrictEqual(ids(got), [5])

    got.length = 0
    await c.rewind({ kind: 'beginning' })
    await eventually(() => got.length === 5)
    assert.deepStrictEqual(ids(got), [1, 2, 3, 4, 5])

    got.length = 0
    await c.reset() // the streamer's setting: beginning
    await eventually(() => got.length === 5)
  })

  it('a new client starts where the streamer says, and stores it so a crash cannot skip rows', async () => {
    await insertRows(f.db, table, rows(3))
    const { c, got } = client('fresh')
    await c.attach(stream()) // no initialStart: live
    assert.deepStrictEqual(await stored('fresh'), { kind: 'after', position: ['3'] })
    await insertRows(f.db, table, rows(2))
    await eventually(() => got.length === 2)
    assert.deepStrictEqual(ids(got), [4, 5])
  })

  it('refuses a checkpoint that belongs to another stream, naming both', async () => {
    await store.savePosition('taken', 'other-stream', ['1'])
    const { c } = client('taken')
    await assert.rejects(
      c.attach(stream({ name: 'mine' })),
      /"taken" holds a checkpoint of stream "other-stream", not "mine"/
    )
    assert.strictEqual(c.phase, 'failed')
  })

  it('not replayable: live only, no checkpoint row', async () => {
    await insertRows(f.db, table, rows(3))
    const { c, got } = client('live-only', { replayable: false, store: undefined })
    await c.attach(stream({ initialStart: { kind: 'beginning' } }))
    await eventually(() => c.phase === 'live', 10000, 'live (at the head, whatever the streamer setting)')
    await insertRows(f.db, table, rows(1))
    await eventually(() => got.length === 1)
    assert.deepStrictEqual(ids(got), [4])
    c.confirm(got[0].position)
    await c.close()
    assert.strictEqual(await store.load('live-only'), undefined)
  })

  it('re-attaches to a redeployed streamer without losing or repeating rows', async () => {
    await insertRows(f.db, table, rows(3))
    const first = stream({ initialStart: { kind: 'beginning' } })
    const { c, got } = client('re', { inFlightLimit: 100 })
    await c.attach(first)
    await eventually(() => got.length === 3)
    await first.close() // a redeployed streamer closes its subscriptions
    await eventually(() => c.phase === 'detached')
    await insertRows(f.db, table, rows(2))
    await c.attach(stream())
    await eventually(() => got.length === 5)
    assert.deepStrictEqual(ids(got), [1, 2, 3, 4, 5])
    for (const r of got) {
      assert.strictEqual(c.confirm(r.position), true, 'rows sent before the redeploy are still ' +
      'tracked')
    }
  })
})
