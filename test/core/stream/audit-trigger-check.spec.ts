import * as assert from 'assert'
import { ensureAuditTable } from '../../../core/stream'
import { describeEachDatabase } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'

describeEachDatabase('managed audit trigger, column check', target => {
  const f = schemaFixture(target, { prefix: 'auc' })

  /**
   * The audit function's column check (what decides between the explicit column list and the jsonb
   * copy at each firing), evaluated for the source as the trigger would: true means the fast path.
   */
  async function fastPath (table: string): Promise<boolean> {
    const def = (await f.db.query<{ d: string }>(
      'SELECT pg_get_functiondef(to_regprocedure($1)) AS d', [`"${f.schema}"."${table}_audit_fn"()`])).rows[0].d
    const check = /IF (\(SELECT count\(\*\)[\s\S]*?NOT a\.attisdropped\)) THEN/.exec(def)
    assert.ok(check !== null, 'the function has a column check')
    const sql = check[1].replace(/TG_RELID/g, `'"${f.schema}"."${table}"'::regclass`)
    return (await f.db.query<{ ok: boolean | null }>(`SELECT ${sql} AS ok`)).rows[0].ok === true
  }

  it('takes the explicit column list while the source keeps its columns, and the jsonb copy after any change ' +
    'until the next sync', async () => {
    const q = `"${f.schema}".quotes`
    await f.db.query(`CREATE TABLE ${q} (id int PRIMARY KEY, bid numeric(12, 4), ask numeric, venue text)`)
    await f.db.query(`ALTER TABLE ${q} DROP COLUMN ask`) // a dropped column leaves a gap in the attnums
    await ensureAuditTable(f.db, { source: `${f.schema}.quotes` })
    assert.strictEqual(await fastPath('quotes'), true)
    const changes = [
      `ALTER TABLE ${q} ADD COLUMN size int`,
      `ALTER TABLE ${q} DROP COLUMN size`,
      `ALTER TABLE ${q} RENAME COLUMN venue TO mic`,
      `ALTER TABLE ${q} ALTER COLUMN bid TYPE numeric(14, 4)`,
      `ALTER TABLE ${q} ALTER COLUMN mic TYPE varchar(8)`
    ]
    for (const change of changes) {
      await f.db.query(change)
      assert.strictEqual(await fastPath('quotes'), false, change)
      await f.db.query(`INSERT INTO ${q} (id) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM ${q}))`)
      await ensureAuditTable(f.db, { source: `${f.schema}.quotes` })
      assert.strictEqual(await fastPath('quotes'), true, `after the sync that followed: ${change}`)
    }
    const n = (await f.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${f.schema}".quotes_audit`)).rows[0].n
    assert.strictEqual(n, changes.length)
  })
})
