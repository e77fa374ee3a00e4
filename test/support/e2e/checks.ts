/**
 * The checks of the crash tests (test:chaos, test:ha) on what the counterparty received and what
 * the database holds: every order exactly once (repeats only as PossDup resends), in order,
 * sequence numbers continuous with no reset, every fill in fix_in once and applied once.
 */
import { Check, FrameRecord } from './harness'
import type { Counts } from './system'

export function evaluate (
  records: FrameRecord[], counts: Counts, stats: { problems: string[], nextTargetSeq: number }, N: number
): Check[] {
  const checks: Check[] = []
  const check = (name: string, ok: boolean, detail: string): void => { checks.push({ name, ok, detail }) }

  // Orders at the counterparty, by ClOrdID.
  const byOrder = new Map<string, FrameRecord[]>()
  for (const r of records) {
    if (r.t !== 'D' || r.c === undefined) continue
    const list = byOrder.get(r.c) ?? []
    list.push(r)
    byOrder.set(r.c, list)
  }
  const missing: number[] = []
  for (let id = 1; id <= N; id++) if (!byOrder.has(`C${id}`)) missing.push(id)
  check(
    'every order reached the counterparty',
    missing.length === 0 && byOrder.size === N,
    `${byOrder.size} distinct orders of ${N}${missing.length > 0 ? `, missing ${missing.slice(0, 10).join(', ')}` : ''}`
  )

  const underTwoSeqs = [...byOrder].filter(([, l]) => new Set(l.map(r => r.s)).size > 1)
  check('each order sent under one MsgSeqNum only (no duplicate order)', underTwoSeqs.length === 0,
    `${underTwoSeqs.length} orders under more than one MsgSeqNum` +
      (underTwoSeqs.length > 0 ? ` e.g. ${underTwoSeqs[0][0]} at ${underTwoSeqs[0][1].map(r => r.s).join(', ')}` : ''))

  let asNew = 0
  let onlyResent = 0
  let repeats = 0
  let badRepeats = 0
  for (const l of byOrder.values()) {
    const news = l.filter(r => !r.p).length
    if (news === 1) asNew++
    if (news === 0) onlyResent++
    if (news > 1) badRepeats++
    repeats += l.length - 1
    if (l.slice(1).some(r => !r.p)) badRepeats++
  }
  check('repeats only as PossDup resends', badRepeats === 0,
    `${asNew} orders arrived once as a new message, ${onlyResent} only as a PossDup resend of their MsgSeqNum ` +
      `(journaled before the kill, not yet written); ${repeats} PossDup repeats; ${badRepeats} bad`)

  const firstSeq = [...byOrder]
    .map(([c, l]) => ({ id: Number(c.slice(1)), s: Math.min(...l.map(r => r.s)) }))
    .sort((a, b) => a.s - b.s)
  let outOfOrder = 0
  for (let i = 1; i < firstSeq.length; i++) if (firstSeq[i].id <= firstSeq[i - 1].id) outOfOrder++
  check('orders in order', outOfOrder === 0, `${outOfOrder} orders out of insert order by MsgSeqNum`)

  // Sequence numbers from Node-RED: every number from 1 to the last one arrived (as itself or
  // inside a GapFill), none was used for a second new message, none reset.
  const covered = new Set<number>()
  for (const r of records) {
    covered.add(r.s)
    if (r.t === '4' && r.gf === true && r.n !== undefined) for (let s = r.s; s < r.n; s++) covered.add(s)
  }
  const maxSeq = Math.max(...records.map(r => r.s))
  const gaps: number[] = []
  for (let s = 1; s <= maxSeq; s++) if (!covered.has(s)) gaps.push(s)
  let backwards = 0
  let prev = 0
  for (const r of records) {
    if (r.p) continue
    if (r.s <= prev) backwards++
    prev = r.s
  }
  const resets = records.filter(r => (r.t === 'A' && r.r === true) || (r.t === '4' && r.gf !== true)).length
  check('sequence numbers continuous across restarts (no gap, no reset)',
    gaps.length === 0 && backwards === 0 && resets === 0 && stats.nextTargetSeq === maxSeq + 1 &&
      stats.problems.length === 0,
    `1..${maxSeq} all received; ${gaps.length} ` +
      `gaps${gaps.length > 0 ? ` (${gaps.slice(0, 5).join(', ')})` : ''}, ${backwards} new messages at or below an ` +
        `earlier number, ${resets} resets, counterparty expects ${stats.nextTargetSeq} ` +
          `next${stats.problems.length > 0 ? `; problems: ${stats.problems.slice(0, 3).join('; ')}` : ''}`)

  check('every order journaled once in fix_out', counts.fix_out_orders === N && counts.fix_out_distinct_orders === N,
    `${counts.fix_out_orders} NewOrderSingle rows, ${counts.fix_out_distinct_orders} distinct ClOrdIDs`)
  check('every fill in fix_in once',
    counts.fix_in_reports === 2 * N && counts.fix_in_distinct_reports === 2 * N &&
      counts.fix_in_distinct_seqs === 2 * N,
    `${counts.fix_in_reports} ExecutionReports (new + fill) for ${N} orders, ${counts.fix_in_distinct_reports} ` +
      `distinct, ${counts.fix_in_distinct_seqs} distinct MsgSeqNums`)
  // The orders streamer records inserts only: the fills' updates of orders add no audit row.
  check('one audit row per order (inserts only)', counts.audit_rows === N,
    `${counts.audit_rows} rows in orders_audit for ${N} orders`)
  check('every report applied once to orders',
    counts.execs === 2 * N && counts.execs_applied === 2 * N && counts.applied_twice_exactly === N &&
      counts.filled === N && counts.orders === N,
    `${counts.execs} exec ids, ${counts.execs_applied} applications, ${counts.applied_twice_exactly} orders with ` +
      `exactly 2, ${counts.filled} filled of ${counts.orders}`)
  return checks
}
