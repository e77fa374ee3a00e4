/**
 * What one pass of the end-to-end bench (bench/e2e.ts) printed at its end: the latency table, where
 * the latency goes, the way back, memory, CPU, steal, and the pass against issue 21's targets.
 * The figures are gathered by e2e.ts; this module only lays them out and sums them up for the
 * comparison with QuickFIX (bench/_compare.ts).
 */
import type { PassSummary } from './_compare'
import type { CommitFloor } from './_commit'

/** Issue 21's targets with fsync on: sustained orders/s per pass, p99 ms at 1,000/s, Node-RED's peak RSS MB. */
const TARGET = { outbound: 12000, roundTrip: 6000, p99At1000: 20, rssMb: 250 }

export interface Row {
  phase: string
  offered: string
  achieved: number
  /** Insert -> NewOrderSingle read by the counterparty. */
  p50?: number
  p99?: number
  max?: number
  /** Round trip pass: insert -> fill applied to `orders` (the whole round trip). */
  full?: { p50: number, p99: number, max: number }
}

/** Where an order's latency goes, from the times the counterparty reads off each NewOrderSingle. */
export interface Segments { offered: string, insert: number[], pipeline: number[], wire: number[] }

/** Where a fill's way back goes (round trip pass, on a server): see FillWayBack. */
export interface BackSegments {
  offered: string
  counterparty: number[]
  wire: number[]
  journal: number[]
  stream: number[]
  apply: number[]
}

export function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

/** One pass's figures, as e2e.ts gathered them. */
export interface PassRecord {
  /** The round trip pass (the counterparty answers); false: outbound only. */
  reports: boolean
  /** The database's label, as the header printed it. */
  database: string
  /** What makes the run a variant (Node-RED's start flags, the counterparty), or '' for the default command. */
  variant: string
  /** One commit alone on the run's server and how many this pass's latency waits for (bench/_commit.ts). */
  commit: CommitFloor | undefined
  rows: Row[]
  segments: Segments[]
  backs: BackSegments[]
  rssMb: number | undefined
  /** The heap after full collections and the GC pauses of each fixed-rate phase (bench/_heap.ts). */
  heap: string[]
  /** Round trip pass: fills applied per second in the sustained phase, and the phase's orders not filled at its end. */
  fillsPerS: number | undefined
  unfilledAtEnd: number
  /** The sustained phase's bound on orders not yet received (or filled). */
  backlog: number
  cpuLine: string
  busyLine: string
  /** CPU per order of the sustained phase and its drain, and the database's work (bench/_work.ts). */
  work: string[]
  /** Per phase: CPU steal and load average; per fixed rate: overlapping INSERTs, backends started. */
  steals: string[]
  overlaps: string[]
  started: string[]
  /** On a server: the bench's order driver's size and the connections it opened per fixed rate. */
  driver: { size: number, opened: string[] } | undefined
  cpuPerOrder: number | undefined
}

