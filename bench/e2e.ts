/**
 * End-to-end benchmark (`npm run bench -- e2e`): Node-RED 4.1 as a child process with the e2e
 * flows (test/support/e2e/flows.ts) against the counterparty process. Measures orders per second from the
 * insert into the audited `orders` table to receipt at the counterparty, sustained for 60 s
 * (PRODUCERS connections, each one 500-order INSERT at a time, keep at most BACKLOG orders not yet
 * received; in the round trip pass not yet filled,
 * and round trips/s = fills applied to `orders` per second); latency p50/p99 (the order due -> frame read
 * by the counterparty, and in the round trip pass the order due -> fill applied, same machine clock) at
 * fixed insert rates of 100, 1,000 and 5,000 orders/s, sent by an open loop (bench/_paced.ts) on a pool
 * of connections opened and warmed before the sustained phase and kept open (bench/_driver.ts);
 * peak RSS of the Node-RED process and its heap after each full collection (Node-RED runs with
 * --trace-gc; bench/_heap.ts). Before each fixed-rate phase the pipeline has drained, the
 * test schemas are vacuumed and analysed and the server checkpoints. Durability (bench/_postgres.ts):
 * PostgreSQL with fsync=on and synchronous_commit=on unless BENCH_E2E_DURABILITY=off (the labelled
 * fsync=off variant); the server at DATABASE_URL must match, and without DATABASE_URL the bench starts a
 * throw-away one; the header prints the server's settings not at PostgreSQL's defaults;
 * BENCH_E2E_DATABASE=pglite runs on embedded PGlite (orders then go in through an HTTP endpoint of the
 * flow). In the same run, QuickFIX/C++ against itself (bench/_quickfix.ts; BENCH_E2E_QUICKFIX=0 skips
 * it, BENCH_E2E_QUICKFIX_SYNC=1 adds fdatasync to its FileStore) and the ratios of the two;
 * BENCH_E2E_COUNTERPARTY=quickfix runs the Node-RED passes against the QuickFIX executor instead of
 * the pack's counterparty.
 * Knobs: NODE_RED_RUNTIME (node-red, or node-red-5: Node-RED 5 on Node.js 22), BENCH_E2E_SECONDS (60),
 * BENCH_E2E_RATE_SECONDS (15), BENCH_E2E_RATES (100,1000,5000; empty: none; bench/_knobs.ts),
 * BENCH_E2E_PROF=1 (--cpu-prof of Node-RED and the counterparty),
 * BENCH_E2E_INFLIGHT (clients' in-flight window), BENCH_E2E_INBOUND_INFLIGHT (the inbound client's
 * only), BENCH_E2E_APPLY_BATCH (streamer-sql batch of the inbound apply; 1 = one commit per report),
 * BENCH_E2E_APPLY_SET=0 (the apply's batch as one statement per report instead of one set-based statement),
 * BENCH_E2E_BATCH / BENCH_E2E_POLL_MS (streamers),
 * BENCH_E2E_CHECKPOINT=0 (no CHECKPOINT before each fixed rate), BENCH_E2E_CHAIN_BESIDE=<rows/s> (a variant:
 * the commit chain of bench/_commit-chain.ts beside each fixed rate),
 * BENCH_E2E_PRODUCERS (2; 1 to 4 concurrent 500-order INSERTs in the sustained phase, the pool's size),
 * BENCH_E2E_NODE_ARGS (extra node arguments for Node-RED), BENCH_E2E_COUNTERPARTY_ARGS (for the pack's
 * counterparty), BENCH_E2E_MODES (outbound,round-trip: the
 * counterparty answers no order, or every order with two ExecutionReports that flow back in; empty: only
 * the QuickFIX baseline),
 * BENCH_E2E_KEEP=1 (keep the logs), BENCH_E2E_DUMP=<prefix> (each order's insert time, latency,
 * its insert / pipeline / wire parts, in the round trip pass its whole round trip and its way back, and its id
 * per fixed rate, in <prefix>-<pass>-<rate>-<phase number>.tsv, pass outbound or round-trip).
 */
