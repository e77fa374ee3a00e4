/**
 * One fuzz run: a real fix-session acceptor (the conformance suite's target: SessionRuntime, the
 * builtin dictionary, a PGlite store, the echoing test application) on 127.0.0.1, and the
 * fuzzer's counterparty writing valid frames of a logged-on session and, more often, mutated ones
 * (mutator.ts), with garbage between frames, writes cut into pieces, connections pulled and
 * junk before a Logon. After every batch a TestRequest must be answered (or the engine must have
 * ended the session as the protocol says, and take a new Logon). Throughout: no exception reaches
 * the process (uncaughtException, unhandledRejection), the engine reports no internal error, every
 * frame it sends passes the AnswerChecker, and the event loop never stalls longer than the bound.
 * At the end the session is logged on and sends an order back.
 */
import { monitorEventLoopDelay } from 'perf_hooks'
import { migrate, PgDatabase } from '../../core'
import { openStore, startTarget, Store } from '../conformance/target'
import { dropSchema, serverOptions, uniqueSchema } from '../support/databases'
import { ENGINE_COMP_ID, SCRIPT_COMP_ID, VERSIONS } from '../conformance/versions'
import type { VersionId } from '../conformance/script'
import { AnswerChecker } from './checker'
import { Counterparty } from './counterparty'
import { baseMessage, Field, KIND_WEIGHTS, logon } from './messages'
import { garbage, mutate, split } from './mutator'
import { Random } from './random'

export interface FuzzOptions {
  /** Mutated frames to send (clean ones come on top). */
  frames: number
  seed: number
  version?: VersionId
  /** The longest event-loop stall allowed, in ms. */
  maxStallMs?: number
  /** Progress lines (every 10,000 mutated frames). */
  log?: (line: string) => void
}

export interface FuzzResult {
  seed: number
  mutated: number
  clean: number
  answers: number
  reconnects: number
  resetLogons: number
  aborts: number
  preLogon: number
  seconds: number
  maxStallMs: number
  /** Wall time spent waiting for probe answers and on logging on again. */
  probeSeconds: number
  reconnectSeconds: number
  gapsFound: number
  gapsFilled: number
  /** Connections that began with the engine's numbers reset by a 141=Y Logon it could not answer. */
  unansweredResets: number
  /** How often each mutation was applied, and what the engine reported (event type: count). */
  mutations: Record<string, number>
  events: Record<string, number>
  problems: string[]
  transcript: string[]
  /** The engine's last events, for a failure's report. */
  engineLog: string[]
}

const HEARTBEAT_S = 2
const BATCH = 40
const MUTATE = 0.6
const PROBE_MS = 15_000

