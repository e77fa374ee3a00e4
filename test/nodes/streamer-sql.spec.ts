import * as assert from 'assert'
import { helper, runtimeName } from '../support/node-red'
import { envForSuite } from '../support/env'
import { serverOptions, uniqueSchema } from '../support/databases'
import { tempDirPerSuite } from '../support/temp'
import { ensureAuditTable } from '../../core/stream/audit-table'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import sqlNode = require('../../nodes/streamer-sql/streamer-sql')

const nodes = [databaseNode, sqlNode]

for (const target of ['pglite', 'postgres'] as const) {
  const server = serverOptions()
  const describeIf = target === 'postgres' && server === undefined ? describe.skip : describe

  describeIf(`streamer-sql node [${target}] (${runtimeName})`, function () {
    const schema = uniqueSchema('sql')
    const tempDir = tempDirPerSuite()
    const dbConfig = target === 'pglite'
      ? { mode: 'embedded', dataDir: tempDir() }
      : { mode: 'server', urlEnv: 'FIX_STREAMERS_SQL_TEST_URL', schema: `${schema}_pack` }
    const flow = (sql: string, params: unknown[], extra: Record<string, unknown> = {}): any[] => [
      { id: 'db1', type: 'streamer-database', ...dbConfig },
      { id: 'q1', type: 'streamer-sql', database: 'db1', sql, params, ...extra, wires: [['out']] },
      { id: 'out', type: 'helper' },
      { id: 'c1', type: 'catch', scope: ['q1'], uncaught: false, wires: [['caught']] },
      { id: 'caught', type: 'helper' }
    ]
    const run = async (msg: Record<string, unknown>): Promise<any> => {
      const got = new Promise<any>(resolve => helper.getNode('out').once('input', resolve))
      helper.getNode('q1').receive(msg)
      return await got
    }

    envForSuite(() => ({ FIX_STREAMERS_SQL_TEST_URL: process.env.DATABASE_URL }))
    beforeEach(async () => { await helper.startServer() })
    afterEach(async () => {
      await helper.unload()
      await helper.stopServer()
    })

    it('runs a statement with values from the message as bound parameters, and returns rows exactly', async () => {
      await helper.load(
        nodes,
        flow(`CREATE TABLE IF NOT EXISTS ${schema}_t (id bigserial PRIMARY KEY, note text, qty numeric, doc jsonb)`, [])
      )
      await run({ payload: null })
      await helper.unload()
      await helper.load(
        nodes,
        flow(`INSERT INTO ${schema}_t (note, qty, doc) VALUES ($1, $2, $3) RETURNING id, note, qty, doc`, [
          { v: 'payload.note', vt: 'msg' },
          { v: '123456789012345678.25', vt: 'str' },
          { v: 'payload.doc', vt: 'msg' }
        ])
      )
      const hostile = "x'); DROP TABLE nothing; --"
      const msg = await run({ payload: { note: hostile, doc: { a: [1, 2] } }, topic: 'kept' })
      assert.strictEqual(msg.rowCount, 1)
      assert.strictEqual(msg.topic, 'kept')
      assert.deepStrictEqual(msg.payload, [
        { id: '1', note: hostile, qty: '123456789012345678.25', doc: { a: [1, 2] } }
      ])
      const db = await helper.getNode('db1').acquire()
      await db.query(`DROP TABLE ${schema}_t`)
    })

    it('reads msg parameters as Node-RED does: msg. prefix, brackets, nested reference, missing parent', async () => {
      await helper.load(nodes, flow('SELECT $1::text AS a, $2::text AS b, $3::text AS c, $4::text AS d', [
        { v: 'msg.payload.a', vt: 'msg' },
        { v: 'payload["b c"]', vt: 'msg' },
        { v: 'payload[msg.topic]', vt: 'msg' },
        { v: 'payload.x.y', vt: 'msg' }
      ]))
      const msg = await run({ payload: { a: 'A', 'b c': 'B', pick: 'C', x: { y: 'D' } }, topic: 'pick' })
      assert.deepStrictEqual(msg.payload, [{ a: 'A', b: 'B', c: 'C', d: 'D' }])
      const none = await run({ payload: { a: 'A', x: {} }, topic: 'pick' })
      assert.deepStrictEqual(none.payload, [{ a: 'A', b: null, c: null, d: null }])
      // A missing parent is an error of that message (a catchable one), as getMessageProperty throws.
      const caught = new Promise<any>(resolve => helper.getNode('caught').once('input', resolve))
      helper.getNode('q1').receive({ payload: { a: 'A' }, topic: 'pick' })
      assert.match((await caught).error.message, /reading 'y'/)
    })

    it('records an audit event name and reason in a managed audit table', async () => {
      await helper.load(nodes, flow(`INSERT INTO ${schema}_orders (sym) VALUES ($1)`, [{ v: 'payload', vt: 'msg' }],
        { event: 'EVENT_ORDER_NEW', eventType: 'str', reason: 'topic', reasonType: 'msg' }))
      const db = await helper.getNode('db1').acquire()
      await db.query(`CREATE TABLE ${schema}_orders (id serial PRIMARY KEY, sym text)`)
      await ensureAuditTable(db, { source: `${schema}_orders` })
      await run({ payload: 'IBM', topic: 'from the test' })
      await db.query(`UPDATE ${schema}_orders SET sym = 'MSFT'`) // a writer without an event: plain UPDATE
      const audit = await db.query(
        `SELECT audit_event_type, audit_event_text, sym FROM ${schema}_orders_audit ORDER BY audit_seq`
      )
      assert.deepStrictEqual(audit.rows, [
        { audit_event_type: 'EVENT_ORDER_NEW', audit_event_text: 'from the test', sym: 'IBM' },
        { audit_event_type: 'UPDATE', audit_event_text: null, sym: 'MSFT' }
      ])
      await db.query(`DROP TABLE ${schema}_orders CASCADE`)
      await db.query(`DROP TABLE ${schema}_orders_audit CASCADE`)
    })

    it('a failing statement gives a red status and a catchable error with the message', async () => {
      await helper.load(nodes, flow('SELECT * FROM no_such_table_anywhere WHERE x = $1', [{ v: 'payload', vt: 'msg' }]))
      const caught = new Promise<any>(resolve => helper.getNode('caught').once('input', resolve))
      helper.getNode('q1').receive({ payload: 1, _id: 'm1' })
      const msg = await caught
      assert.match(msg.error.message, /SQL failed: .*no_such_table_anywhere/)
      assert.strictEqual(msg.payload, 1)
      const calls = helper.getNode('q1').status.getCalls()
      assert.strictEqual(calls[calls.length - 1].args[0].fill, 'red')
    })
  })
}
