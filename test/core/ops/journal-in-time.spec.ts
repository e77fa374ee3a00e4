import * as assert from 'assert'
import { Database, migrate } from '../../../core'
import { migrations } from '../../../core/db/migrations'
import { JournalFilter, journalStatement, parseJournalFilter, readJournal } from '../../../core/ops/journal'
import { describeEachDatabase } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'

/** Every node of an EXPLAIN (FORMAT JSON) plan. */
function planNodes (plan: any): any[] {
  const out = [plan]
  for (const p of plan.Plans ?? []) out.push(...planNodes(p))
  return out
}

const ROWS = 3000

/**
 * An inbound journal of two sessions and four MsgTypes, its MsgSeqNum reset halfway, and rows sharing a
 * received_at in threes (the receive sequence orders them): what the console's pages must order exactly.
 */
async function fillJournal (db: Database, schema: string): Promise<void> {
  await db.query(`INSERT INTO "${schema}".fix_in (session_name, msg_seq_num, msg_type, sender_comp_id,
      target_comp_id, cl_ord_id, received_at, raw)
    SELECT CASE WHEN g % 5 = 0 THEN 'S2' ELSE 'S1' END, 1 + g % ($1::int / 2),
      CASE WHEN g % 97 = 0 THEN 'j' WHEN g % 31 = 0 THEN '9' WHEN g % 7 = 0 THEN 'AE' ELSE '8' END, 'EX', 'GW',
      'C' || (g / 2), timestamptz '2026-01-01 10:00:00+00' + (g / 3) * interval '1 millisecond',
      '8=FIX.4.4' || chr(1) || '35=8' || chr(1)
    FROM generate_series(1, $1::int) g ORDER BY g`, [ROWS])
  await db.query(`ANALYZE "${schema}".fix_in`)
}

/** Every page of the filter, followed by its cursor: the receive sequences in the order shown. */
async function allPages (db: Database, schema: string, q: Record<string, unknown>): Promise<string[]> {
  const ids: string[] = []
  let f: JournalFilter = parseJournalFilter({ session: 'S1', direction: 'in', limit: 70, ...q })
  for (;;) {
    const page = await readJournal(db, schema, f)
    ids.push(...page.entries.map(e => e.id))
    if (page.next === undefined) return ids
    f = { ...f, cursor: page.next }
  }
}

/** The same rows straight from the table, newest first by (received_at, receive_seq). */
async function expected (db: Database, schema: string, where: string): Promise<string[]> {
  const r = await db.query<{ id: string }>(`SELECT receive_seq::text AS id FROM "${schema}".fix_in
    WHERE session_name = 'S1' AND ${where} ORDER BY received_at DESC, receive_seq DESC`)
  return r.rows.map(x => x.id)
}

const CASES: Array<[string, Record<string, unknown>, string]> = [
  ['every message', {}, 'true'],
  ['a time range', { from: '2026-01-01T10:00:00.100Z', to: '2026-01-01T10:00:00.600Z' },
    "received_at >= '2026-01-01T10:00:00.100Z' AND received_at < '2026-01-01T10:00:00.600Z'"],
  ['a MsgSeqNum range (both sequence periods)', { seqFrom: 100, seqTo: 400 }, 'msg_seq_num BETWEEN 100 AND 400']
]

describeEachDatabase("fix_in's console pages without its time index (migration 62)", target => {
  const f = schemaFixture(target, { prefix: 'jtime' })

  it("drops fix_in's time index and keeps fix_out's", async () => {
    await migrate(f.db, f.schema)
    const r = await f.db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname IN ('fix_in_session_time', 'fix_out_session_time')`, [f.schema])
    assert.deepStrictEqual(r.rows.map(x => x.name), ['fix_out_session_time'])
  })

  it('reads a page without a MsgType through the MsgType index, with no sequential scan', async () => {
    await migrate(f.db, f.schema)
    await fillJournal(f.db, f.schema)
    for (const [what, q] of CASES.slice(0, 2)) {
      const filter = parseJournalFilter({ session: 'S1', direction: 'in', limit: 50, ...q })
      const st = journalStatement(f.schema, 'in', filter, ['2026-01-01T10:00:00.900Z', '2000'])
      const plan = (await f.db.query<{ 'QUERY PLAN': any }>(`EXPLAIN (FORMAT JSON) ${st.text}`, st.params))
        .rows[0]['QUERY PLAN'][0].Plan
      const nodes = planNodes(plan)
      const types = nodes.map(n => `${n['Node Type'] as string} ${n['Index Name'] as string ?? ''}`).join(', ')
      assert.ok(!nodes.some(n => n['Node Type'] === 'Seq Scan'), `${what}: ${types}`)
      assert.ok(nodes.some(n => n['Index Name'] === 'fix_in_session_type_time'), `${what}: ${types}`)
    }
  })

  for (const [what, q, where] of CASES) {
    it(`shows ${what} page by page in the journal's order, each row once`, async () => {
      await migrate(f.db, f.schema)
      await fillJournal(f.db, f.schema)
      const want = await expected(f.db, f.schema, where)
      assert.ok(want.length > 100, `${want.length} rows`)
      assert.deepStrictEqual(await allPages(f.db, f.schema, q), want)
    })
  }

  it('applies to a journal that already has rows, once, and its pages stay the same', async () => {
    await migrate(f.db, f.schema, migrations.filter(m => m.version < 62))
    await fillJournal(f.db, f.schema)
    const before = await allPages(f.db, f.schema, {})
    assert.deepStrictEqual((await migrate(f.db, f.schema)).applied, migrations.filter(m => m.version >= 62)
      .map(m => m.version))
    assert.deepStrictEqual((await migrate(f.db, f.schema)).applied, [])
    const r = await f.db.query(`SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = 'fix_in_session_time'`, [f.schema])
    assert.strictEqual(r.rows.length, 0)
    assert.deepStrictEqual(await allPages(f.db, f.schema, {}), before)
    assert.deepStrictEqual(before, await expected(f.db, f.schema, 'true'))
  })
})