import * as fs from 'fs'
import * as path from 'path'
import { Client } from 'pg'
import { quoteQualified } from '../core/db'
import { Counterparty, nodeRedLabel, peakRssMb, sleep, waitFor, wallMs } from '../test/support/e2e/harness'
import { E2eSystem, order } from '../test/support/e2e/system'
import { BenchDatabase, benchDatabase } from './_postgres'
import { compareWithQuickfix, PassSummary } from './_compare'
import { QuickfixExecutor } from './_quickfix'
import { gcPauseLine, heapLine, processStartMs, readGcEvents, readHeapTrace } from './_heap'
import { walFlushes, workLines, workMark, WorkMark } from './_work'
import { cpuBetween, cpuByPart, machineMeter } from './_cpu'
import { Fills, FillWayBack } from './_filled'
import { paced } from './_paced'
import { OrderDriver } from './_driver'
import { BackSegments, percentile, reportPass, Row, Segments } from './_e2e-report'
import { insertOrdersSql } from '../test/support/e2e/flows'
import { besideLines, besideRate, chainBeside, commitFloors, CommitFloors, floorOf } from './_commit-chain'
import { countOr, countSetting, ratesSetting, secondsSetting } from './_knobs'

const SUSTAIN_S = secondsSetting('BENCH_E2E_SECONDS', 60)
const RATE_S = secondsSetting('BENCH_E2E_RATE_SECONDS', 15)
const RATES = ratesSetting()
const BESIDE = besideRate()
/** The flows' windows, batches and poll interval; unset: the flows' own (checked before anything starts). */
const PIPELINE = {
  inFlight: countSetting('BENCH_E2E_INFLIGHT'),
  inboundInFlight: countSetting('BENCH_E2E_INBOUND_INFLIGHT'),
  applyBatch: countSetting('BENCH_E2E_APPLY_BATCH'),
  batchSize: countSetting('BENCH_E2E_BATCH'),
  pollMs: countSetting('BENCH_E2E_POLL_MS')
}
const BACKLOG = 10000
/** CHECKPOINT before each fixed-rate phase; BENCH_E2E_CHECKPOINT=0 lets the previous phase's writes run into it. */
const SETTLE_CHECKPOINT = process.env.BENCH_E2E_CHECKPOINT !== '0'
/** Concurrent insert statements in the sustained phase (each 500 orders, on its own connection of the pool). */
const PRODUCERS = countOr('BENCH_E2E_PRODUCERS', 2, process.env, 4)
export async function run (): Promise<void> {
  // Empty: no Node-RED pass, only the QuickFIX baseline.
  const modes = (process.env.BENCH_E2E_MODES ?? 'outbound,round-trip').split(',')
    .map(m => m.trim())
    .filter(m => m !== '')
  for (const mode of modes) {
    if (mode !== 'outbound' && mode !== 'round-trip') {
      throw new Error(`BENCH_E2E_MODES: unknown mode "${mode}" (outbound, round-trip)`)
    }
  }
  const db = await benchDatabase()
  // E2eSystem and the counterparty read DATABASE_URL: this run's database, restored afterwards.
  const before = process.env.DATABASE_URL
  if (db.url !== undefined) process.env.DATABASE_URL = db.url
  else delete process.env.DATABASE_URL
  console.log(`database of every table below: ${db.label}`)
  if (db.settings !== undefined) console.log(`its settings not at PostgreSQL's defaults: ${db.settings}`)
  const passes: PassSummary[] = []
  try {
    // The floor under every latency below, on this host today (bench/_commit.ts, _commit-chain.ts); PGlite has
    // no server to ask.
    const commit = db.url !== undefined ? await commitFloors(db.url, counterpartyKind()) : undefined
    for (const mode of modes) {
      console.log(mode === 'outbound'
        ? '\n### outbound: the counterparty reads the orders and answers none (only the outbound flow runs)'
        : '\n### round trip: the counterparty answers every order with two ExecutionReports, which the inbound ' +
          'flow writes to fix_in, streams and applies to `orders`')
      passes.push(await runMode(mode === 'round-trip', db, commit))
    }
    await compareWithQuickfix(passes, db, { sustainS: SUSTAIN_S, window: BACKLOG, rateS: RATE_S, rates: RATES })
  } finally {
    if (before === undefined) delete process.env.DATABASE_URL
    else process.env.DATABASE_URL = before
    await db.stop()
  }
}

