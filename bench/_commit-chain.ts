/**
 * The floor a pipeline of durable stages has on the run's server, measured in the same run as the
 * passes: `stages` connections in series, each a stage that commits the rows handed to it as one
 * INSERT (its own transaction) and hands them on once its commit has answered, with one batch in
 * flight per stage, as the pack's stages work (the order's INSERT, the gateway's outbox, the
 * journals, the apply). Rows arrive as the fixed-rate phases insert orders (bench/_paced.ts: what is
 * due every 10 ms tick, at once), and each row counts from when it was due to its last commit.
 *
 * Why: a round trip waits for five durable commits in series, and five times one commit alone
 * (bench/_commit.ts) understates what five stages in series take, since each stage also waits for
 * the WAL flush under way and for the batch ahead of it. This is that chain with nothing else in
 * it: no FIX, no Node-RED, no other process. What a pass's latency has above it is the pack's and
 * the machine's (the hand-offs between processes, their CPU), not the commits' count.
 */
import { Client } from 'pg'
import { quoteIdent } from '../core/db'
import { CommitFloor, CommitLatency, commitLatency, commitLine, commitsInSeries } from './_commit'
import { paced } from './_paced'
import { countSetting } from './_knobs'
import { percentile } from './_e2e-report'

export interface ChainSettings {
  /** Rows a second offered to the first stage. */
  rate: number
  /** How long rows are offered; the first second's rows are not counted (connections and plans warm). */
  seconds: number
  /** How long the rows still in the chain may take once the last was due (default 60 s). */
  drainMs?: number
}

/** Rows a stage commits in one INSERT at most, as the pack's journals batch. */
const MAX_BATCH = 200

/** One stage: its connection, its table, the rows waiting for it, whether a batch is in flight, rows committed. */
interface Stage { client: Client, table: string, waiting: Row[], busy: boolean, committed: number }
interface Row { n: number, dueAt: number }

/** What a chain took, the rows offered to it and those each stage committed (as the server answered). */
export type ChainLatency = CommitLatency & { offered: number, committed: number[] }

/** Measures `stages` durable commits in series at `rate` rows a second (see the file's comment). */
export async function commitChain (url: string, stages: number, s: ChainSettings): Promise<ChainLatency> {
  if (!Number.isInteger(stages) || stages < 1) throw new RangeError(`a chain needs 1 or more stages, not ${stages}`)
  const base = `e2e_bench_chain_${process.pid}_${Date.now()}`
  const chain: Stage[] = []
  try {
    for (let i = 0; i < stages; i++) {
      const client = new Client({ connectionString: url, application_name: 'e2e-bench-chain' })
      chain.push({ client, table: quoteIdent(`${base}_${i}`), waiting: [], busy: false, committed: 0 })
      await client.connect()
      // A normal logged table (an unlogged one would skip the flush measured), rows about an order's size.
      await client.query(`CREATE TABLE ${chain[i].table} (n bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT ` +
        'now(), pad text)')
    }
    return await run(chain, s)
  } finally {
    for (const st of chain) {
      await st.client.query(`DROP TABLE IF EXISTS ${st.table}`).catch(() => {})
      await st.client.end().catch(() => {})
    }
  }
}

