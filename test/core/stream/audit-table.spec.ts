import * as assert from 'assert'
import { Client } from 'pg'
import { AUDIT_POSITION_COLUMNS, ensureAuditTable, Streamer } from '../../../core/stream'
import { describeEachDatabase, eventually } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'
import { Collector } from '../../support/stream'
import { sleep } from '../../support/wait'

describeEachDatabase('managed audit table', target => {
  const f = schemaFixture(target, {
    prefix: 'au',
    schemaPer: 'describe', // later tests check what the first one's audit table recorded
    setup: async (db, schema) => {
      await db.query(
        `CREATE TABLE "${schema}".orders (id bigint PRIMARY KEY, symbol text NOT NULL, qty int, price numeric(20, 8))`
      )
    }
  })

  it('creates <table>_audit and records every insert, update and delete with ' +
    'type, time, user and transaction', async () => {
    const r = await ensureAuditTable(f.db, { source: `${f.schema}.orders` })
    assert.strictEqual(r.created, true)
    assert.deepStrictEqual(r.audit, { schema: f.schema, name: 'orders_audit' })
    await f.db.query(`INSERT INTO "${f.schema}".orders VALUES (1, 'VOD.L', 100, 123.45678901), (2, 'BARC.L', 5, 1)`)
    await f.db.query(`UPDATE "${f.schema}".orders SET qty = 150 WHERE id = 1`)
    await f.db.query(`DELETE FROM "${f.schema}".orders WHERE id = 2`)
    // An application names its event and reason in transaction-local settings.
    await f.db.transaction(async tx => {
      await tx.query("SELECT set_config('fix_streamers.event', 'EVENT_ORDER_CANCEL', true), " +
        "set_config('fix_streamers.reason', 'client asked', true)")
      await tx.query(`UPDATE "${f.schema}".orders SET qty = 0 WHERE id = 1`)
    })
    await f.db.query(`UPDATE "${f.schema}".orders SET qty = 1 WHERE id = 1`) // the setting did not leak
    const rows = (await f.db.query<any>(`SELECT * FROM "${f.schema}".orders_audit ORDER BY audit_seq`)).rows
    assert.deepStrictEqual(rows.map(x => [x.audit_event_type, x.audit_event_text, x.id, x.qty]), [
      ['INSERT', null, '1', 100],
      ['INSERT', null, '2', 5],
      ['UPDATE', null, '1', 150],
      ['DELETE', null, '2', 5],
      ['EVENT_ORDER_CANCEL', 'client asked', '1', 0],
      ['UPDATE', null, '1', 1]
    ])
    assert.strictEqual(rows[0].price, '123.45678901', 'numeric copied exactly')
    const user = (await f.db.query<{ u: string }>('SELECT session_user::text AS u')).rows[0].u
    assert.ok(rows.every(x => x.audit_event_user === user))
    assert.ok(rows.every(x => /^\d+$/.test(x.audit_tx) && /^\d+$/.test(x.audit_seq)))
    assert.strictEqual(rows[0].audit_tx, rows[1].audit_tx, 'one statement, one transaction id')
    assert.ok(BigInt(rows[2].audit_tx) > BigInt(rows[0].audit_tx))
    assert.match(rows[0].audit_event_time, /Z$/)
  })

  it('is idempotent and never touches existing audit rows', async () => {
    const before = (await f.db.query(`SELECT * FROM "${f.schema}".orders_audit ORDER BY audit_seq`)).rows
    const again = await ensureAuditTable(f.db, { source: `${f.schema}.orders` })
    const twice = await ensureAuditTable(f.db, { source: `${f.schema}.orders` })
    assert.strictEqual(again.created, false)
    assert.deepStrictEqual(again.addedColumns, [])
    assert.deepStrictEqual(twice.addedColumns, [])
    assert.deepStrictEqual(
      (await f.db.query(`SELECT * FROM "${f.schema}".orders_audit ORDER BY audit_seq`)).rows,
      before
    )
    await f.db.query(`INSERT INTO "${f.schema}".orders VALUES (3, 'X', 1, 1)`)
    const n = (
      await f.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${f.schema}".orders_audit WHERE id = 3`)
    ).rows[0].n
    assert.strictEqual(n, 1, 'still one trigger: one audit row per change')
  })

  it('keeps writers working when the source gains a column, and adds the column on the next sync', async () => {
    await f.db.query(`ALTER TABLE "${f.schema}".orders ADD COLUMN venue text`)
    await f.db.query(`INSERT INTO "${f.schema}".orders VALUES (4, 'Y', 1, 1, 'XLON')`)
    const r = await ensureAuditTable(f.db, { source: `${f.schema}.orders` })
    assert.deepStrictEqual(r.addedColumns, ['venue'])
    await f.db.query(`INSERT INTO "${f.schema}".orders VALUES (5, 'Z', 1, 1, 'XPAR')`)
    const rows = (
      await f.db.query<any>(
        `SELECT id, venue FROM "${f.schema}".orders_audit WHERE id IN ('4', '5') ORDER BY audit_seq`
      )
    ).rows
    assert.deepStrictEqual(rows, [{ id: '4', venue: null }, { id: '5', venue: 'XPAR' }])
  })

  it('copies the rows of a multi-row statement in one go, in statement order, ' +
    'with statement-level triggers', async () => {
    await f.db.query(
      `CREATE TABLE "${f.schema}".fills (id int PRIMARY KEY, px numeric(12, 4), at timestamptz, note text)`
    )
    await ensureAuditTable(f.db, { source: `${f.schema}.fills` })
    const kinds = (await f.db.query<{ tgname: string, statement: boolean }>(
      `SELECT tgname, (tgtype & 1) = 0 AS statement FROM pg_trigger WHERE tgrelid = '"${f.schema}".fills'::regclass ` +
        'ORDER BY tgname')).rows
    assert.deepStrictEqual(kinds, [
      { tgname: 'fills_audit_delete', statement: true },
      { tgname: 'fills_audit_insert', statement: true },
      { tgname: 'fills_audit_update', statement: true }
    ])
    await f.db.query(`INSERT INTO "${f.schema}".fills VALUES (3, 1.5, '2026-01-02T03:04:05.123456Z', 'c'), (1, 2.25, ` +
      'NULL, \'a\'), (2, 3, NULL, \'b\'\'s\')')
    await f.db.query(`UPDATE "${f.schema}".fills SET px = px * 2 WHERE id <> 2`)
    await f.db.query(`DELETE FROM "${f.schema}".fills WHERE id = 2`)
    await f.db.query(`UPDATE "${f.schema}".fills SET note = 'none' WHERE id = 99`) // no row: no audit row
    const rows = (
      await f.db.query<any>(
        `SELECT audit_event_type, audit_tx, id, px, at, note FROM "${f.schema}".fills_audit ORDER BY audit_seq`
      )
    ).rows
    assert.deepStrictEqual(rows.map(r => [r.audit_event_type, r.id, r.px, r.note]), [
      ['INSERT', 3, '1.5000', 'c'], ['INSERT', 1, '2.2500', 'a'], ['INSERT', 2, '3.0000', "b's"],
      ['UPDATE', rows[3].id, rows[3].px, rows[3].note], ['UPDATE', rows[4].id, rows[4].px, rows[4].note],
      ['DELETE', 2, '3.0000', "b's"]
    ])
    assert.deepStrictEqual(rows.slice(3, 5).map(r => [r.id, r.px]).sort(), [[1, '4.5000'], [3, '3.0000']])
    assert.strictEqual(new Date(rows[0].at).toISOString(), '2026-01-02T03:04:05.123Z')
    assert.strictEqual(new Set(rows.slice(0, 3).map(r => r.audit_tx)).size, 1)
  })

  it('keeps writers working and every change audited when a column is dropped, renamed ' +
    'or retyped, until the next sync', async () => {
    await f.db.query(
      `CREATE TABLE "${f.schema}".quotes (id int PRIMARY KEY, bid numeric, ask numeric, venue text, size int)`
    )
    await ensureAuditTable(f.db, { source: `${f.schema}.quotes` })
    const q = `"${f.schema}".quotes`
    await f.db.query(`INSERT INTO ${q} VALUES (1, 1, 2, 'XLON', 10)`)
    await f.db.query(`ALTER TABLE ${q} DROP COLUMN ask`)
    await f.db.query(`INSERT INTO ${q} VALUES (2, 3, 'XPAR', 20)`)
    await f.db.query(`ALTER TABLE ${q} RENAME COLUMN venue TO mic`)
    await f.db.query(`INSERT INTO ${q} VALUES (3, 4, 'XAMS', 30)`)
    await f.db.query(`ALTER TABLE ${q} ALTER COLUMN size TYPE text`)
    await f.db.query(`INSERT INTO ${q} VALUES (4, 5, 'XETR', '40')`)
    await f.db.query(`UPDATE ${q} SET bid = bid + 1 WHERE id IN (1, 4)`)
    await f.db.query(`DELETE FROM ${q} WHERE id = 2`)
    const r = await ensureAuditTable(f.db, { source: `${f.schema}.quotes` })
    assert.deepStrictEqual(r.addedColumns, ['mic'])
    assert.ok(
      r.warnings.some(w => /"size" is text in .* but integer in the audit table/.test(w)),
      r.warnings.join('; ')
    )
    await f.db.query(`INSERT INTO ${q} VALUES (5, 6, 'XSWX', '50'), (6, 7, 'XMAD', '60')`)
    const rows = (
      await f.db.query<any>(
        'SELECT audit_event_type AS e, id, bid, ask, venue, mic, size ' +
          `FROM "${f.schema}".quotes_audit ORDER BY audit_seq`
      )
    ).rows
    assert.deepStrictEqual(rows.map(x => [x.e, x.id, x.bid, x.ask, x.venue, x.mic, x.size]), [
      ['INSERT', 1, '1', '2', 'XLON', undefined, 10],
      ['INSERT', 2, '3', null, 'XPAR', undefined, 20],
      ['INSERT', 3, '4', null, null, undefined, 30],
      ['INSERT', 4, '5', null, null, undefined, 40],
      ['UPDATE', rows[4].id, rows[4].bid, null, null, undefined, rows[4].size],
      ['UPDATE', rows[5].id, rows[5].bid, null, null, undefined, rows[5].size],
      ['DELETE', 2, '3', null, null, undefined, 20],
      ['INSERT', 5, '6', null, null, 'XSWX', 50],
      ['INSERT', 6, '7', null, null, 'XMAD', 60]
    ].map(x => x.map(v => v === undefined ? null : v)))
  })

  it('replaces the row trigger of earlier versions, and keeps a row trigger on a partitioned table', async () => {
    await f.db.query(`CREATE TABLE "${f.schema}".legacy (id int PRIMARY KEY)`)
    await ensureAuditTable(f.db, { source: `${f.schema}.legacy` })
    // As earlier versions left it: one row-level trigger named like the audit table.
    for (const e of ['insert', 'update', 'delete']) {
      await f.db.query(`DROP TRIGGER legacy_audit_${e} ON ` +
      `"${f.schema}".legacy`)
    }
    await f.db.query(`CREATE OR REPLACE FUNCTION "${f.schema}".legacy_row_fn() RETURNS trigger LANGUAGE plpgsql
      AS $$ BEGIN
      INSERT INTO "${f.schema}".legacy_audit (audit_event_type, id) VALUES (TG_OP, NEW.id); RETURN NULL; END $$`)
    await f.db.query('CREATE TRIGGER legacy_audit AFTER INSERT OR UPDATE OR DELETE ' +
      `ON "${f.schema}".legacy FOR EACH ROW ` +
      `EXECUTE FUNCTION "${f.schema}".legacy_row_fn()`)
    await ensureAuditTable(f.db, { source: `${f.schema}.legacy` })
    await f.db.query(`INSERT INTO "${f.schema}".legacy VALUES (1), (2)`)
    const n = (await f.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${f.schema}".legacy_audit`)).rows[0].n
    assert.strictEqual(n, 2, 'one audit row per change, not two')

    await f.db.query(`CREATE TABLE "${f.schema}".book (id int, venue text) PARTITION BY LIST (venue)`)
    await f.db.query(`CREATE TABLE "${f.schema}".book_xlon PARTITION OF "${f.schema}".book FOR VALUES IN ('XLON')`)
    await ensureAuditTable(f.db, { source: `${f.schema}.book` })
    await f.db.query(`INSERT INTO "${f.schema}".book VALUES (1, 'XLON')`)
    await f.db.query(`INSERT INTO "${f.schema}".book_xlon VALUES (2, 'XLON')`) // straight into the partition
    await f.db.query(`UPDATE "${f.schema}".book SET id = id + 10`)
    const rows = (
      await f.db.query<any>(`SELECT audit_event_type AS e, id FROM "${f.schema}".book_audit ORDER BY audit_seq`)
    ).rows
    assert.deepStrictEqual(rows.map(x => [x.e, x.id]).slice(0, 2), [['INSERT', 1], ['INSERT', 2]])
    assert.deepStrictEqual(rows.slice(2).map(x => [x.e, x.id]).sort(), [['UPDATE', 11], ['UPDATE', 12]])
  })

  it('reports what it cannot do, clearly', async () => {
    await assert.rejects(
      ensureAuditTable(f.db, { source: `${f.schema}.missing` }),
      /table ".*\.missing" does not exist/
    )
    await assert.rejects(ensureAuditTable(f.db, { source: `${f.schema}.orders"; DROP TABLE x; --` }), /not allowed/)
    await f.db.query(`CREATE TABLE "${f.schema}".clash (id int, audit_seq int)`)
    await assert.rejects(
      ensureAuditTable(f.db, { source: `${f.schema}.clash` }),
      /column "audit_seq", a name the audit table uses/
    )
    await f.db.query(`CREATE TABLE "${f.schema}".plain (id int)`)
    await f.db.query(`CREATE TABLE "${f.schema}".plain_audit (id int)`)
    await assert.rejects(
      ensureAuditTable(f.db, { source: `${f.schema}.plain` }),
      /exists but is not a managed audit table/
    )
  })

  it('brings an existing table up to date without waiting for, or holding up, an open writer of the source',
    async function () {
      if (target.pg === undefined) this.skip() // PGlite runs one session: there is no second writer
      this.timeout(20000)
      await f.db.query(`CREATE TABLE "${f.schema}".executions (id int PRIMARY KEY, qty int)`)
      await ensureAuditTable(f.db, { source: `${f.schema}.executions` })
      // An application's transaction that wrote a row and is still open: through the trigger it holds a
      // ROW EXCLUSIVE lock on the audit table until it ends.
      const writer = new Client(target.pg)
      await writer.connect()
      let again: Promise<unknown> | undefined
      try {
        await writer.query('BEGIN')
        await writer.query(`INSERT INTO "${f.schema}".executions VALUES (1, 10)`)
        // What a restart or redeploy of the audit-streamer runs.
        again = ensureAuditTable(f.db, { source: `${f.schema}.executions` })
        const done = await Promise.race([again.then(() => true), sleep(3000).then(() => false)])
        assert.ok(done, 'ensureAuditTable finished while the writer was still open')
        await writer.query(`INSERT INTO "${f.schema}".executions VALUES (2, 20)`)
        await writer.query('COMMIT')
      } finally {
        await writer.query('ROLLBACK').catch(() => {})
        await writer.end()
        await again?.catch(() => {})
      }
      const audited = (await f.db.query<{ id: number }>(
        `SELECT id FROM "${f.schema}".executions_audit ORDER BY audit_seq`)).rows.map(r => r.id)
      assert.deepStrictEqual(audited, [1, 2])
    })

  it('streams the audit table live, woken by NOTIFY', async function () {
    this.timeout(20000)
    await f.db.query(`CREATE TABLE "${f.schema}".trades (id int PRIMARY KEY, qty int)`)
    const channel = `fs_${f.schema.toLowerCase()}`.slice(0, 60)
    await ensureAuditTable(f.db, { source: `${f.schema}.trades`, notifyChannel: channel })
    // An idle poll of 60 s: only the notification can bring the rows in time.
    const s = new Streamer({
      name: 'trades',
      database: f.db,
      table: `${f.schema}.trades_audit`,
      positionColumns: [...AUDIT_POSITION_COLUMNS],
      listenChannel: channel,
      pollMs: 60000,
      busyPollMs: 60000
    })
    const c = new Collector()
    s.subscribe({ kind: 'live' }, c)
    await eventually(() => c.phase === 'live')
    await new Promise(resolve => setTimeout(resolve, 100))
    await f.db.query(`INSERT INTO "${f.schema}".trades VALUES (1, 10)`)
    await f.db.query(`UPDATE "${f.schema}".trades SET qty = 11 WHERE id = 1`)
    await eventually(() => c.rows.length === 2, 5000, 'two audit rows')
    assert.deepStrictEqual(c.rows.map(r => [r.row.audit_event_type, r.row.qty]), [['INSERT', 10], ['UPDATE', 11]])
    // Switching NOTIFY off removes the trigger again.
    await ensureAuditTable(f.db, { source: `${f.schema}.trades` })
    const triggers = (
      await f.db.query(`SELECT tgname FROM pg_trigger WHERE tgrelid = '"${f.schema}".trades_audit'::regclass`)
    ).rows
    assert.deepStrictEqual(triggers, [])
    await s.close()
  })
})