export async function runFuzz (o: FuzzOptions): Promise<FuzzResult> {
  const r = new Random(o.seed)
  const v = VERSIONS.find(x => x.id === (o.version ?? 'FIX.4.4'))!
  const maxStall = o.maxStallMs ?? 2000
  const res: FuzzResult = {
    seed: o.seed,
    mutated: 0,
    clean: 0,
    answers: 0,
    reconnects: 0,
    resetLogons: 0,
    aborts: 0,
    preLogon: 0,
    seconds: 0,
    maxStallMs: 0,
    probeSeconds: 0,
    reconnectSeconds: 0,
    gapsFound: 0,
    gapsFilled: 0,
    unansweredResets: 0,
    mutations: {},
    events: {},
    problems: [],
    transcript: [],
    engineLog: []
  }
  const thrown = (kind: string) => (err: unknown): void => {
    res.problems.push(`${kind}: ${(err as Error)?.stack ?? String(err)}`)
  }
  const onException = thrown('uncaughtException')
  const onRejection = thrown('unhandledRejection')
  process.on('uncaughtException', onException)
  process.on('unhandledRejection', onRejection)
  const stalls = monitorEventLoopDelay({ resolution: 20 })
  const t0 = Date.now()
  const store = await openFuzzStore()
  const target = await startTarget(store, {
    version: v.id,
    profile: 'fresh',
    role: 'acceptor',
    name: `fuzz-${process.pid}-${o.seed}`,
    senderCompID: ENGINE_COMP_ID,
    targetCompID: SCRIPT_COMP_ID,
    heartBtInt: HEARTBEAT_S
  })
  const id = {
    beginString: v.beginString,
    sender: SCRIPT_COMP_ID,
    target: ENGINE_COMP_ID,
    logonExtra: v.logonExtra === '' ? [] : [v.logonExtra.replace(/\|$/, '').split('=') as Field]
  }
  const checker = new AnswerChecker({
    beginString: v.beginString,
    engineCompID: ENGINE_COMP_ID,
    fuzzerCompID: SCRIPT_COMP_ID,
    maxRejectReason: v.maxRejectReason
  })
  const cp = new Counterparty({ port: target.port, id, heartBtInt: HEARTBEAT_S, checker })
  const collect = (): void => {
    for (const line of target.log.splice(0)) {
      res.engineLog.push(line.slice(0, 300))
      if (res.engineLog.length > 60) res.engineLog.shift()
      const type = line.startsWith('{') ? (JSON.parse(line) as { type: string }).type : line.split(':')[0]
      res.events[type] = (res.events[type] ?? 0) + 1
      // A socket error (EPIPE, ECONNRESET: the fuzzer went away) is the transport's news, not the engine's fault.
      if (type === 'error' && !line.includes('"text":"transport: ')) {
        res.problems.push(`the engine reported an internal error: ${line.slice(0, 300)}`)
      }
    }
    res.problems.push(...checker.problems.splice(0))
    res.maxStallMs = Math.max(res.maxStallMs, stalls.max / 1e6)
    if (stalls.max / 1e6 > maxStall) res.problems.push(`the event loop stalled for ${(stalls.max / 1e6).toFixed(0)} ms`)
    stalls.reset()
  }
  stalls.enable()
  let serial = 0
  let nextReport = 10_000
  try {
    await cp.reconnect()
    while (res.mutated < o.frames && res.problems.length === 0) {
      if (!cp.loggedOn) {
        if (r.chance(0.1)) {
          // Junk first on a connection of its own: a mutated Logon or bytes that are no frame.
          res.preLogon++
          const d = logon(id, cp.seq, new Date(), HEARTBEAT_S, false)
          await cp.preLogon(r.chance(0.5) ? mutate(r, d).bytes : garbage(r))
        }
        const t = Date.now()
        await cp.reconnect()
        res.reconnectSeconds += (Date.now() - t) / 1000
      }
      for (let i = 0; i < BATCH && cp.loggedOn; i++) {
        const kind = r.weighted(KIND_WEIGHTS)
        const seq = kind === 'resetLogon' ? 1 : cp.nextSeq()
        const d = baseMessage(r, kind, {
          id,
          seq,
          now: new Date(),
          engineNext: checker.engineNext,
          serial: ++serial,
          heartBtInt: HEARTBEAT_S
        })
        if (kind === 'resetLogon') {
          cp.seq = 2
          cp.restarted()
        }
        if (r.chance(0.02)) await cp.write([garbage(r)], 'garbage')
        const cut = r.chance(0.1) ? (b: Buffer) => split(r, b) : (b: Buffer) => [b]
        if (r.chance(MUTATE)) {
          const m = mutate(r, d)
          for (const n of m.names) res.mutations[n] = (res.mutations[n] ?? 0) + 1
          if (await cp.write(cut(m.bytes), m.names.join('+'))) res.mutated++
        } else if (await cp.send(d, kind, cut)) {
          res.clean++
        }
        if (r.chance(0.0005)) {
          res.aborts++
          cp.abort()
        }
      }
      const t = Date.now()
      const probe = await cp.probe(PROBE_MS)
      res.probeSeconds += (Date.now() - t) / 1000
      if (probe === 'timeout') res.problems.push(`a logged-on engine did not answer TestRequests for ${PROBE_MS} ms`)
      if (probe === 'answered' && checker.openGap() !== undefined) {
        res.problems.push(`the engine did not resend ${JSON.stringify(checker.openGap())} when asked`)
      }
      collect()
      if (res.mutated >= nextReport) {
        nextReport += 10_000
        o.log?.(`fuzz: ${res.mutated} mutated frames, ${cp.answers} answers, ${cp.reconnects} reconnects, ` +
          `${((Date.now() - t0) / 1000).toFixed(0)} s`)
      }
    }
    // The end: logged on (again if the last frames ended it) and the application still answers.
    if (res.problems.length === 0) {
      if (!cp.loggedOn) await cp.reconnect()
      const probe = await cp.probe(PROBE_MS)
      if (probe !== 'answered') res.problems.push(`after the run the session does not answer a TestRequest (${probe})`)
      else if (!await cp.orderEchoed(`FINAL-${o.seed}`, 10_000)) res.problems.push('after the run no order is echoed')
      await cp.logout()
    }
  } catch (err) {
    res.problems.push(`the run stopped: ${(err as Error).stack ?? String(err)}`)
  } finally {
    cp.abort()
    await target.stop().catch(err => res.problems.push(`stopping the engine: ${(err as Error).message}`))
    await store.close().catch(() => {})
    collect()
    stalls.disable()
    process.removeListener('uncaughtException', onException)
    process.removeListener('unhandledRejection', onRejection)
  }
  Object.assign(res, {
    answers: cp.answers,
    reconnects: cp.reconnects,
    resetLogons: cp.resetLogons,
    seconds: (Date.now() - t0) / 1000,
    gapsFound: checker.gapsFound,
    gapsFilled: checker.gapsFilled,
    unansweredResets: checker.unansweredResets,
    transcript: cp.transcript
  })
  return res
}