/** BENCH_E2E_COUNTERPARTY: the pack's counterparty (default) or the QuickFIX/C++ executor. */
function counterpartyKind (): 'pack' | 'quickfix' {
  const v = process.env.BENCH_E2E_COUNTERPARTY ?? 'pack'
  if (v !== 'pack' && v !== 'quickfix') throw new Error(`BENCH_E2E_COUNTERPARTY must be pack or quickfix, not "${v}"`)
  return v
}

/** Extra node arguments for Node-RED (BENCH_E2E_NODE_ARGS): a labelled variant, Node.js's defaults without. */
function nodeRedArgs (): string[] {
  return (process.env.BENCH_E2E_NODE_ARGS ?? '').split(' ').filter(a => a !== '')
}

/**
 * What makes this run a variant rather than the default command, for the header (`args`) and for
 * the line against the targets (`label`, empty by default): Node-RED's own start flags change its
 * heap and GC (docs/operations.md), so a figure measured with them must say so where it is read.
 */
function variantOf (): { args: string, label: string } {
  const args = nodeRedArgs()
  const parts: string[] = []
  if (args.length > 0) parts.push(`Node-RED started with ${args.join(' ')}`)
  if (counterpartyKind() === 'quickfix') parts.push('against the QuickFIX/C++ executor')
  if (BESIDE !== undefined) parts.push(`the commit chain run beside each fixed rate at ${BESIDE} rows/s`)
  return { args: args.length > 0 ? `, started with ${args.join(' ')}` : '', label: parts.join('; ') }
}

