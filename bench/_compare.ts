/**
 * The end-to-end bench's comparison with QuickFIX/C++ measured in the same run: the QuickFIX
 * figures, then this pack's as a ratio of them.
 */
import { spawnSync } from 'child_process'
import type { BenchDatabase } from './_postgres'
import { QuickfixResult, quickfixRoundTrip, quickfixUnavailable } from './_quickfix'

/** One pass of the Node-RED bench, as the comparison needs it. */
export interface PassSummary {
  pass: 'outbound' | 'round trip'
  /** What makes the run a variant (bench/e2e.ts variantOf), '' for the default command. */
  variant: string
  /** Orders/s reaching the counterparty in the sustained phase. */
  sustained: number
  /** Round trip pass: fills applied to `orders` per second in the sustained phase. */
  roundTrips?: number
  p50At1000?: number
  p99At1000?: number
  /** Round trip pass: p99 ms at 1,000/s of insert -> fill applied to `orders`. */
  p99RoundTripAt1000?: number
  rssMb?: number
  /** CPU ms per order (outbound: received; round trip: filled), the sustained phase and its drain, all parts. */
  cpuPerOrder?: number
  steals: string
}

const f = (n: number | undefined, digits = 1): string =>
  n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits)
const n0 = (n: number | undefined): string => n === undefined ? '-' : Math.round(n).toLocaleString('en-US')
const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(2)}x`

function printQuickfix (q: QuickfixResult, version: string): void {
  console.log(`\n### QuickFIX/C++ ${version}: trade client against executor (bench/quickfix/roundtrip.cpp), ` +
    `${q.store}, FIX.4.4, dictionary validation; NewOrderSingle out, two ExecutionReports back`)
  console.log('| phase | offered | round trips/s | order -> executor p50 / p99 / max ms | ' +
    'first report back p50 / p99 ms | fill back p50 / p99 ms |')
  console.log('|---|---|---|---|---|---|')
  console.log(`| sustained | max (${n0(q.sentPerS)}/s sent) | ${n0(q.sustained)} | - | - | - |`)
  for (const r of q.rates) {
    console.log(`| fixed rate | ${r.rate.toLocaleString('en-US')}/s | ${n0(r.achieved)} | ` +
      `${r.oneWay.map(x => f(x, 2)).join(' / ')} | ${f(r.ack[0], 2)} / ${f(r.ack[1], 2)} | ` +
      `${f(r.fill[0], 2)} / ${f(r.fill[1], 2)} |`)
  }
  console.log(`CPU ms per round trip (client + executor, whole run): ${f(q.cpuPerOrder, 3)}`)
}

/**
 * Runs the QuickFIX baseline (unless BENCH_E2E_QUICKFIX=0) and prints this pack's figures as ratios
 * of it. QuickFIX's FileStore flushes each write to the operating system without fsync: with
 * BENCH_E2E_QUICKFIX_SYNC=1 it also runs with an fdatasync after each write, the durability this
 * pack has with fsync=on.
 */
export async function compareWithQuickfix (
  passes: PassSummary[],
  db: BenchDatabase,
  o: { sustainS: number, window: number, rateS: number, rates: number[] }
): Promise<void> {
  if (process.env.BENCH_E2E_QUICKFIX === '0') return
  const missing = quickfixUnavailable()
  if (missing !== undefined) {
    console.log(`\nQuickFIX/C++ baseline skipped: ${missing} (apt-get install -y libquickfix-dev g++ pkg-config)`)
    return
  }
  // Debian's libquickfix-dev 1.15.1 reports 1.14.3 to pkg-config: the package's version when there is one.
  const deb = spawnSync('dpkg-query', ['-W', '-f', '$' + '{Version}', 'libquickfix-dev'], { encoding: 'utf8' })
  const version = deb.status === 0 && deb.stdout.trim() !== ''
    ? `${deb.stdout.trim()} (Debian libquickfix-dev)`
    : spawnSync('pkg-config', ['--modversion', 'quickfix'], { encoding: 'utf8' }).stdout.trim()
  const variants = process.env.BENCH_E2E_QUICKFIX_SYNC === '1' ? [false, true] : [false]
  for (const sync of variants) {
    const load = require('os').loadavg()[0].toFixed(1)
    // With an fdatasync per write QuickFIX does a few hundred round trips a second here: short
    // phases, and no fixed rate above 100/s (it could not keep up and the phase would never end).
    const q = await quickfixRoundTrip(sync
      ? { ...o, sync, sustainS: Math.min(o.sustainS, 10), rates: o.rates.filter(r => r <= 100) }
      : { ...o, sync })
    printQuickfix(q, version)
    console.log(`load average (1 min) when it started: ${load}`)
    const out = passes.find(p => p.pass === 'outbound')
    const rt = passes.find(p => p.pass === 'round trip')
    const q1000 = q.rates.find(r => r.rate === 1000)
    if (passes.length === 0) continue
    const variant = passes[0].variant !== '' ? `; a variant: ${passes[0].variant}` : ''
    console.log(`\nthis pack (on ${db.label}${variant}) against QuickFIX/C++ (${q.store}), same run:`)
    console.log('| measure | this pack | QuickFIX/C++ | ratio (pack / QuickFIX) |')
    console.log('|---|---|---|---|')
    if (rt !== undefined) {
      console.log(`| round trips/s, sustained (fills applied to \`orders\`) | ${n0(rt.roundTrips)} | ` +
        `${n0(q.sustained)} | ${ratio(rt.roundTrips, q.sustained)} |`)
    }
    if (out !== undefined) {
      console.log(`| outbound orders/s, sustained (QuickFIX: its round trips) | ${n0(out.sustained)} | ` +
        `${n0(q.sustained)} | ${ratio(out.sustained, q.sustained)} |`)
    }
    for (const p of passes) {
      console.log(`| p99 ms at 1,000/s, order to counterparty, ${p.pass} pass (QuickFIX: sent -> executor) | ` +
        `${f(p.p99At1000)} | ${f(q1000?.oneWay[1], 2)} | ${ratio(p.p99At1000, q1000?.oneWay[1])} |`)
    }
    if (rt !== undefined) {
      console.log('| p99 ms at 1,000/s, the whole round trip: insert -> fill applied to `orders` (QuickFIX: ' +
        `sent -> fill back) | ${f(rt.p99RoundTripAt1000)} | ${f(q1000?.fill[1], 2)} | ` +
        `${ratio(rt.p99RoundTripAt1000, q1000?.fill[1])} |`)
      console.log('| CPU ms per round trip (the sustained phase and its drain; QuickFIX: whole run) | ' +
        `${f(rt.cpuPerOrder, 3)} | ${f(q.cpuPerOrder, 3)} | ` +
        `${ratio(rt.cpuPerOrder, q.cpuPerOrder)} |`)
    }
  }
}