/**
 * The engine's store: the PostgreSQL server when DATABASE_URL is set (as in CI: the database work
 * then runs beside the fuzzer, not on its event loop), else PGlite in memory.
 */
async function openFuzzStore (): Promise<Store> {
  const pg = serverOptions()
  if (pg === undefined) return await openStore()
  const db = await PgDatabase.open({ ...pg, applicationName: 'fix-streamers-fuzz' })
  const schema = uniqueSchema('fuzz')
  await migrate(db, schema)
  return {
    db,
    schema,
    close: async () => {
      await dropSchema(db, schema)
      await db.close()
    }
  }
}

/** The line CI prints: `fuzz: N frames, N answers, N reconnects, <time>` (frames: mutated ones). */
export function summary (x: FuzzResult): string {
  return `fuzz: ${x.mutated} frames, ${x.answers} answers, ${x.reconnects} reconnects, ${x.seconds.toFixed(1)} s`
}

/** What else happened, for the log: clean frames, resets, stalls, the engine's events. */
export function details (x: FuzzResult): string {
  const top = (rec: Record<string, number>): string =>
    Object.entries(rec).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')
  return `  seed ${x.seed}; ${x.clean} clean frames besides; ${x.resetLogons} logons with 141=Y; ` +
    `${x.unansweredResets} resets by a 141=Y Logon the engine could not answer; ${x.aborts} ` +
    `connections pulled; ${x.preLogon} junk connections; gaps at logon ${x.gapsFound} found, ${x.gapsFilled} ` +
    `filled; longest event-loop stall ${x.maxStallMs.toFixed(0)} ms; waiting for probes ` +
    `${x.probeSeconds.toFixed(0)} s, ` +
    `logging on again ${x.reconnectSeconds.toFixed(0)} s\n  mutations: ${top(x.mutations)}\n` +
    `  engine events: ${top(x.events)}`
}