async function runMode (reports: boolean, db: BenchDatabase, commit: CommitFloors | undefined): Promise<PassSummary> {
  const prof = process.env.BENCH_E2E_PROF === '1'
  const profArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.cwd(), 'profiles')}`] : []
  const sys: E2eSystem = new E2eSystem({
    label: 'bench',
    inFlight: PIPELINE.inFlight,
    inboundInFlight: PIPELINE.inboundInFlight,
    applyBatch: PIPELINE.applyBatch,
    applySet: process.env.BENCH_E2E_APPLY_SET === '0' ? false : undefined,
    reports,
    batchSize: PIPELINE.batchSize,
    pollMs: PIPELINE.pollMs,
    // --trace-gc: the heap after each full collection (bench/_heap.ts); a line per collection in the log.
    nodeArgs: ['--trace-gc', ...profArgs, ...nodeRedArgs()],
    counterpartyNodeArgs: [...profArgs,
      ...(process.env.BENCH_E2E_COUNTERPARTY_ARGS ?? '').split(' ').filter(a => a !== '')],
    counterparty: counterpartyKind() === 'quickfix'
      ? async (): Promise<Counterparty> => (await QuickfixExecutor.start({
        dir: path.join(sys.dir, 'quickfix-executor'),
        sync: process.env.BENCH_E2E_QUICKFIX_SYNC === '1',
        quiet: !reports,
        sender: 'EXCH',
        target: 'NRED'
      })).asCounterparty()
      : undefined
  })
  const vacuumed = sys.url !== undefined
    ? '; before the sustained phase and each fixed rate the pipeline drains and the schemas are vacuumed and ' +
      'analysed' +
      (SETTLE_CHECKPOINT
        ? ', then a CHECKPOINT (the previous phase\'s writes synced)'
        : ' (no CHECKPOINT: BENCH_E2E_CHECKPOINT=0)')
    : ''
  const counterparty = counterpartyKind() === 'quickfix'
    ? 'the QuickFIX/C++ executor (bench/quickfix/roundtrip.cpp, FileStore; an order counts as received when it ' +
      'reaches its Application)'
    : 'the pack\'s session layer with its own store (test/support/e2e/counterparty.ts)'
  const perReport = process.env.BENCH_E2E_APPLY_SET === '0'
  const apply = !reports
    ? ''
    : `; fills applied by ${perReport ? 'one statement per report' : 'one set-based statement per batch'}`
  const variant = variantOf()
  console.log(`e2e: Node-RED child process (${nodeRedLabel()}${variant.args}) + counterparty process: ` +
    `${counterparty}; ${sys.describe()}${vacuumed}${apply}`)
  const rows: Row[] = []
  const segments: Segments[] = []
  const backs: BackSegments[] = []
  const since = new Date()
  const stats = sys.url !== undefined ? new Client({ connectionString: sys.url }) : undefined
  let cpuLine = ''
  let busyLine = ''
  let cpuPerOrder: number | undefined
  let fillsPerS: number | undefined
  let unfilledAtEnd = 0
  const steals: string[] = []
  // Per fixed rate: the INSERTs that started while an earlier one still ran (bench/_paced.ts).
  const overlaps: string[] = []
  const workLinesOut: string[] = []
  const walOut: string[] = []
  const besideOut: string[] = []
  const loadAvg = (): string => require('os').loadavg()[0].toFixed(1)
  let nextId = 1
  const insertedAt = new Map<number, number>()
  // Wall-clock span of each fixed-rate phase, for the GC pauses of Node-RED's --trace-gc log in it.
  const phaseSpans: Array<{ label: string, from: number, to: number }> = []
  // On a server, the orders go in through the bench's own pool, warm before the fixed rates
  // (bench/_driver.ts); on PGlite through the flow's HTTP endpoint.
  let driver: OrderDriver | undefined
  // Per fixed rate: connections the driver opened during it (0 unless one was lost).
  const opened: string[] = []
  // Per fixed rate: the server's backends that started during it and still run, by application name
  // (Node-RED's pool growing in the phase: a new connection and its cold first statements).
  const started: string[] = []
  try {
    await sys.start()
    if (sys.url !== undefined) driver = new OrderDriver(sys.url, insertOrdersSql(sys.schema))
    const insertOrders = async (orders: ReturnType<typeof order>[]): Promise<void> =>
      driver !== undefined ? await driver.insert(orders) : await sys.insert(orders)
    const redStart = processStartMs(sys.nodeRed!.pid)
    await stats?.connect()
    const received = async (): Promise<number> => (await sys.counterparty!.stats()).orders
    // Round trips completed: orders whose fill has been applied to `orders`.
    const fills = new Fills(stats, sys.schema, async () => (await sys.counts()).filled)
    const drain = async (): Promise<void> => {
      await waitFor(
        async () => (await received()) >= nextId - 1,
        300000,
        'the counterparty to receive every order',
        200
      )
      if (reports) {
        // The index range scan from the last unfilled order (bench/_filled.ts), not sys.counts(): that
        // one reads fix_in and fix_out too and would be most of the database's work while the backlog drains.
        await waitFor(async () => await fills.unfilledFrom(nextId) >= nextId, 300000, 'every fill applied', 200)
      }
    }
    // The warm-up's and the sustained phase's inserts (the fixed rates time theirs: bench/_paced.ts).
    const insert = async (n: number): Promise<void> => {
      const ids: number[] = []
      for (let i = 0; i < n; i++) ids.push(nextId++)
      await insertOrders(ids.map(order))
    }

    // The previous phase's rows leave autovacuum work (visibility map, statistics) that PostgreSQL
    // would otherwise do during the next phase, within a minute; done here, each fixed-rate phase
    // measures its own load.
    const settle = async (): Promise<void> => {
      if (stats === undefined) return
      for (const schema of [sys.schema, sys.counterpartySchema]) {
        const { rows: tables } = await stats.query('SELECT tablename FROM pg_tables WHERE schemaname = $1', [schema])
        for (const t of tables) await stats.query(`VACUUM (ANALYZE) ${quoteQualified({ schema, name: t.tablename })}`)
      }
      // The previous phase's writes on disk before this one starts. The sustained phase writes
      // hundreds of MB of WAL: the checkpoint that starts then spreads its writes over up to 4.5
      // minutes (checkpoint_completion_target of checkpoint_timeout, the WAL being slow at a fixed
      // rate) and fsyncs every file it wrote at its end, inside a later phase; and the buffers the
      // backends evicted during it (hundreds of MB, backend_flush_after=0) wait dirty in the page cache
      // until the kernel writes them back, 30 s later, in bursts every 5 s; a WAL flush behind such a
      // burst took 20-120 ms (docs/performance.md, 4 December 2026, session 17). A CHECKPOINT here
      // writes and fsyncs all of it, so each fixed-rate phase waits for its own writes only.
      if (SETTLE_CHECKPOINT) await stats.query('CHECKPOINT')
    }

    // Warm-up: JIT, dictionaries, connections; every connection of the driver opened and its backend
    // warm (the open loop uses all of them), kept open through the sustained phase.
    const warmDriver = async (): Promise<void> => {
      await driver?.warm(() => Array.from({ length: 100 }, () => order(nextId++)))
    }
    await warmDriver()
    for (let i = 0; i < 10; i++) await insert(100)
    await drain()
    // The warm-up's tables analysed before the sustained phase too. Node-RED made them a moment ago,
    // and its prepared statements' plans were chosen on a few rows: a Seq Scan of `orders` for the
    // apply, a Bitmap Heap Scan and a Sort of the whole backlog for each read of the fix_in stream.
    // Those plans are kept until autovacuum first vacuums or analyses the table (it looks once a
    // minute), so the phase measured them for all, part or none of its length, differently from run
    // to run (docs/performance.md, session 25). An application's tables have statistics.
    await settle()

    // Sustained: as fast as the pipeline takes them, with a bounded backlog: at most BACKLOG orders
    // not yet received by the counterparty (outbound), not yet filled (round trip: the inbound half
    // must keep up too, or the phase measures only the outbound half and a queue that grows without end).
    {
      const first = nextId
      const r0 = await received()
      const f0 = reports ? await fills.total() : 0
      const t0 = Date.now()
      const ahead = async (): Promise<number> =>
        reports ? nextId - await fills.unfilledFrom(nextId) : nextId - 1 - await received()
      let backlog = 0
      let lastPoll = 0
      const cpu0 = await cpuByPart(stats, since, sys.nodeRed!.pid, sys.counterparty!.child.pid)
      const work0 = stats !== undefined ? await workMark(stats) : undefined
      const meter = machineMeter()
      // PRODUCERS statements in flight on as many connections of the pool: one statement after
      // another on one connection offered about 10,000 orders/s on the idle 2-vCPU machine, barely
      // more than the outbound pass took, so the phase measured the producer as much as the pipeline.
      // The ids are taken before each statement, so two statements' orders interleave by commit,
      // as an application with several writers makes them.
      const produce = async (): Promise<void> => {
        while (Date.now() - t0 < SUSTAIN_S * 1000) {
          if (Date.now() - lastPoll > 200) { lastPoll = Date.now(); backlog = await ahead() }
          if (backlog < BACKLOG) {
            backlog += 500
            await insert(500)
          } else await sleep(20)
        }
      }
      await Promise.all(Array.from({ length: PRODUCERS }, produce))
      const r1 = await received()
      const secs = (Date.now() - t0) / 1000
      const m = meter()
      const f1 = reports ? await fills.total() : 0
      if (reports) fillsPerS = (f1 - f0) / secs
      // Orders out minus fills over the phase: the backlog it ended with (its bound filled once, at the start).
      if (reports) unfilledAtEnd = nextId - first - (f1 - f0)
      // Per round trip completed (fill applied) in the round trip pass, per order received in the outbound one.
      const units = reports ? f1 - f0 : r1 - r0
      const cpu1 = cpuBetween(cpu0, await cpuByPart(stats, since, sys.nodeRed!.pid, sys.counterparty!.child.pid))
      const per = [...cpu1].map(([k, v]) => `${k} ${(v / Math.max(1, units)).toFixed(2)}`)
      const cpuAll = [...cpu1].reduce((sum, [, v]) => sum + v, 0)
      cpuLine = `CPU ms per ${reports ? 'round trip completed' : 'order received'} in the sustained phase: ` +
        `${per.join(', ')}, all ${(cpuAll / Math.max(1, units)).toFixed(2)} (backends that closed during the phase ` +
        'are not counted)'
      const ncpu = require('os').cpus().length
      busyLine = `machine CPU in the sustained phase: idle ${m.idle}, stolen ${m.steal}; this bench's processes ` +
        `used ${((cpuAll / (secs * 1000 * ncpu)) * 100).toFixed(1)}% of the ${ncpu} CPUs (load ${loadAvg()})`
      steals.push(`sustained ${m.steal} (load ${loadAvg()})`)
      rows.push({
        phase: `sustained ${SUSTAIN_S} s`,
        offered: `max (${PRODUCERS} producers, ` +
          `${Math.round((nextId - first) / secs).toLocaleString('en-US')}/s inserted)`,
        achieved: (r1 - r0) / secs
      })
      await drain()
      // The whole path of every order of the phase, the inbound half included: per order, not per second.
      const done = nextId - first
      const cpu2 = cpuBetween(cpu0, await cpuByPart(stats, since, sys.nodeRed!.pid, sys.counterparty!.child.pid))
      const per2 = [...cpu2].map(([k, v]) => `${k} ${(v / Math.max(1, done)).toFixed(3)}`)
      const all2 = [...cpu2].reduce((sum, [, v]) => sum + v, 0) / Math.max(1, done)
      // What the comparison uses: every order of the phase completed, none still in the pipeline.
      cpuPerOrder = all2
      workLinesOut.push(`CPU ms per order, the sustained phase and its drain (${done} orders, every one ` +
        `${reports ? 'filled' : 'received'}): ${per2.join(', ')}, all ${all2.toFixed(3)}`)
      if (work0 !== undefined && stats !== undefined) {
        const work1 = await workMark(stats)
        workLinesOut.push(...workLines(work0, work1, done))
        const wal = walFlushes(work0, work1, done)
        if (wal !== undefined) walOut.push(`sustained and its drain ${wal}`)
      }
    }

    // Fixed rates: an open loop (bench/_paced.ts), each order's latency counted from when it was due.
    for (const rate of RATES) {
      if (driver !== undefined && driver.open < driver.size) {
        // A connection lost (none is closed while idle): opened and warmed again before the phase.
        await warmDriver()
        await drain()
      }
      await settle()
      const opened0 = driver?.opened ?? 0
      const meter = machineMeter()
      const first = nextId
      const mark0: WorkMark | undefined = stats !== undefined ? await workMark(stats) : undefined
      const t0 = Date.now()
      const beside = chainBeside(db.url, BESIDE, counterpartyKind(), reports, RATE_S)
      const load = await paced(rate, RATE_S, wallMs, async dueAt => {
        const ids = dueAt.map((at, i) => { insertedAt.set(nextId + i, at); return nextId + i })
        nextId += ids.length
        await insertOrders(ids.map(order))
      })
      overlaps.push(`${rate.toLocaleString('en-US')}/s ${load.overlapped}`)
      if (beside !== undefined) besideOut.push(`${rate.toLocaleString('en-US')}/s ${await beside}`)
      if (driver !== undefined) opened.push(`${rate.toLocaleString('en-US')}/s ${driver.opened - opened0}`)
      if (stats !== undefined) {
        const { rows: born } = await stats.query(
          `SELECT coalesce(nullif(application_name, ''), '(bench)') AS app, count(*)::int AS n FROM pg_stat_activity
           WHERE backend_type = 'client backend' AND backend_start >= to_timestamp($1 / 1000.0)
             AND backend_start <= to_timestamp($2 / 1000.0) GROUP BY 1 ORDER BY 1`, [t0, Date.now()])
        started.push(`${rate.toLocaleString('en-US')}/s ` +
          (born.length === 0 ? 'none' : born.map(r => `${r.app as string} ${r.n as number}`).join(' + ')))
      }
      const last = nextId - 1
      phaseSpans.push({ label: `the ${rate.toLocaleString('en-US')}/s phase`, from: t0, to: Date.now() })
      steals.push(`${rate.toLocaleString('en-US')}/s ${meter().steal} (load ${loadAvg()})`)
      await drain()
      if (mark0 !== undefined && stats !== undefined) {
        const wal = walFlushes(mark0, await workMark(stats), last - first + 1)
        if (wal !== undefined) walOut.push(`${rate.toLocaleString('en-US')}/s and its drain ${wal}`)
      }
      const records = await sys.counterparty!.records()
      const firstSeen = new Map<number, number>()
      const parts = new Map<number, string>()
      const seg: Segments = { offered: `${rate.toLocaleString('en-US')}/s`, insert: [], pipeline: [], wire: [] }
      for (const rec of records) {
        if (rec.t !== 'D' || rec.c === undefined) continue
        const id = Number(rec.c.slice(1))
        if (id >= first && id <= last && !firstSeen.has(id)) {
          firstSeen.set(id, rec.at)
          if (rec.tt !== undefined && rec.st !== undefined) {
            seg.insert.push(rec.tt - insertedAt.get(id)!)
            seg.pipeline.push(rec.st - rec.tt)
            seg.wire.push(rec.at - rec.st)
            parts.set(id, `${rec.tt - insertedAt.get(id)!}\t${rec.st - rec.tt}\t${rec.at - rec.st}`)
          }
        }
      }
      segments.push(seg)
      const lat = [...firstSeen].map(([id, at]) => at - insertedAt.get(id)!).sort((a, b) => a - b)
      // The whole round trip: the apply's clock_timestamp() when it made the order filled, same machine clock.
      const filledAt = reports ? await fills.filledAt(first, last) : new Map<number, number>()
      const full = [...filledAt].map(([id, at]) => at - insertedAt.get(id)!).sort((a, b) => a - b)
      const wayBack = reports ? await fills.wayBack(first, last) : new Map<number, FillWayBack>()
      if (reports) {
        const back: BackSegments = {
          offered: seg.offered, counterparty: [], wire: [], journal: [], stream: [], apply: []
        }
        for (const [id, w] of wayBack) {
          const seen = firstSeen.get(id)
          if (seen !== undefined) back.counterparty.push(w.sent - seen)
          back.wire.push(w.received - w.sent)
          if (w.journaled !== undefined) back.journal.push(w.journaled - w.received)
          back.stream.push(w.filled - (w.journaled ?? w.received))
          if (w.applied !== undefined) back.apply.push(w.applied - w.filled)
        }
        if (back.wire.length > 0) backs.push(back)
      }
      // For finding stalls: each order's insert time, latency to the counterparty, its insert / pipeline / wire
      // parts, and in the round trip pass the whole round trip and its way back (counterparty / wire / stream),
      // ms, empty where not measured; then its id, to line up with a --trace-gc log.
      if (process.env.BENCH_E2E_DUMP !== undefined) {
        const back = (id: number): string => {
          const w = wayBack.get(id)
          const seen = firstSeen.get(id)
          const fill = filledAt.get(id)
          if (w === undefined || seen === undefined || fill === undefined) return '\t\t\t'
          return `${fill - insertedAt.get(id)!}\t${w.sent - seen}\t${w.received - w.sent}\t` +
            `${w.filled - (w.journaled ?? w.received)}`
        }
        fs.writeFileSync(
          `${process.env.BENCH_E2E_DUMP}-${reports ? 'round-trip' : 'outbound'}-${rate}-${segments.length}.tsv`,
          [...firstSeen].map(([id, at]) =>
            `${insertedAt.get(id)!}\t${at - insertedAt.get(id)!}\t${parts.get(id) ?? '\t\t'}\t${back(id)}\t${id}`)
            .join('\n')
        )
      }
      const recvTimes = [...firstSeen.values()].sort((a, b) => a - b)
      const span = (recvTimes[recvTimes.length - 1] - insertedAt.get(first)!) / 1000
      rows.push({
        phase: `fixed rate ${RATE_S} s`,
        offered: `${rate.toLocaleString('en-US')}/s`,
        achieved: lat.length / span,
        p50: percentile(lat, 0.5),
        p99: percentile(lat, 0.99),
        max: lat[lat.length - 1],
        full: full.length > 0
          ? { p50: percentile(full, 0.5), p99: percentile(full, 0.99), max: full[full.length - 1] }
          : undefined
      })
      insertedAt.clear()
    }
    const gcEvents = readGcEvents(sys.nodeRedLog)
    return reportPass({
      reports,
      database: db.label,
      variant: variant.label,
      commit: floorOf(commit, counterpartyKind(), reports),
      rows,
      segments,
      backs,
      rssMb: peakRssMb(sys.nodeRed!.pid),
      heap: [heapLine(readHeapTrace(sys.nodeRedLog)),
        ...phaseSpans.map(p => gcPauseLine(gcEvents, redStart, p.from, p.to, p.label))],
      fillsPerS,
      unfilledAtEnd,
      backlog: BACKLOG,
      cpuLine,
      busyLine,
      work: [...workLinesOut, ...walOut.length > 0
        ? [`WAL flushes (pg_stat_wal.wal_sync, the whole server; each one a commit waits for): ${walOut.join('; ')}`]
        : [], ...besideLines(BESIDE, besideOut)],
      steals,
      overlaps,
      started,
      driver: driver !== undefined ? { size: driver.size, opened } : undefined,
      cpuPerOrder
    })
  } finally {
    await driver?.end().catch(() => {})
    await stats?.end().catch(() => {})
    const keep = prof || process.env.BENCH_E2E_KEEP === '1'
    await sys.stop(keep)
    if (prof) console.log(`profiles in ${path.join(process.cwd(), 'profiles')}`)
    if (keep) console.log(`logs in ${sys.dir}`)
  }
}
