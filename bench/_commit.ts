/**
 * The server's own commit latency, measured in the same run as the passes: one-row INSERTs, each its
 * own transaction, one every 10 ms on a connection of its own with nothing else running. With fsync
 * and synchronous_commit on, each waits for its WAL flush, so this is a WAL flush's latency as a
 * commit sees it, plus a round trip to the backend.
 *
 * Why: every order waits for durable commits in series before its latency is taken (the order's
 * INSERT and the gateway's fix_out; a fill also the counterparty's fix_in and fix_out and the
 * gateway's fix_in). No pipeline can answer faster than those commits, so a p99 target is read
 * against this host's commit p99 measured alongside it, as the rates are read against QuickFIX's.
 */
import { Client } from 'pg'
import { quoteIdent } from '../core/db'
import { percentile } from './_e2e-report'

export interface CommitLatency {
  /** Commits measured. */
  count: number
  /** Wall-clock ms from sending an INSERT to its answer, the commit included. */
  p50: number
  p99: number
  max: number
}

/** The commit measured here, and how many a pass's latency waits for in series. */
export interface CommitFloor {
  latency: CommitLatency
  inSeries: number
  /** That many commits in series alone, at `rate` rows a second (bench/_commit-chain.ts). */
  chain?: { rate: number, latency: CommitLatency }
}

/**
 * Durable commits in series before each latency a pass reports is taken: an order is read by the
 * counterparty after its INSERT's and the gateway's fix_out commits; its fill is applied (`filled_at`,
 * stamped inside the apply's statement) after those, the gateway's fix_in and, with the pack's
 * counterparty, that one's fix_in and fix_out (QuickFIX's executor keeps a FileStore it does not sync).
 */
export function commitsInSeries (counterparty: 'pack' | 'quickfix'): { toCounterparty: number, roundTrip: number } {
  return { toCounterparty: 2, roundTrip: counterparty === 'pack' ? 5 : 3 }
}

/**
 * `count` one-row INSERTs into a table of its own (made and dropped here, a normal logged table: a
 * temporary or unlogged one would skip the WAL flush being measured), one every `everyMs` ms.
 */
export async function commitLatency (url: string, count = 500, everyMs = 10): Promise<CommitLatency> {
  const table = quoteIdent(`e2e_bench_commit_${process.pid}_${Date.now()}`)
  const c = new Client({ connectionString: url, application_name: 'e2e-bench-commit' })
  await c.connect()
  try {
    await c.query(`CREATE TABLE ${table} (n int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), pad text)`)
    const pad = 'x'.repeat(200) // about an order's row
    const ms: number[] = []
    try {
      const t0 = performance.now()
      for (let n = 1; n <= count; n++) {
        const start = performance.now()
        await c.query(`INSERT INTO ${table} (n, pad) VALUES ($1, $2)`, [n, pad])
        ms.push(performance.now() - start)
        // The next one at its own tick: alone, as a commit at a low rate is.
        const next = t0 + n * everyMs
        await new Promise(resolve => setTimeout(resolve, Math.max(0, next - performance.now())))
      }
    } finally {
      await c.query(`DROP TABLE IF EXISTS ${table}`)
    }
    ms.sort((a, b) => a - b)
    return { count: ms.length, p50: percentile(ms, 0.5), p99: percentile(ms, 0.99), max: ms[ms.length - 1] }
  } finally {
    await c.end()
  }
}

/** The line the bench prints under its header. */
export function commitLine (c: CommitLatency, counterparty: 'pack' | 'quickfix', everyMs = 10): string {
  const n = commitsInSeries(counterparty)
  const theirs = counterparty === 'pack' ? "the counterparty's fix_in and fix_out, " : ''
  return `one commit on this server, alone (a one-row INSERT every ${everyMs} ms, ${c.count} of them, before the ` +
    `passes): p50 ${c.p50.toFixed(2)} / p99 ${c.p99.toFixed(2)} / max ${c.max.toFixed(2)} ms. Each order waits ` +
    `for ${n.toCounterparty} commits in series before the counterparty reads it (its INSERT, the gateway's ` +
    `fix_out), each round trip for ${n.roundTrip} before the apply stamps its fill (also ${theirs}the gateway's ` +
    "fix_in; the apply's own commit comes after the stamp)"
}