/** Prints a pass's tables and lines, and returns what the comparison with QuickFIX needs. */
export function reportPass (r: PassRecord): PassSummary {
  const {
    reports, database, variant, commit, rows, segments, backs, heap, fillsPerS, unfilledAtEnd, backlog, cpuLine,
    busyLine, work, steals, overlaps, started, driver, cpuPerOrder
  } = r
  const rss = r.rssMb
  const pass = reports ? 'round trip' : 'outbound'

  console.log(`\n${pass}, on ${database}:`)
  const fullSays = '; "round trip" = order due -> the fill applied to `orders` (its second ExecutionReport ' +
    'back through fix_in, the inbound stream and the apply: the latency this pass\'s p99 target is checked on)'
  console.log('\nlatency (fixed rates: an open loop, each order counted from when it was due, ' +
    'whatever its INSERT waited): ' +
    '"to counterparty" = order due -> NewOrderSingle read by the counterparty' +
    `${reports ? fullSays : ' (the latency this pass\'s p99 target is checked on)'}`)
  const fullHead = reports ? ' round trip p50 / p99 / max ms |' : ''
  console.log(`\n| phase | offered | orders/s at the counterparty | to counterparty p50 / p99 / max ms |${fullHead}`)
  console.log(`|---|---|---|---|${reports ? '---|' : ''}`)
  const f = (n: number | undefined): string => n === undefined || Number.isNaN(n) ? '-' : n.toFixed(1)
  for (const r of rows) {
    const full = r.full === undefined ? '- | ' : `${f(r.full.p50)} / ${f(r.full.p99)} / ${f(r.full.max)} | `
    console.log(`| ${r.phase} | ${r.offered} | ${Math.round(r.achieved).toLocaleString('en-US')} | ` +
      `${f(r.p50)} / ${f(r.p99)} / ${f(r.max)} | ${reports ? full : ''}`.trimEnd())
  }
  console.log('\nwhere the latency goes (p50 / p99 ms): insert = order due -> audit trigger ' +
    '(TransactTime); pipeline = audit row -> framed by the gateway (SendingTime: streamer, client, translator); ' +
      'wire = framed -> read by the counterparty (journal commit, TCP)')
  console.log(`${pass}, on ${database}:`)
  console.log('| offered | insert | pipeline | wire |')
  console.log('|---|---|---|---|')
  const pp = (xs: number[]): string => {
    const s = [...xs].sort((a, b) => a - b)
    return `${f(percentile(s, 0.5))} / ${f(percentile(s, 0.99))}`
  }
  for (const g of segments) console.log(`| ${g.offered} | ${pp(g.insert)} | ${pp(g.pipeline)} | ${pp(g.wire)} |`)
  if (backs.length > 0) {
    const commits = backs.some(b => b.journal.length > 0)
    console.log('\nwhere the way back goes (p50 / p99 ms, each segment on its own): counterparty = NewOrderSingle ' +
      'read by the counterparty -> its fill framed (SendingTime: its fix_in commit, its queue); wire = framed -> ' +
      'the gateway\'s fix_in INSERT (the counterparty\'s journal commit, TCP, the gateway\'s turn); ' +
      (commits
        ? 'fix_in commit = INSERT -> its commit; stream = commit -> the apply\'s statement (stream read, client, ' +
          'translator); apply commit = the apply\'s statement -> its commit (track_commit_timestamp)'
        : 'stream = INSERT -> the apply\'s statement (fix_in commit, stream read, client, translator; the commits ' +
          'are split only with track_commit_timestamp=on)'))
    console.log(`${pass}, on ${database}:`)
    console.log(commits
      ? '| offered | counterparty | wire | fix_in commit | stream | apply commit |\n|---|---|---|---|---|---|'
      : '| offered | counterparty | wire | stream |\n|---|---|---|---|')
    for (const b of backs) {
      console.log(commits
        ? `| ${b.offered} | ${pp(b.counterparty)} | ${pp(b.wire)} | ${pp(b.journal)} | ${pp(b.stream)} | ` +
          `${pp(b.apply)} |`
        : `| ${b.offered} | ${pp(b.counterparty)} | ${pp(b.wire)} | ${pp(b.stream)} |`)
    }
  }
  console.log(`\npeak RSS of the Node-RED process: ${rss === undefined ? '?' : `${Math.round(rss)} MB`}`)
  for (const l of heap) console.log(l)
  if (fillsPerS !== undefined) {
    console.log('round trips completed in the sustained phase (fills applied to `orders`): ' +
      `${Math.round(fillsPerS).toLocaleString('en-US')}/s; ${unfilledAtEnd.toLocaleString('en-US')} of the phase's ` +
      `orders not yet filled at its end (bound ${backlog.toLocaleString('en-US')}): the orders inserted above ` +
      'exceed the fills by this once, not per second')
  }
  const at1000 = rows.find(r => r.offered === '1,000/s')
  if (cpuLine !== '') console.log(cpuLine)
  if (busyLine !== '') console.log(busyLine)
  for (const l of work) console.log(l)
  console.log('CPU steal by the hypervisor (other guests\' time on this machine\'s CPUs) and load average (1 min, ' +
    `${require('os').cpus().length} CPUs, other processes included) at the end of each phase: ${steals.join(', ')}`)
  if (overlaps.length > 0) { // none with BENCH_E2E_RATES empty
    console.log('fixed rates, INSERTs started while an earlier one still ran (the load does not wait for a slow one; ' +
      `each order's latency counts from when it was due): ${overlaps.join(', ')}`)
  }
  if (started.length > 0) {
    console.log('fixed rates, PostgreSQL backends that started during the phase and still ran at its end, by ' +
      'application (a pool growing mid-phase: each pays a connection and its cold first statements): ' +
      started.join(', '))
  }
  if (driver !== undefined && driver.opened.length > 0) {
    console.log(`fixed rates, connections the bench's driver opened during the phase (its ${driver.size} are ` +
      `opened and warmed before the sustained phase and kept: bench/_driver.ts): ${driver.opened.join(', ')}`)
  }
  const sustained = fillsPerS ?? rows[0].achieved
  const target = reports ? TARGET.roundTrip : TARGET.outbound
  const ok = (met: boolean): string => met ? 'met' : 'not met'
  // The round trip pass is checked on its whole round trip (insert -> fill applied), the outbound
  // one on insert -> read by the counterparty; the other figure of the round trip pass is printed too.
  const p99 = reports ? at1000?.full?.p99 : at1000?.p99
  const p99Says = reports
    ? `p99 at 1,000/s of the round trip (insert -> fill applied) ${f(p99)} ms (insert -> read by the ` +
      `counterparty: ${f(at1000?.p99)} ms)`
    : `p99 at 1,000/s (insert -> read by the counterparty) ${f(p99)} ms`
  const run = variant !== '' ? `${database}; a variant: ${variant}` : database
  const p99Met = at1000 === undefined ? 'not measured: no 1,000/s phase' : ok((p99 ?? Infinity) < TARGET.p99At1000)
  // The p99 read against the commits it waits for: on a disk whose flushes are slow, no pipeline meets it.
  const floor = commit === undefined
    ? ''
    : `; it waits for ${commit.inSeries} commits in series, and one alone takes p50 ` +
      `${commit.latency.p50.toFixed(2)} / p99 ${commit.latency.p99.toFixed(2)} ms on this server` +
      (commit.chain === undefined
        ? ''
        : `, ${commit.inSeries} in series alone at ${commit.chain.rate.toLocaleString('en-US')}/s p50 ` +
          `${commit.chain.latency.p50.toFixed(2)} / p99 ${commit.chain.latency.p99.toFixed(2)} ms`)
  console.log(`against issue 21's targets (${run}): ${reports ? 'round trips (fills applied)' : 'orders'} ` +
    `sustained ${Math.round(sustained).toLocaleString('en-US')}/s = ${(sustained / target).toFixed(2)}x of ` +
    `${target.toLocaleString('en-US')}/s (${ok(sustained >= target)}); ${p99Says}, ` +
    `target < ${TARGET.p99At1000} ms (${p99Met}${floor}); peak RSS ` +
    `${rss === undefined ? '?' : Math.round(rss)} MB, target < ${TARGET.rssMb} MB ` +
    `(${ok((rss ?? Infinity) < TARGET.rssMb)})`)
  return {
    pass,
    variant,
    sustained: rows[0].achieved,
    roundTrips: fillsPerS,
    p50At1000: at1000?.p50,
    p99At1000: at1000?.p99,
    p99RoundTripAt1000: at1000?.full?.p99,
    rssMb: rss,
    cpuPerOrder,
    steals: steals.join(', ')
  }
}
