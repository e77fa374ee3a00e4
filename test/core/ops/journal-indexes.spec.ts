import * as assert from 'assert'
import { Database, migrate } from '../../../core'
import { migrations } from '../../../core/db/migrations'
import { journalStatement, parseJournalFilter, readJournal } from '../../../core/ops/journal'
import { describeEachDatabase } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'

/** Every node of an EXPLAIN (FORMAT JSON) plan. */
function planNodes (plan: any): any[] {
  const out = [plan]
  for (const p of plan.Plans ?? []) out.push(...planNodes(p))
  return out
}

const ORDERS = 4000
/** Every CANCEL_EVERY-th order is cancelled: a 35=F out (OrigClOrdID in its raw text) and its report in. */
const CANCEL_EVERY = 100

/** A journal like a gateway's: per order a NewOrderSingle out and two ExecutionReports in, a few cancels. */
async function fillJournal (db: Database, schema: string): Promise<void> {
  await db.query(`INSERT INTO "${schema}".fix_out (session_name, epoch, msg_seq_num, msg_type, cl_ord_id, sent_at,
      body, raw)
    SELECT 'S1', 1, g, CASE WHEN g % $2 = 0 THEN 'F' ELSE 'D' END,
      CASE WHEN g % $2 = 0 THEN 'X' || g ELSE 'C' || g END,
      timestamptz '2026-01-01 10:00:00+00' + g * interval '1 millisecond', '',
      '8=FIX.4.4' || chr(1) || '35=' || CASE WHEN g % $2 = 0 THEN 'F' || chr(1) || '11=X' || g || chr(1) || '41=C' ||
        (g - 1) ELSE 'D' || chr(1) || '11=C' || g END || chr(1) || '141=Y' || chr(1) || '54=1' || chr(1)
    FROM generate_series(1, $1::int) g`, [ORDERS, CANCEL_EVERY])
  await db.query(`INSERT INTO "${schema}".fix_in (session_name, msg_seq_num, msg_type, sender_comp_id,
      target_comp_id, cl_ord_id, orig_cl_ord_id, received_at, raw)
    SELECT 'S1', g, '8', 'EX', 'GW', 'C' || (g / 2), CASE WHEN g % (2 * $2) = 0 THEN 'C' || (g / 2 - 1) END,
      timestamptz '2026-01-01 10:00:00+00' + g * interval '1 millisecond', '8=FIX.4.4' || chr(1) || '35=8' || chr(1)
    FROM generate_series(1, 2 * $1::int) g`, [ORDERS, CANCEL_EVERY])
  await db.query(`ANALYZE "${schema}".fix_out`)
  await db.query(`ANALYZE "${schema}".fix_in`)
}

describeEachDatabase('journal indexes (migration 61)', target => {
  const f = schemaFixture(target, { prefix: 'jidx' })

  it('keeps in the OrigClOrdID indexes only the rows that carry one, so other rows skip the regular expression',
    async () => {
      await migrate(f.db, f.schema)
      const r = await f.db.query<{ name: string, partial: boolean }>(
        `SELECT c.relname AS name, i.indpred IS NOT NULL AS partial
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relname IN ('fix_out_session_orig_cl_ord_id', 'fix_in_session_orig_cl_ord_id')
          ORDER BY 1`, [f.schema])
      assert.deepStrictEqual(r.rows, [
        { name: 'fix_in_session_orig_cl_ord_id', partial: true },
        { name: 'fix_out_session_orig_cl_ord_id', partial: true }
      ])
    })

  it("serves the console's ClOrdID search from indexes in both directions, OrigClOrdID included", async () => {
    await migrate(f.db, f.schema)
    await fillJournal(f.db, f.schema)
    for (const direction of ['out', 'in'] as const) {
      const filter = parseJournalFilter({ session: 'S1', direction, clOrdId: 'C199', limit: 50 })
      const st = journalStatement(f.schema, direction, filter, null)
      const plan = (await f.db.query<{ 'QUERY PLAN': any }>(`EXPLAIN (FORMAT JSON) ${st.text}`, st.params))
        .rows[0]['QUERY PLAN'][0].Plan
      const nodes = planNodes(plan)
      const types = nodes.map(n => `${n['Node Type'] as string} ${n['Index Name'] as string ?? ''}`).join(', ')
      assert.ok(!nodes.some(n => n['Node Type'] === 'Seq Scan'), `${direction}: ${types}`)
      for (const index of [`fix_${direction}_session_orig_cl_ord_id`, `fix_${direction}_session_cl_ord_id`]) {
        assert.ok(nodes.some(n => n['Index Name'] === index), `${direction}: ${types}`)
      }
    }
    const page = await readJournal(f.db, f.schema, parseJournalFilter({ session: 'S1', clOrdId: 'C199', limit: 50 }))
    // Out: the order and the cancel naming it (41=C199); in: its two reports and the cancel's report.
    const found = page.entries.map(e => `${e.direction} ${e.msgType} ${e.clOrdId} ${e.origClOrdId ?? '-'}`).sort()
    assert.deepStrictEqual(found, ['in 8 C199 -', 'in 8 C199 -', 'in 8 C200 C199', 'out D C199 -', 'out F X200 C199'])
  })

  it('applies to a journal that already has rows, once, with every row still found', async () => {
    await migrate(f.db, f.schema, migrations.filter(m => m.version < 61))
    await fillJournal(f.db, f.schema)
    const before = await readJournal(f.db, f.schema, parseJournalFilter({ session: 'S1', clOrdId: 'C399', limit: 50 }))
    assert.strictEqual(before.entries.length, 5)
    assert.deepStrictEqual((await migrate(f.db, f.schema)).applied, migrations.filter(m => m.version >= 61)
      .map(m => m.version))
    assert.deepStrictEqual((await migrate(f.db, f.schema)).applied, [])
    const after = await readJournal(f.db, f.schema, parseJournalFilter({ session: 'S1', clOrdId: 'C399', limit: 50 }))
    assert.deepStrictEqual(after, before)
  })
})
