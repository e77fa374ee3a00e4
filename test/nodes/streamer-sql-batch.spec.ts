import * as assert from 'assert'
import { helper, runtimeName } from '../support/node-red'
import { envForSuite } from '../support/env'
import { eventually, serverOptions, uniqueSchema } from '../support/databases'
import { tempDirPerSuite } from '../support/temp'
import { ensureAuditTable } from '../../core/stream/audit-table'
import type { Database } from '../../core'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import sqlNode = require('../../nodes/streamer-sql/streamer-sql')

const nodes = [databaseNode, sqlNode]

/**
 * Batch mode of streamer-sql. A test holds a lock on the table while it sends messages, so the
 * first transaction waits and the rest queue behind it: they must then be committed together.
 */
for (const target of ['pglite', 'postgres'] as const) {
  const server = serverOptions()
  const describeIf = target === 'postgres' && server === undefined ? describe.skip : describe

  describeIf(`streamer-sql node, batch mode [${target}] (${runtimeName})`, function () {
    this.timeout(60000)
    const schema = uniqueSchema('sqlb')
    const table = `${schema}_t`
    after(async () => {
      // A last flow only to drop what the tests created.
      await helper.startServer()
      await helper.load(nodes, flow('SELECT 1', []))
      const db = await helper.getNode('db1').acquire()
      await db.query(`DROP TABLE IF EXISTS ${table}, ${schema}_orders, ${schema}_orders_audit CASCADE`)
      await helper.unload()
      await helper.stopServer()
    })
    // Registered after the hook above, which still loads a flow on the data folder.
    const tempDir = tempDirPerSuite()
    const dbConfig = target === 'pglite'
      ? { mode: 'embedded', dataDir: tempDir() }
      : { mode: 'server', urlEnv: 'FIX_STREAMERS_SQL_TEST_URL', schema: `${schema}_pack` }
    const flow = (sql: string, params: unknown[], extra: Record<string, unknown> = {}): any[] => [
      { id: 'db1', type: 'streamer-database', ...dbConfig },
      { id: 'q1', type: 'streamer-sql', database: 'db1', sql, params, batch: 100, ...extra, wires: [['out']] },
      { id: 'out', type: 'helper' },
      { id: 'c1', type: 'catch', scope: ['q1'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' }
    ]
    const insert = `INSERT INTO ${table} (id, note) VALUES ($1, $2) RETURNING id, pg_current_xact_id()::text AS tx`
    const insertParams = [{ v: 'payload.id', vt: 'msg' }, { v: 'payload.note', vt: 'msg' }]

    /** Holds an exclusive lock on `table` until the returned release() is called. */
    async function holdLock (db: Database, name: string): Promise<() => Promise<void>> {
      let locked!: () => void
      let release!: () => void
      const isLocked = new Promise<void>(resolve => { locked = resolve })
      const gate = new Promise<void>(resolve => { release = resolve })
      const tx = db.transaction(async q => {
        await q.query(`LOCK TABLE ${name} IN EXCLUSIVE MODE`)
        locked()
        await gate
      })
      await isLocked
      return async () => {
        release()
        await tx
      }
    }

    async function collect (id: string, n: number): Promise<any[]> {
      const got: any[] = []
      helper.getNode(id).on('input', (m: any) => got.push(m))
      await eventually(() => got.length >= n, 30000, `${n} messages at ${id}`)
      return got
    }

    beforeEach(async () => { await helper.startServer() })
    afterEach(async () => {
      await helper.unload()
      await helper.stopServer()
    })
    // After the after hook at the top, which still loads a flow that reads the variable.
    envForSuite(() => ({ FIX_STREAMERS_SQL_TEST_URL: process.env.DATABASE_URL }))

    it('commits the messages queued behind a running transaction together, in order, ' +
      'each sent on after the commit', async () => {
      await helper.load(nodes, flow(insert, insertParams))
      const db: Database = await helper.getNode('db1').acquire()
      await db.query(`CREATE TABLE IF NOT EXISTS ${table} (id bigint PRIMARY KEY, note text)`)
      const release = await holdLock(db, table)
      const out = collect('out', 50)
      for (let i = 1; i <= 50; i++) helper.getNode('q1').receive({ payload: { id: i, note: `n${i}` }, topic: `m${i}` })
      await release()
      const got = await out
      assert.deepStrictEqual(
        got.map(m => m.topic),
        Array.from({ length: 50 }, (_, i) => `m${i + 1}`),
        'sent on in arrival order'
      )
      got.forEach((m, i) => {
        assert.strictEqual(m.rowCount, 1)
        assert.strictEqual(m.payload[0].id, String(i + 1), "each message gets its own statement's rows")
      })
      const txs = new Map<string, number>()
      for (const m of got) txs.set(m.payload[0].tx, (txs.get(m.payload[0].tx) ?? 0) + 1)
      assert.ok(txs.size < 50, `fewer transactions than messages (${txs.size})`)
      assert.ok(Math.max(...txs.values()) > 1, 'a transaction held several messages')
      const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE id BETWEEN 1 AND 50`)
      assert.strictEqual(rows.rows[0].n, 50)
    })

    it('a failing message gets its own catchable error; the others of its ' +
      'transaction are committed and sent on', async () => {
      await helper.load(nodes, flow(insert, insertParams))
      const db: Database = await helper.getNode('db1').acquire()
      await db.query(`CREATE TABLE IF NOT EXISTS ${table} (id bigint PRIMARY KEY, note text)`)
      await db.query(`INSERT INTO ${table} (id, note) VALUES (105, 'already there')`)
      const release = await holdLock(db, table)
      const out = collect('out', 9)
      const caught = collect('caught', 1)
      for (let i = 101; i <= 110; i++) {
        helper.getNode('q1').receive({ payload: { id: i, note: `n${i}` }, topic: `m${i}` })
      }
      await release()
      const [ok, errs] = await Promise.all([out, caught])
      assert.deepStrictEqual(
        ok.map(m => m.topic),
        ['m101', 'm102', 'm103', 'm104', 'm106', 'm107', 'm108', 'm109', 'm110']
      )
      assert.strictEqual(errs.length, 1)
      assert.strictEqual(errs[0].topic, 'm105')
      assert.match(errs[0].error.message, /SQL failed: .*duplicate key/)
      const rows = await db.query<{ id: string; note: string }>(
        `SELECT id, note FROM ${table} WHERE id BETWEEN 101 AND 110 ORDER BY id`
      )
      assert.deepStrictEqual(
        rows.rows.map(r => r.id),
        ['101', '102', '103', '104', '105', '106', '107', '108', '109', '110']
      )
      assert.strictEqual(
        rows.rows.find(r => r.id === '105')?.note,
        'already there',
        'the failing message changed nothing'
      )
      const calls = helper.getNode('q1').status.getCalls()
      assert.ok(
        calls.some((c: any) => c.args[0].fill === 'red'),
        'the status turned red'
      )
    })

    const setInsert = `INSERT INTO ${table} (id, note) SELECT v.id, v.note || ' (set)'
      FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS v (id, note, ord) ORDER BY v.ord
      RETURNING id, pg_current_xact_id()::text AS tx`

    it('runs the batch SQL once for the messages queued together, each parameter an array in message ' +
      'order, and sends each message on after that commit with the rows of the whole statement', async () => {
      await helper.load(nodes, flow(insert, insertParams, { batchSql: setInsert }))
      const db: Database = await helper.getNode('db1').acquire()
      await db.query(`CREATE TABLE IF NOT EXISTS ${table} (id bigint PRIMARY KEY, note text)`)
      const release = await holdLock(db, table)
      const out = collect('out', 30)
      for (let i = 201; i <= 230; i++) {
        helper.getNode('q1').receive({ payload: { id: i, note: `n${i}` }, topic: `m${i}` })
      }
      await release()
      const got = await out
      assert.deepStrictEqual(got.map(m => m.topic), Array.from({ length: 30 }, (_, i) => `m${i + 201}`))
      const rows = (await db.query<{ id: string, note: string }>(
        `SELECT id::text, note FROM ${table} WHERE id BETWEEN 201 AND 230 ORDER BY id`)).rows
      assert.strictEqual(rows.length, 30)
      const bySet = rows.filter(r => r.note.endsWith(' (set)'))
      assert.ok(bySet.length >= 2, `the messages queued behind the lock went in by the batch SQL (${bySet.length})`)
      for (const r of rows) assert.ok(r.note.startsWith(`n${r.id}`), `row ${r.id} has its own message's note`)
      // Every message of a set statement carries that statement's rows: all of its batch, one transaction.
      const setMsgs = got.filter(m => m.rowCount > 1)
      assert.strictEqual(setMsgs.length, bySet.length)
      for (const m of setMsgs) {
        assert.strictEqual(m.payload.length, m.rowCount)
        assert.strictEqual(new Set(m.payload.map((r: any) => r.tx)).size, 1, 'one statement, one transaction')
        assert.ok(m.payload.some((r: any) => r.id === m.topic.slice(1)), `${m.topic}'s own row is among them`)
      }
      assert.notStrictEqual(setMsgs[0].payload, setMsgs[1].payload, 'each message has its own array')
    })

    it('runs the messages one by one with SQL when the batch SQL fails, so only the failing message ' +
      'gets the error', async () => {
      await helper.load(nodes, flow(insert, insertParams, { batchSql: setInsert }))
      const db: Database = await helper.getNode('db1').acquire()
      await db.query(`CREATE TABLE IF NOT EXISTS ${table} (id bigint PRIMARY KEY, note text)`)
      await db.query(`INSERT INTO ${table} (id, note) VALUES (305, 'already there')`)
      const release = await holdLock(db, table)
      const out = collect('out', 9)
      const caught = collect('caught', 1)
      for (let i = 301; i <= 310; i++) {
        helper.getNode('q1').receive({ payload: { id: i, note: `n${i}` }, topic: `m${i}` })
      }
      await release()
      const [ok, errs] = await Promise.all([out, caught])
      assert.deepStrictEqual(ok.map(m => m.topic), ['m301', 'm302', 'm303', 'm304', 'm306', 'm307', 'm308', 'm309',
        'm310'])
      assert.deepStrictEqual(errs.map(m => m.topic), ['m305'])
      const rows = (await db.query<{ id: string, note: string }>(
        `SELECT id::text, note FROM ${table} WHERE id BETWEEN 301 AND 310 ORDER BY id`)).rows
      assert.deepStrictEqual(rows.map(r => r.note), ['n301', 'n302', 'n303', 'n304', 'already there', 'n306', 'n307',
        'n308', 'n309', 'n310'], 'the failed batch statement left nothing; each message ran on its own')
    })

    it('records each message\'s own audit event and reason, with none leaking into the next message', async () => {
      await helper.load(nodes, flow(`INSERT INTO ${schema}_orders (sym) VALUES ($1)`, [{ v: 'payload', vt: 'msg' }],
        { event: 'EVENT_ORDER_NEW', eventType: 'str', reason: 'topic', reasonType: 'msg' }))
      const db: Database = await helper.getNode('db1').acquire()
      await db.query(`CREATE TABLE IF NOT EXISTS ${schema}_orders (id serial PRIMARY KEY, sym text)`)
      await ensureAuditTable(db, { source: `${schema}_orders` })
      const release = await holdLock(db, `${schema}_orders`)
      const out = collect('out', 4)
      helper.getNode('q1').receive({ payload: 'A', topic: 'first' })
      helper.getNode('q1').receive({ payload: 'B', topic: 'second' })
      helper.getNode('q1').receive({ payload: 'C' }) // no reason
      helper.getNode('q1').receive({ payload: 'D', topic: 'fourth' })
      await release()
      await out
      const audit = await db.query(
        `SELECT audit_event_type, audit_event_text, sym FROM ${schema}_orders_audit ORDER BY audit_seq`
      )
      assert.deepStrictEqual(audit.rows, [
        { audit_event_type: 'EVENT_ORDER_NEW', audit_event_text: 'first', sym: 'A' },
        { audit_event_type: 'EVENT_ORDER_NEW', audit_event_text: 'second', sym: 'B' },
        { audit_event_type: 'EVENT_ORDER_NEW', audit_event_text: null, sym: 'C' },
        { audit_event_type: 'EVENT_ORDER_NEW', audit_event_text: 'fourth', sym: 'D' }
      ])
    })

    it('commits the messages it has taken before the database closes on redeploy', async () => {
      await helper.load(nodes, flow(insert, insertParams))
      let db: Database = await helper.getNode('db1').acquire()
      await db.query(`CREATE TABLE IF NOT EXISTS ${table} (id bigint PRIMARY KEY, note text)`)
      const release = await holdLock(db, table)
      for (let i = 201; i <= 230; i++) helper.getNode('q1').receive({ payload: { id: i, note: 'before close' } })
      const unloading = helper.unload()
      await release()
      await unloading
      await helper.load(nodes, flow('SELECT 1', []))
      db = await helper.getNode('db1').acquire()
      const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE id BETWEEN 201 AND 230`)
      assert.strictEqual(rows.rows[0].n, 30)
    })
  })
}
