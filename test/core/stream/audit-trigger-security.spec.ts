import * as assert from 'assert'
import { Queryable } from '../../../core'
import { ensureAuditTable } from '../../../core/stream'
import { describeEachDatabase } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'

/**
 * The audit trigger function is SECURITY DEFINER (writers need no grant on the audit table), so
 * it must not be a way for anyone else to write audit rows: only the source's own triggers run it.
 */
describeEachDatabase('audit trigger functions cannot be borrowed', target => {
  let s: string
  const roles = { writer: '', intruder: '' }
  const f = schemaFixture(target, {
    prefix: 'ausec',
    schemaPer: 'describe', // the first test creates the audit table the others try to write through
    setup: async (db, schema) => {
      s = `"${schema}"`
      roles.writer = `${schema}_writer`
      roles.intruder = `${schema}_intruder`
      await db.query(`CREATE TABLE ${s}.orders (id bigint PRIMARY KEY, symbol text NOT NULL, qty int)`)
      for (const r of Object.values(roles)) {
        await db.query(`CREATE ROLE "${r}" NOLOGIN`)
        // As in the public schema of a default installation: anyone may look up names in it.
        await db.query(`GRANT USAGE ON SCHEMA ${s} TO "${r}"`)
      }
      await db.query(`GRANT INSERT, UPDATE, DELETE, SELECT ON ${s}.orders TO "${roles.writer}"`)
    },
    teardown: async db => {
      for (const r of Object.values(roles)) {
        if (r !== '') await db.query(`DROP ROLE IF EXISTS "${r}"`).catch(() => {})
      }
    }
  })

  /** Runs `work` as `role` (SET LOCAL ROLE: privileges are checked as that role) in one transaction. */
  async function as<T> (role: string, work: (tx: Queryable) => Promise<T>): Promise<T> {
    return await f.db.transaction(async tx => {
      await tx.query(`SET LOCAL ROLE "${role}"`)
      return await work(tx)
    })
  }
  const auditCount = async (): Promise<number> =>
    Number((await f.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.orders_audit`)).rows[0].n)

  it('lets a writer with no grant on the audit table still have every change audited', async () => {
    await ensureAuditTable(f.db, { source: `${f.schema}.orders` })
    await as(roles.writer, async tx => {
      await tx.query(`INSERT INTO ${s}.orders VALUES (1, 'VOD.L', 100)`)
      await tx.query(`UPDATE ${s}.orders SET qty = 5 WHERE id = 1`)
    })
    assert.strictEqual(await auditCount(), 2)
    await assert.rejects(
      as(roles.writer, async tx => await tx.query(`SELECT * FROM ${s}.orders_audit`)),
      /permission denied/
    )
  })

  it('refuses a role with no grant that attaches the function to its own temp table', async () => {
    const before = await auditCount()
    await assert.rejects(as(roles.intruder, async tx => {
      await tx.query('CREATE TEMP TABLE forged (id bigint, symbol text, qty int) ON COMMIT DROP')
      await tx.query(`CREATE TRIGGER forge AFTER INSERT ON forged REFERENCING NEW TABLE AS changed_rows
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.orders_audit_fn()`)
      await tx.query("INSERT INTO forged VALUES (666, 'FORGED', 1000000)")
    }), /permission denied for function .*orders_audit_fn/)
    assert.strictEqual(await auditCount(), before, 'no forged audit row')
  })

  it('refuses to copy rows of any table but its source, even for a role granted EXECUTE by mistake', async () => {
    const before = await auditCount()
    await f.db.query(`GRANT EXECUTE ON FUNCTION ${s}.orders_audit_fn() TO "${roles.intruder}"`)
    try {
      await assert.rejects(as(roles.intruder, async tx => {
        await tx.query('CREATE TEMP TABLE forged (id bigint, symbol text, qty int) ON COMMIT DROP')
        await tx.query(`CREATE TRIGGER forge AFTER INSERT ON forged REFERENCING NEW TABLE AS changed_rows
          FOR EACH STATEMENT EXECUTE FUNCTION ${s}.orders_audit_fn()`)
        await tx.query("INSERT INTO forged VALUES (666, 'FORGED', 1000000)")
      }), /copies rows of .*orders.* only, not of pg_temp_\d+\.forged/)
    } finally {
      await f.db.query(`REVOKE EXECUTE ON FUNCTION ${s}.orders_audit_fn() FROM "${roles.intruder}"`)
    }
    assert.strictEqual(await auditCount(), before, 'no forged audit row')
  })

  it('takes EXECUTE back from PUBLIC on a function an earlier version left open, at the next sync', async () => {
    await f.db.query(`GRANT EXECUTE ON FUNCTION ${s}.orders_audit_fn() TO PUBLIC`)
    const open = async (): Promise<boolean> =>
      (
        await f.db.query<{ ok: boolean }>("SELECT has_function_privilege($1, $2, 'EXECUTE') AS ok", [
          roles.intruder,
          `${s}.orders_audit_fn()`
        ])
      ).rows[0].ok
    assert.strictEqual(await open(), true)
    await ensureAuditTable(f.db, { source: `${f.schema}.orders` })
    assert.strictEqual(await open(), false)
  })

  it('names the audit table\'s types with their schema, so a writer\'s temp ' +
    'domain of the same name is not used', async () => {
    // A type in a schema on the installer's search_path (public) is printed without its schema by
    // format_type; the function's own search_path is pg_catalog, pg_temp, so an unqualified name
    // would resolve to the writer's pg_temp. An audit column of another type takes the CAST path.
    const domain = `${f.schema}_amount`
    try {
      await f.db.query(`CREATE DOMAIN public."${domain}" AS int CHECK (VALUE >= 0)`)
      await f.db.query(`CREATE TABLE ${s}.fills (id bigint PRIMARY KEY, amount int)`)
      await f.db.query(`GRANT INSERT ON ${s}.fills TO "${roles.writer}"`)
      await ensureAuditTable(f.db, { source: `${f.schema}.fills` })
      await f.db.query(`ALTER TABLE ${s}.fills_audit ALTER COLUMN amount TYPE public."${domain}"`)
      await ensureAuditTable(f.db, { source: `${f.schema}.fills` })
      // The writer's own domain of that name in pg_temp refuses every value: if the function used it,
      // the insert would fail.
      await as(roles.writer, async tx => {
        await tx.query(`CREATE DOMAIN pg_temp."${domain}" AS int CHECK (VALUE < 0)`)
        await tx.query(`INSERT INTO ${s}.fills VALUES (1, 7)`)
        // Gone with the transaction: a domain left in the pooled session's pg_temp kept the writer role.
        await tx.query(`DROP DOMAIN pg_temp."${domain}"`)
      })
      const rows = (await f.db.query<{ amount: number }>(`SELECT amount FROM ${s}.fills_audit`)).rows
      assert.deepStrictEqual(
        rows.map(r => r.amount),
        [7]
      )
      const body = (
        await f.db.query<{ src: string }>('SELECT prosrc AS src FROM pg_proc WHERE oid = $1::regprocedure', [
          `${s}.fills_audit_fn()`
        ])
      ).rows[0].src
      assert.ok(body.includes(`AS public.${domain})`), 'the cast names the schema')
    } finally {
      await f.db.query(`DROP TABLE IF EXISTS ${s}.fills, ${s}.fills_audit`)
      await f.db.query(`DROP DOMAIN IF EXISTS public."${domain}"`)
    }
  })
})
