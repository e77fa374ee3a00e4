import * as assert from 'assert'
import { ensureAuditTable } from '../../../core/stream'
import { describeEachDatabase } from '../../support/databases'
import { notificationCounter } from '../../support/notifications'
import { schemaFixture } from '../../support/schema-fixture'

describeEachDatabase('managed audit table, NOTIFY on inserts only', target => {
  const f = schemaFixture(target, { prefix: 'aun' })

  it('notifies for INSERT statements only with notifyOn insert, and for every change again without it',
    async function () {
      this.timeout(20000)
      const t = `"${f.schema}".orders`
      await f.db.query(`CREATE TABLE ${t} (id int PRIMARY KEY, qty int)`)
      const channel = `fs_${f.schema.toLowerCase()}`.slice(0, 60)
      const settled = await notificationCounter(f, channel)

      await ensureAuditTable(f.db, { source: `${f.schema}.orders`, notifyChannel: channel, notifyOn: 'insert' })
      await f.db.query(`INSERT INTO ${t} VALUES (1, 10), (2, 20)`)
      assert.strictEqual(await settled(), 1, 'an INSERT notifies')
      await f.db.query(`UPDATE ${t} SET qty = qty + 1`)
      await f.db.query(`DELETE FROM ${t} WHERE id = 2`)
      assert.strictEqual(await settled(), 0, 'an UPDATE or DELETE does not')
      const audited = await f.db.query(
        `SELECT audit_event_type AS e FROM "${f.schema}".orders_audit ORDER BY audit_seq`)
      assert.deepStrictEqual(audited.rows.map(r => r.e), ['INSERT', 'INSERT', 'UPDATE', 'UPDATE', 'DELETE'])

      await ensureAuditTable(f.db, { source: `${f.schema}.orders`, notifyChannel: channel })
      await f.db.query(`UPDATE ${t} SET qty = qty + 1`)
      assert.strictEqual(await settled(), 1, 'back to every change: an UPDATE notifies')
      const triggers = await f.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = 'orders_audit_notify' AND tgrelid = $1::regclass",
        [t])
      assert.strictEqual(triggers.rows[0].n, 0, 'the source keeps no NOTIFY trigger')
    })
})
