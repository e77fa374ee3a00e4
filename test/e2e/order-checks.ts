import type { FrameRecord } from './harness'

/** Orders at the counterparty: each once (repeats only as PossDup resends), in order, sequence continuous. */
export function orderChecks (
  N: number,
  records: FrameRecord[], stats: { problems: string[], nextTargetSeq: number },
  check: (name: string, ok: boolean, detail: string) => void
): void {
  const byOrder = new Map<string, FrameRecord[]>()
  for (const r of records) {
    if (r.t !== 'D' || r.c === undefined) continue
    byOrder.set(r.c, [...(byOrder.get(r.c) ?? []), r])
  }
  const missing: number[] = []
  for (let id = 1; id <= N; id++) if (!byOrder.has(`C${id}`)) missing.push(id)
  const badRepeats = [...byOrder.values()].filter(
    l => l.filter(r => !r.p).length > 1 || new Set(l.map(r => r.s)).size > 1
  ).length
  const missed = missing.length > 0 ? `, missing ${missing.length}: ${missing.slice(0, 8).join(', ')}` : ''
  check('every order at the counterparty exactly once (repeats only as PossDup resends)',
    missing.length === 0 && badRepeats === 0,
    `${byOrder.size} distinct orders of ${N}${missed}; ${badRepeats} sent twice as new or under two MsgSeqNums`)
  const first = [...byOrder]
    .map(([c, l]) => ({ id: Number(c.slice(1)), s: Math.min(...l.map(r => r.s)) }))
    .sort((a, b) => a.s - b.s)
  let outOfOrder = 0
  for (let i = 1; i < first.length; i++) if (first[i].id <= first[i - 1].id) outOfOrder++
  check('orders in stream order', outOfOrder === 0, `${outOfOrder} orders out of insert order by MsgSeqNum`)
  const covered = new Set<number>()
  for (const r of records) {
    covered.add(r.s)
    if (r.t === '4' && r.gf === true && r.n !== undefined) for (let s = r.s; s < r.n; s++) covered.add(s)
  }
  const maxSeq = records.length === 0 ? 0 : Math.max(...records.map(r => r.s))
  let gaps = 0
  for (let s = 1; s <= maxSeq; s++) if (!covered.has(s)) gaps++
  const resets = records.filter(r => (r.t === 'A' && r.r === true) || (r.t === '4' && r.gf !== true)).length
  const problems = stats.problems.length > 0 ? `; problems: ${stats.problems.slice(0, 3).join('; ')}` : ''
  check('sequence numbers continuous (no gap, no reset)',
    gaps === 0 && resets === 0 && stats.nextTargetSeq === maxSeq + 1 && stats.problems.length === 0,
    `1..${maxSeq}: ${gaps} gaps, ${resets} resets, counterparty expects ${stats.nextTargetSeq}${problems}`)
}
