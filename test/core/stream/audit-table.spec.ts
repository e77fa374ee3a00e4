import * as assert from 'assert'
import { Database } from '../../../core'
import { AUDIT_POSITION_COLUMNS, ensureAuditTable, Streamer } from '../../../core/stream'
import { describeEachDatabase, dropSchema, eventually, uniqueSchema } from '../../support/databases'
import { Collector } from '../../support/stream'

describeEachDatabase('managed audit table', target => {
  let db: Database
  let schema: string

  before(async function () {
    this.timeout(20000)
    db = await target.open()
    schema = uniqueSchema('au')
    await db.query(`CREATE SCHEMA "${schema}"`)
    await db.query(`CREATE TABLE "${schema}".orders (id bigint PRIMARY KEY, symbol text NOT NULL, qty int, price numeric(20, 8))`)
  })
  after(async () => {
    await dropSchema(db, schema)
    await db.close()
  })

  it('creates <table>_audit and records every insert, update and delete with type, time, user and transaction', async () => {
    const r = await ensureAuditTable(db, { source: `${schema}.orders` })
    assert.strictEqual(r.created, true)
    assert.deepStrictEqual(r.audit, { schema, name: 'orders_audit' })
    await db.query(`INSERT INTO "${schema}".orders VALUES (1, 'VOD.L', 100, 123.45678901), (2, 'BARC.L', 5, 1)`)
    await db.query(`UPDATE "${schema}".orders SET qty = 150 WHERE id = 1`)
    await db.query(`DELETE FROM "${schema}".orders WHERE id = 2`)
    // An application names its event and reason in transaction-local settings.
    await db.transaction(async tx => {
      await tx.query("SELECT set_config('fix_streamers.event', 'EVENT_ORDER_CANCEL', true), set_config('fix_streamers.reason', 'client asked', true)")
      await tx.query(`UPDATE "${schema}".orders SET qty = 0 WHERE id = 1`)
    })
    await db.query(`UPDATE "${schema}".orders SET qty = 1 WHERE id = 1`) // the setting did not leak
    const rows = (await db.query<any>(`SELECT * FROM "${schema}".orders_audit ORDER BY audit_seq`)).rows
    assert.deepStrictEqual(rows.map(x => [x.audit_event_type, x.audit_event_text, x.id, x.qty]), [
      ['INSERT', null, '1', 100],
      ['INSERT', null, '2', 5],
      ['UPDATE', null, '1', 150],
      ['DELETE', null, '2', 5],
      ['EVENT_ORDER_CANCEL', 'client asked', '1', 0],
      ['UPDATE', null, '1', 1]
    ])
    assert.strictEqual(rows[0].price, '123.45678901', 'numeric copied exactly')
    const user = (await db.query<{ u: string }>('SELECT session_user::text AS u')).rows[0].u
    assert.ok(rows.every(x => x.audit_event_user === user))
    assert.ok(rows.every(x => /^\d+$/.test(x.audit_tx) && /^\d+$/.test(x.audit_seq)))
    assert.strictEqual(rows[0].audit_tx, rows[1].audit_tx, 'one statement, one transaction id')
    assert.ok(BigInt(rows[2].audit_tx) > BigInt(rows[0].audit_tx))
    assert.match(rows[0].audit_event_time, /Z$/)
  })

  it('is idempotent and never touches existing audit rows', async () => {
    const before = (await db.query(`SELECT * FROM "${schema}".orders_audit ORDER BY audit_seq`)).rows
    const again = await ensureAuditTable(db, { source: `${schema}.orders` })
    const twice = await ensureAuditTable(db, { source: `${schema}.orders` })
    assert.strictEqual(again.created, false)
    assert.deepStrictEqual(again.addedColumns, [])
    assert.deepStrictEqual(twice.addedColumns, [])
    assert.deepStrictEqual((await db.query(`SELECT * FROM "${schema}".orders_audit ORDER BY audit_seq`)).rows, before)
    await db.query(`INSERT INTO "${schema}".orders VALUES (3, 'X', 1, 1)`)
    const n = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".orders_audit WHERE id = 3`)).rows[0].n
    assert.strictEqual(n, 1, 'still one trigger: one audit row per change')
  })

  it('keeps writers working when the source gains a column, and adds the column on the next sync', async () => {
    await db.query(`ALTER TABLE "${schema}".orders ADD COLUMN venue text`)
    await db.query(`INSERT INTO "${schema}".orders VALUES (4, 'Y', 1, 1, 'XLON')`)
    const r = await ensureAuditTable(db, { source: `${schema}.orders` })
    assert.deepStrictEqual(r.addedColumns, ['venue'])
    await db.query(`INSERT INTO "${schema}".orders VALUES (5, 'Z', 1, 1, 'XPAR')`)
    const rows = (await db.query<any>(`SELECT id, venue FROM "${schema}".orders_audit WHERE id IN ('4', '5') ORDER BY audit_seq`)).rows
    assert.deepStrictEqual(rows, [{ id: '4', venue: null }, { id: '5', venue: 'XPAR' }])
  })

  it('reports what it cannot do, clearly', async () => {
    await assert.rejects(ensureAuditTable(db, { source: `${schema}.missing` }), /table ".*\.missing" does not exist/)
    await assert.rejects(ensureAuditTable(db, { source: `${schema}.orders"; DROP TABLE x; --` }), /not allowed/)
    await db.query(`CREATE TABLE "${schema}".clash (id int, audit_seq int)`)
    await assert.rejects(ensureAuditTable(db, { source: `${schema}.clash` }), /column "audit_seq", a name the audit table uses/)
    await db.query(`CREATE TABLE "${schema}".plain (id int)`)
    await db.query(`CREATE TABLE "${schema}".plain_audit (id int)`)
    await assert.rejects(ensureAuditTable(db, { source: `${schema}.plain` }), /exists but is not a managed audit table/)
  })

  it('streams the audit table live, woken by NOTIFY', async function () {
    this.timeout(20000)
    await db.query(`CREATE TABLE "${schema}".trades (id int PRIMARY KEY, qty int)`)
    const channel = `fs_${schema.toLowerCase()}`.slice(0, 60)
    await ensureAuditTable(db, { source: `${schema}.trades`, notifyChannel: channel })
    // An idle poll of 60 s: only the notification can bring the rows in time.
    const s = new Streamer({ name: 'trades', database: db, table: `${schema}.trades_audit`, positionColumns: [...AUDIT_POSITION_COLUMNS], listenChannel: channel, pollMs: 60000, busyPollMs: 60000 })
    const c = new Collector()
    s.subscribe({ kind: 'live' }, c)
    await eventually(() => c.phase === 'live')
    await new Promise(resolve => setTimeout(resolve, 100))
    await db.query(`INSERT INTO "${schema}".trades VALUES (1, 10)`)
    await db.query(`UPDATE "${schema}".trades SET qty = 11 WHERE id = 1`)
    await eventually(() => c.rows.length === 2, 5000, 'two audit rows')
    assert.deepStrictEqual(c.rows.map(r => [r.row.audit_event_type, r.row.qty]), [['INSERT', 10], ['UPDATE', 11]])
    // Switching NOTIFY off removes the trigger again.
    await ensureAuditTable(db, { source: `${schema}.trades` })
    const triggers = (await db.query(`SELECT tgname FROM pg_trigger WHERE tgrelid = '"${schema}".trades_audit'::regclass`)).rows
    assert.deepStrictEqual(triggers, [])
    await s.close()
  })
})