async function run (chain: Stage[], s: ChainSettings): Promise<ChainLatency> {
  const pad = 'x'.repeat(200)
  const ms: number[] = []
  let failure: unknown
  let next = 0
  let left = 0
  let counted: number | undefined
  const t0 = performance.now()
  const pump = (i: number): void => {
    const st = chain[i]
    if (st.busy || st.waiting.length === 0 || failure !== undefined) return
    st.busy = true
    const batch = st.waiting.splice(0, MAX_BATCH)
    st.client.query(`INSERT INTO ${st.table} (n, pad) SELECT n, $2 FROM unnest($1::bigint[]) AS n`,
      [batch.map(r => r.n), pad])
      .then(r => {
        st.busy = false
        st.committed += r.rowCount ?? 0
        if (i + 1 < chain.length) {
          chain[i + 1].waiting.push(...batch)
          pump(i + 1)
        } else {
          const now = performance.now()
          for (const r of batch) if (r.dueAt >= (counted ?? Infinity)) ms.push(now - r.dueAt)
          left -= batch.length
        }
        pump(i)
      }, (err: unknown) => { failure = err })
  }
  await paced(s.rate, s.seconds, () => performance.now(), async dueAt => {
    if (counted === undefined && dueAt[0] - t0 >= 1000) counted = dueAt[0]
    for (const d of dueAt) chain[0].waiting.push({ n: next++, dueAt: d })
    left += dueAt.length
    pump(0)
  })
  // A commit that never answers (a server gone mid-chain) ends the measure instead of the bench waiting on it.
  const drainMs = s.drainMs ?? 60_000
  const deadline = performance.now() + drainMs
  while (left > 0 && failure === undefined && performance.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  if (failure !== undefined) throw failure
  if (left > 0) throw new Error(`the chain still had ${left} rows in flight ${drainMs / 1000} s after the last was due`)
  if (ms.length === 0) throw new RangeError('the chain counted no row: give it more than one second')
  ms.sort((a, b) => a - b)
  const latency = { count: ms.length, p50: percentile(ms, 0.5), p99: percentile(ms, 0.99), max: ms[ms.length - 1] }
  return { ...latency, offered: next, committed: chain.map(st => st.committed) }
}

/** One chain's figures, as both lines print them. */
function seriesText (stages: number, c: CommitLatency): string {
  return `${stages} in series p50 ${c.p50.toFixed(2)} / p99 ${c.p99.toFixed(2)} / max ${c.max.toFixed(2)} ms`
}

/** The line the bench prints under the one-commit line, for each chain it measured. */
export function chainLine (chains: Array<{ stages: number, latency: CommitLatency }>, s: ChainSettings): string {
  const each = chains.map(c => seriesText(c.stages, c.latency))
  return 'commits in series on this server, alone (a connection a stage, each committing what reached it as one ' +
    `INSERT and handing it on, one batch in flight a stage; ${s.rate.toLocaleString('en-US')} rows/s for ` +
    `${s.seconds} s as the fixed rates insert them, the first second not counted; each row from when it was ` +
    `due to its last commit): ${each.join('; ')}. Nothing else runs in it: what a pass's p99 at this rate ` +
    "has above the chain of its count is the pipeline's own (its processes, their hand-offs and CPU)"
}

/** One commit alone and the chains of each pass's count, measured before the passes. */
export interface CommitFloors { one: CommitLatency, chains: Map<number, CommitLatency> }

/** The chains' load: the p99 target's rate (issue 21), 5 s of it counted. */
export const CHAIN: ChainSettings = { rate: 1000, seconds: 6 }

/** Measures and prints one commit alone (bench/_commit.ts), then the chains both passes wait for. */
export async function commitFloors (url: string, counterparty: 'pack' | 'quickfix'): Promise<CommitFloors> {
  const one = await commitLatency(url)
  console.log(commitLine(one, counterparty))
  const n = commitsInSeries(counterparty)
  const chains = new Map<number, CommitLatency>()
  for (const stages of [n.toCounterparty, n.roundTrip]) chains.set(stages, await commitChain(url, stages, CHAIN))
  console.log(chainLine([...chains].map(([stages, latency]) => ({ stages, latency })), CHAIN))
  return { one, chains }
}

/** What a pass's p99 is read against: one commit, how many it waits for, and that chain alone. */
export function floorOf (f: CommitFloors | undefined, counterparty: 'pack' | 'quickfix', reports: boolean):
CommitFloor | undefined {
  if (f === undefined) return undefined
  const inSeries = commitsInSeries(counterparty)[reports ? 'roundTrip' : 'toCounterparty']
  const chain = f.chains.get(inSeries)
  return { latency: f.one, inSeries, chain: chain === undefined ? undefined : { rate: CHAIN.rate, latency: chain } }
}

/**
 * BENCH_E2E_CHAIN_BESIDE=<rows/s> (unset: none): the chain of a pass's count also runs beside each
 * fixed rate, at that many rows a second, on the run's server, for the phase's length. It says what
 * the commits alone take under the phase's own WAL and CPU, next to the phase's p99 (the chain on
 * the idle server above is a floor that the phase's load raises). Its own commits (at most one a
 * stage every 10 ms) join the phase's, so a run with it is a labelled variant.
 */
export function besideRate (env: Record<string, string | undefined> = process.env): number | undefined {
  return countSetting('BENCH_E2E_CHAIN_BESIDE', env)
}

/**
 * Starts the chain beside a phase (`rate` from besideRate; nothing without it or a server). Resolves
 * to the line's text, or to why the chain failed: it never rejects, so the phase goes on.
 */
export function chainBeside (
  url: string | undefined, rate: number | undefined, counterparty: 'pack' | 'quickfix', reports: boolean,
  seconds: number
): Promise<string> | undefined {
  if (url === undefined || rate === undefined) return undefined
  const stages = commitsInSeries(counterparty)[reports ? 'roundTrip' : 'toCounterparty']
  return commitChain(url, stages, { rate, seconds }).then(
    c => seriesText(stages, c),
    (err: unknown) => `${stages} in series failed: ${err instanceof Error ? err.message : String(err)}`)
}

/** The line of the chains run beside the fixed rates, if any ran. */
export function besideLines (rate: number | undefined, each: string[]): string[] {
  if (rate === undefined || each.length === 0) return []
  return [`the commit chain beside each fixed rate (BENCH_E2E_CHAIN_BESIDE: ${rate} rows/s, one batch in flight ` +
    `a stage, the phase's length, its first second not counted): ${each.join('; ')}`]
}
