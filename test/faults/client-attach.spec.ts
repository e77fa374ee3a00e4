import * as assert from 'assert'
import { CheckpointStore, migrate, PgDatabase, StreamerClient, StreamRow, Streamer } from '../../core'
import { createSourceTable, insertRows, sourceStreamer } from '../support/source-table'
import { eventually, uniqueSchema } from '../support/databases'
import { faultyPostgres } from '../support/faulty-postgres'
import { ProcessErrors } from '../support/process-errors'

/**
 * Issue 17, point 2 (checkpoint reads): a client that attaches while the database is away reads
 * its checkpoint again, with backoff, instead of failing; it says so once (phase 'retrying', with
 * the reason) and starts after its stored checkpoint once the database is back.
 */
describe('a streamer client attaching while the database is away [postgres]', () => {
  let db: PgDatabase | undefined
  let recorded: ProcessErrors | undefined
  const schema = uniqueSchema('att')
  const closers: Array<() => Promise<void>> = []
  const faulty = faultyPostgres({
    setUp: async pg => {
      db = await PgDatabase.open({ connectionString: pg.url, max: 4, connectionTimeoutMillis: 2000, onError: () => {} })
      await migrate(db, schema)
      const table = await createSourceTable(db, schema)
      await insertRows(db, table, Array.from({ length: 10 }, (_, i) => ({ sym: 'VOD', qty: i + 1 })))
    },
    tearDown: async () => { await db?.close() }
  })
  beforeEach(() => { recorded = new ProcessErrors() })
  afterEach(async function () {
    this.timeout(30000)
    for (const close of closers.splice(0).reverse()) await close().catch(() => {})
    recorded?.stop()
    assert.deepStrictEqual(recorded?.errors, [], 'nothing reached the process as an uncaught error')
  })

  /** A client named `name` whose checkpoint says "after row 4", and the streamer it will attach to. */
  type Prepared = { c: StreamerClient, s: Streamer, got: StreamRow[], phases: string[] }
  async function prepared (name: string): Promise<Prepared> {
    const store = new CheckpointStore(db!, schema)
    await store.savePosition(name, 'test-stream', ['4'])
    const got: StreamRow[] = []
    const phases: string[] = []
    const c = new StreamerClient({
      name,
      replayable: true,
      store,
      prepare: row => ({ action: 'send', send: () => got.push(row), confirmed: true }),
      onState: st => phases.push(st.error !== undefined ? `${st.phase}: ${st.error}` : st.phase)
    })
    const s = sourceStreamer(db!, schema, { retryMaxMs: 500 })
    closers.push(async () => await s.close(), async () => await c.close())
    return { c, s, got, phases }
  }

  for (const fault of ['server stopped', 'connections refused at the proxy'] as const) {
    it(`reads its checkpoint once the database is back (${fault}) and streams from after it`, async function () {
      this.timeout(90000)
      const server = faulty.pg
      const { c, s, got, phases } = await prepared(`attach-${fault.split(' ')[0]}`)
      server.proxy.cut() // idle pooled connections would otherwise answer the first read
      if (fault === 'server stopped') server.server.down('fast')
      else server.proxy.refuse()
      let attached = false
      let failed: unknown
      const attaching = c.attach(s).then(() => { attached = true }, err => { failed = err })
      try {
        await eventually(() => c.phase === 'retrying' || failed !== undefined, 20000, 'the client waiting')
        assert.strictEqual(failed, undefined, `the attach failed: ${String(failed)}`)
        await new Promise(resolve => setTimeout(resolve, 1500)) // several tries, still one state change
        assert.strictEqual(phases.filter(p => p.startsWith('retrying')).length, 1, `said once: ${phases.join(' | ')}`)
        assert.strictEqual(attached, false)
      } finally {
        if (fault === 'server stopped') server.server.up()
        else server.proxy.accept()
      }
      await attaching
      assert.strictEqual(failed, undefined, `the attach failed: ${String(failed)}`)
      await eventually(() => got.length === 6, 30000, 'rows 5..10')
      assert.deepStrictEqual(got.map(r => Number(r.position[0])), [5, 6, 7, 8, 9, 10])
      assert.ok(['live', 'replaying'].includes(c.phase), c.phase)
    })
  }

  it('close() ends the wait for the database at once', async function () {
    this.timeout(60000)
    const server = faulty.pg
    const { c, s } = await prepared('attach-close')
    server.proxy.cut()
    server.proxy.refuse()
    try {
      let failed: unknown
      const attaching = c.attach(s).catch(err => { failed = err })
      await eventually(() => c.phase === 'retrying', 20000, 'the client waiting')
      const t0 = Date.now()
      await c.close()
      await attaching
      assert.ok(Date.now() - t0 < 3000, `close took ${Date.now() - t0} ms`)
      assert.strictEqual(failed, undefined)
    } finally {
      server.proxy.accept()
    }
  })
})
