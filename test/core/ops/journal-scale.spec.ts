import * as assert from 'assert'
import { PgDatabase } from '../../../core'
import { journalStatement, parseJournalFilter, readJournal } from '../../../core/ops/journal'
import { serverOptions } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'

/** Every node of an EXPLAIN (FORMAT JSON) plan. */
function planNodes (plan: any): any[] {
  const out = [plan]
  for (const p of plan.Plans ?? []) out.push(...planNodes(p))
  return out
}

const ROWS = 1000000

// PGlite runs on Node-RED's own thread and is for small installations: the scale test is for the server.
const describeServer = serverOptions() !== undefined ? describe : describe.skip

describeServer('operator console journal with 1,000,000 fix_in rows [postgres]', function () {
  this.timeout(300000)
  const t0 = Date.UTC(2026, 0, 1)
  const fx = schemaFixture(undefined, {
    prefix: 'scale',
    migrate: true,
    schemaPer: 'describe', // the tests only read the million rows filled once here
    open: async () => await PgDatabase.open({ ...serverOptions()!, applicationName: 'fix-streamers-test' }),
    setup: async (db, schema) => {
      // One message every 10 ms: a ClOrdID per order, three messages per order (two of them ExecutionReports).
      await db.query(`INSERT INTO "${schema}".fix_in (session_name, msg_seq_num, msg_type, sender_comp_id,
        target_comp_id, cl_ord_id, received_at, raw)
        SELECT CASE WHEN g % 10 = 0 THEN 'OTHER' ELSE 'BIG' END, g, CASE WHEN g % 3 = 0 THEN 'j' ELSE '8' END, 'EX',
               'GW', 'C' || (g / 3), to_timestamp($1::double precision / 1000 + g * 0.01),
               '8=FIX.4.4' || chr(1) || '35=8' || chr(1)
        FROM generate_series(1, $2::int) g`, [t0, ROWS])
      await db.query(`ANALYZE "${schema}".fix_in`)
    }
  })

  const cases: Array<[string, Record<string, unknown>]> = [
    ['the newest page', {}],
    ['a MsgType', { msgType: 'j' }],
    ['a ClOrdID', { clOrdId: 'C4242' }],
    ['a MsgSeqNum range', { seqFrom: 500000, seqTo: 500100 }],
    [
      'a time range deep in the past',
      { from: new Date(t0 + 1000_000).toISOString(), to: new Date(t0 + 1001_000).toISOString() }
    ]
  ]
  for (const [what, q] of cases) {
    it(`pages ${what} through one of its indexes, with no sequential scan`, async () => {
      const f = parseJournalFilter({ session: 'BIG', direction: 'in', limit: 50, ...q })
      const st = journalStatement(fx.schema, 'in', f, null)
      const plan = (await fx.db.query<{ 'QUERY PLAN': any }>(`EXPLAIN (FORMAT JSON) ${st.text}`, st.params)).rows[0][
        'QUERY PLAN'
      ][0].Plan
      const nodes = planNodes(plan)
      const types = nodes.map(
        n => `${n['Node Type'] as string}${n['Index Name'] !== undefined ? ` ${n['Index Name'] as string}` : ''}`
      )
      console.log(`      plan: ${types.join(' > ')}`)
      assert.ok(!nodes.some(n => n['Node Type'] === 'Seq Scan'), types.join(', '))
      assert.ok(
        nodes.some(n => typeof n['Index Name'] === 'string' && n['Index Name'].startsWith('fix_in_')),
        types.join(', ')
      )
      const started = process.hrtime.bigint()
      const page = await readJournal(fx.db, fx.schema, f)
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      console.log(`      ${page.entries.length} rows in ${ms.toFixed(1)} ms`)
      assert.ok(page.entries.length > 0)
      assert.ok(ms < 250, `${ms} ms`)
    })
  }

  it('reads the 1000th page (keyset cursor) as fast as the first', async () => {
    let f = parseJournalFilter({ session: 'BIG', direction: 'in', limit: 200 })
    let cursor: string | undefined
    for (let i = 0; i < 1000; i++) {
      const p = await readJournal(fx.db, fx.schema, f)
      cursor = p.next
      f = { ...f, cursor }
    }
    const started = process.hrtime.bigint()
    const p = await readJournal(fx.db, fx.schema, f)
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    console.log(`      page 1001 (rows 200,001 to 200,200 of the session) in ${ms.toFixed(1)} ms`)
    assert.strictEqual(p.entries.length, 200)
    assert.ok(ms < 250, `${ms} ms`)
  })
})
