import * as assert from 'assert'
import { AuditEventsError, ensureAuditTable } from '../../../core/stream'
import { describeEachDatabase } from '../../support/databases'
import { notificationCounter } from '../../support/notifications'
import { schemaFixture } from '../../support/schema-fixture'

describeEachDatabase('managed audit table, the events recorded', target => {
  const f = schemaFixture(target, { prefix: 'aev' })

  /** The audit triggers on the source: name and the events they fire on, from pg_trigger. */
  async function triggers (table: string): Promise<string[]> {
    const r = await f.db.query<{ t: string }>(
      `SELECT tgname || ' ' || concat_ws('|', CASE WHEN tgtype & 4 <> 0 THEN 'insert' END,
         CASE WHEN tgtype & 16 <> 0 THEN 'update' END, CASE WHEN tgtype & 8 <> 0 THEN 'delete' END) ||
         CASE WHEN tgtype & 1 <> 0 THEN ' row' ELSE ' statement' END AS t
         FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal AND tgname LIKE 'orders_audit%'
        ORDER BY tgname`, [table])
    return r.rows.map(x => x.t)
  }

  async function audited (): Promise<string[]> {
    const r = await f.db.query<{ e: string, id: number }>(
      `SELECT audit_event_type AS e, id FROM "${f.schema}".orders_audit ORDER BY audit_seq`)
    return r.rows.map(x => `${x.e} ${x.id}`)
  }

  it('records an INSERT but no UPDATE or DELETE of the source with inserts only, and notifies for the INSERT',
    async function () {
      this.timeout(20000)
      const channel = `fs_${f.schema.toLowerCase()}`.slice(0, 60)
      const settled = await notificationCounter(f, channel)
      const t = `"${f.schema}".orders`
      await f.db.query(`CREATE TABLE ${t} (id int PRIMARY KEY, qty int)`)
      await ensureAuditTable(f.db, {
        source: `${f.schema}.orders`, events: ['insert'], notifyChannel: channel, notifyOn: 'insert'
      })
      await f.db.query(`INSERT INTO ${t} VALUES (1, 10), (2, 20)`)
      assert.strictEqual(await settled(), 1, 'an INSERT notifies')
      await f.db.query(`UPDATE ${t} SET qty = qty + 1`)
      await f.db.query(`DELETE FROM ${t} WHERE id = 2`)
      await f.db.query(`INSERT INTO ${t} VALUES (3, 30)`)
      assert.strictEqual(await settled(), 1, 'the second INSERT notifies, the UPDATE and DELETE do not')
      assert.deepStrictEqual(await audited(), ['INSERT 1', 'INSERT 2', 'INSERT 3'])
    })

  it('leaves exactly the triggers of the events chosen when they change on an existing table (all, insert, all)',
    async () => {
      const t = `"${f.schema}".orders`
      const source = `${f.schema}.orders`
      await f.db.query(`CREATE TABLE ${t} (id int PRIMARY KEY, qty int)`)
      const all = ['orders_audit_delete delete statement', 'orders_audit_insert insert statement',
        'orders_audit_update update statement']
      await ensureAuditTable(f.db, { source })
      assert.deepStrictEqual(await triggers(t), all)
      await f.db.query(`INSERT INTO ${t} VALUES (1, 10)`)

      await ensureAuditTable(f.db, { source, events: ['insert'] })
      // A caller from JavaScript (or a flow's JSON) may write the event in capitals, and twice.
      await ensureAuditTable(f.db, { source, events: ['INSERT', 'insert'] as any })
      assert.deepStrictEqual(await triggers(t), ['orders_audit_insert insert statement'])
      await f.db.query(`UPDATE ${t} SET qty = 11`)
      await f.db.query(`INSERT INTO ${t} VALUES (2, 20)`)

      await ensureAuditTable(f.db, { source, events: ['update', 'delete'] })
      assert.deepStrictEqual(await triggers(t), all.filter(x => !x.includes('insert')))
      await ensureAuditTable(f.db, { source })
      assert.deepStrictEqual(await triggers(t), all)
      await f.db.query(`UPDATE ${t} SET qty = 12 WHERE id = 1`)
      assert.deepStrictEqual(await audited(), ['INSERT 1', 'INSERT 2', 'UPDATE 1'],
        'rows audited before a change stay; only the UPDATE made with inserts only is missing')
    })

  it('rebuilds the row-level trigger of a partitioned source for the events chosen', async () => {
    const t = `"${f.schema}".orders`
    const source = `${f.schema}.orders`
    await f.db.query(`CREATE TABLE ${t} (id int, qty int) PARTITION BY RANGE (id)`)
    await f.db.query(`CREATE TABLE "${f.schema}".orders_low PARTITION OF ${t} FOR VALUES FROM (0) TO (100)`)
    await ensureAuditTable(f.db, { source })
    assert.deepStrictEqual(await triggers(t), ['orders_audit insert|update|delete row'])
    await ensureAuditTable(f.db, { source, events: ['insert'] })
    assert.deepStrictEqual(await triggers(t), ['orders_audit insert row'])
    await f.db.query(`INSERT INTO ${t} VALUES (1, 10)`)
    await f.db.query(`UPDATE ${t} SET qty = 11`)
    await f.db.query(`DELETE FROM ${t}`)
    assert.deepStrictEqual(await audited(), ['INSERT 1'])
    await ensureAuditTable(f.db, { source })
    assert.deepStrictEqual(await triggers(t), ['orders_audit insert|update|delete row'])
  })

  it('refuses an empty or unknown set of events with an AuditEventsError and leaves the triggers as they were',
    async () => {
      const t = `"${f.schema}".orders`
      const source = `${f.schema}.orders`
      await f.db.query(`CREATE TABLE ${t} (id int PRIMARY KEY, qty int)`)
      await ensureAuditTable(f.db, { source, events: ['insert'] })
      const refused = async (events: unknown, message: RegExp): Promise<void> => {
        await assert.rejects(ensureAuditTable(f.db, { source, events: events as any }),
          (err: Error) => err instanceof AuditEventsError && message.test(err.message))
      }
      await refused([], /no audit events chosen: record at least one of insert, update, delete/)
      await refused(['insert', 'truncate'], /unknown audit event "truncate": choose from insert, update, delete/)
      await refused('insert', /must be a list of insert, update, delete/)
      assert.deepStrictEqual(await triggers(t), ['orders_audit_insert insert statement'])
    })
})
