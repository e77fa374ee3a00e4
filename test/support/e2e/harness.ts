/**
 * End-to-end harness: Node-RED as a child process with this pack loaded from the working tree
 * (4.1 on this Node.js, or 5.x on Node.js 22 with NODE_RED_RUNTIME=node-red-5: nodeRedRuntime()), the
 * counterparty FIX acceptor (counterparty.ts) as another child process, and small helpers to wait,
 * count and kill. Processes are only ever stopped by their own PID.
 */
import { ChildProcess, spawn } from 'child_process'
import * as fs from 'fs'
import * as http from 'http'
import * as path from 'path'
import { eventually } from '../wait'

export const ROOT = path.resolve(__dirname, '..', '..', '..', '..')

export { freePort } from '../ports'
export { sleep } from '../wait'

/** Waits until `check` gives a truthy value; throws naming `what` after `ms`. */
export async function waitFor<T> (check: () => T | Promise<T>, ms: number, what: string, everyMs = 100): Promise<T> {
  return await eventually(check, ms, what, everyMs)
}

/** A small seeded generator, so a failing run can be repeated with its seed. */
export function seededRandom (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

/** One check of a crash test, printed with its figures. */
export interface Check { name: string, ok: boolean, detail: string }

/**
 * Prints each check and then the closing line "<label>: N passed, N failed" (CI sums the lines of
 * that form across its steps). True when every check passed.
 */
export function reportChecks (label: string, checks: Check[]): boolean {
  for (const c of checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`)
  const passed = checks.filter(c => c.ok).length
  console.log(`\n${label}: ${passed} passed, ${checks.length - passed} failed`)
  return passed === checks.length
}

export { tempDir } from '../temp'

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function wallMs (): number {
  return performance.timeOrigin + performance.now()
}

/** Peak resident set size (VmHWM) of a process of ours, in MB; undefined when it is gone. */
export function peakRssMb (pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? undefined : Number(m[1]) / 1024
  } catch {
    return undefined
  }
}

/**
 * One HTTP request on the harness's kept-alive agent. A request that goes out on a reused connection just as
 * the server closes it for idling gets ECONNRESET before any answer (nodejs/node#47130): the server never
 * read it, so it is sent once more, on a new connection. Any other error, or a reset of a new connection,
 * is the caller's.
 */
export async function request (
  method: string, url: string, body?: unknown, timeoutMs = 10000
): Promise<{ status: number, body: any }> {
  try {
    return await requestOnce(method, url, body, timeoutMs, keepAlive)
  } catch (err) {
    if (!(err instanceof ReusedConnectionReset)) throw err
    return await requestOnce(method, url, body, timeoutMs, false)
  }
}

/** ECONNRESET before any answer, on a connection an earlier request had used. */
class ReusedConnectionReset extends Error {}

function requestOnce (
  method: string, url: string, body: unknown, timeoutMs: number, agent: http.Agent | false
): Promise<{ status: number, body: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    let answered = false
    const req = http.request(url, {
      method,
      agent,
      headers: data === undefined ? {} : { 'content-type': 'application/json', 'content-length': data.length },
      timeout: timeoutMs
    }, res => {
      answered = true
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let parsed: unknown = text
        try { parsed = JSON.parse(text) } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, body: parsed })
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)))
    req.on('error', (err: NodeJS.ErrnoException) => {
      const stale = !answered && req.reusedSocket && err.code === 'ECONNRESET'
      reject(stale ? new ReusedConnectionReset(`${method} ${url}: ${err.message}`) : err)
    })
    req.end(data)
  })
}
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 })

/** A child process of ours, with its output kept in a log file and its exit awaited. */
export interface Child {
  readonly name: string
  readonly proc: ChildProcess
  readonly pid: number
  readonly exited: Promise<number | null>
  readonly lines: string[]
  alive: () => boolean
  /** Sends a signal to this PID only. */
  kill: (signal: NodeJS.Signals) => void
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop: (graceMs?: number) => Promise<void>
}

export function startChild (
  name: string, args: string[], opts: { env?: NodeJS.ProcessEnv, logFile: string, cwd?: string, exe?: string }
): Child {
  const proc = spawn(opts.exe ?? process.execPath, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const log = fs.createWriteStream(opts.logFile, { flags: 'a' })
  const lines: string[] = []
  let buf = ''
  const onData = (d: Buffer): void => {
    log.write(d)
    buf += d.toString()
    const parts = buf.split('\n')
    buf = parts.pop() ?? ''
    for (const l of parts) {
      lines.push(l)
      if (lines.length > 2000) lines.splice(0, 1000)
    }
  }
  proc.stdout!.on('data', onData)
  proc.stderr!.on('data', onData)
  let running = true
  const exited = new Promise<number | null>(resolve => proc.on('exit', (code, signal) => {
    running = false
    log.write(`\n[harness] ${name} exited: code ${String(code)} signal ${String(signal)}\n`)
    resolve(code)
  }))
  if (proc.pid === undefined) throw new Error(`${name} did not start`)
  const pid = proc.pid
  const child: Child = {
    name,
    proc,
    pid,
    exited,
    lines,
    alive: () => running,
    kill: signal => { if (running) process.kill(pid, signal) },
    stop: async (graceMs = 10000) => {
      if (!running) return
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await exited
      clearTimeout(t)
    }
  }
  return child
}

export interface NodeRedOptions {
  userDir: string
  flows: unknown[]
  port: number
  env?: NodeJS.ProcessEnv
  logFile: string
  /** Extra node arguments before red.js (e.g. --cpu-prof). */
  nodeArgs?: string[]
  /** Extra settings.js entries (the HA test's `fixStreamers.ha`). */
  settings?: Record<string, unknown>
}

/** The Node-RED that startNodeRed runs, and the Node.js it runs on. */
export interface NodeRedRuntime {
  /** The package: 'node-red' (4.1) or 'node-red-5' (5.x). */
  runtime: string
  version: string
  /** The Node.js binary: this one, or for Node-RED 5 a Node.js 22 (scripts/node22.js) when this one is older. */
  exe: string
  nodeVersion: string
}

/** Found once per process: the chaos and HA tests start Node-RED dozens of times. */
let found: NodeRedRuntime | undefined

/**
 * NODE_RED_RUNTIME names the Node-RED package, as for the node specs (scripts/test.js): 'node-red'
 * (4.1, the default) or 'node-red-5', which needs Node.js 22.9 or later, so it runs on the Node.js 22
 * of scripts/node22.js (installed on first use) unless this process is one already.
 */
export function nodeRedRuntime (): NodeRedRuntime {
  found ??= findNodeRedRuntime()
  return found
}

function findNodeRedRuntime (): NodeRedRuntime {
  const runtime = process.env.NODE_RED_RUNTIME ?? 'node-red'
  if (runtime !== 'node-red' && runtime !== 'node-red-5') {
    throw new Error(`NODE_RED_RUNTIME must be node-red or node-red-5, not "${runtime}"`)
  }
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', runtime, 'package.json'), 'utf8')) as
    { version: string }).version
  let exe = process.execPath
  let nodeVersion = process.version
  if (runtime === 'node-red-5' && Number(process.versions.node.split('.')[0]) < 22) {
    const node22 = require(path.join(ROOT, 'scripts', 'node22.js')) as
      { install: () => string, versionOf: (exe: string) => string }
    exe = node22.install()
    nodeVersion = node22.versionOf(exe)
  }
  return { runtime, version, exe, nodeVersion }
}

/** 'Node-RED 4.1.15 on Node.js v20.20.2': which runtime a test or bench started, for its header. */
export function nodeRedLabel (rt: NodeRedRuntime = nodeRedRuntime()): string {
  return `Node-RED ${rt.version} on Node.js ${rt.nodeVersion}`
}

/**
 * Writes settings and flows into the user directory (once) and starts Node-RED on 127.0.0.1: the
 * runtime of nodeRedRuntime().
 */
export function startNodeRed (o: NodeRedOptions): Child {
  fs.mkdirSync(o.userDir, { recursive: true })
  const settings = path.join(o.userDir, 'e2e-settings.js')
  fs.writeFileSync(settings, `module.exports = ${JSON.stringify({
    uiHost: '127.0.0.1',
    uiPort: o.port,
    flowFile: 'flows.json',
    nodesDir: [ROOT],
    credentialSecret: false,
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
    logging: { console: { level: process.env.E2E_LOG_LEVEL ?? 'info' } },
    ...o.settings
  }, null, 2)}\n`)
  const flowsFile = path.join(o.userDir, 'flows.json')
  if (!fs.existsSync(flowsFile)) fs.writeFileSync(flowsFile, JSON.stringify(o.flows, null, 2))
  const rt = nodeRedRuntime()
  const red = path.join(ROOT, 'node_modules', rt.runtime, 'red.js')
  return startChild('node-red', [...(o.nodeArgs ?? []), red, '-u', o.userDir, '-s', settings], {
    env: o.env,
    logFile: o.logFile,
    exe: rt.exe
  })
}

/** Resolves once Node-RED has started its flows (its log says so) and answers HTTP. */
export async function nodeRedReady (child: Child, port: number, ms = 60000): Promise<void> {
  const from = child.lines.length
  await waitFor(() => {
    if (!child.alive()) throw new Error(`Node-RED exited: ${child.lines.slice(-20).join('\n')}`)
    return child.lines.slice(Math.max(0, from - 50)).some(l => /Started flows/.test(l))
  }, ms, 'Node-RED to start its flows')
  await waitFor(
    async () => (await request('GET', `http://127.0.0.1:${port}/settings`)).status === 200,
    ms,
    'Node-RED HTTP'
  )
}

export interface CounterpartyConfig {
  /** PostgreSQL URL, or a PGlite folder. */
  url?: string
  dataDir?: string
  schema: string
  senderCompID: string
  targetCompID: string
  /** Answer orders with ExecutionReports (default true); off, only the outbound path runs. */
  reports?: boolean
}

export interface Counterparty {
  child: Child
  fixPort: number
  httpPort: number
  stats: () => Promise<CounterpartyStats>
  records: () => Promise<FrameRecord[]>
}

/** One frame the counterparty received (every frame, PossDup resends and admin messages included). */
export interface FrameRecord {
  /**
   * MsgType, MsgSeqNum, PossDupFlag, ClOrdID, receive time (wall ms, when read off the socket),
   * GapFill NewSeqNo, ResetSeqNumFlag.
   */
  t: string
  s: number
  p: boolean
  c?: string
  at: number
  /** Orders: TransactTime (the audit row's time, set by the audit trigger) and SendingTime, wall ms. */
  tt?: number
  st?: number
  n?: number
  gf?: boolean
  r?: boolean
}

export interface CounterpartyStats {
  frames: number
  orders: number
  possDup: number
  ersQueued: number
  ersSent: number
  ersPending: number
  logons: number
  resendRequestsSent: number
  resendsAnswered: number
  phase: string
  nextSenderSeq: number
  nextTargetSeq: number
  events: Record<string, number>
  problems: string[]
}

export async function startCounterparty (
  cfg: CounterpartyConfig,
  logFile: string,
  nodeArgs: string[] = []
): Promise<Counterparty> {
  const child = startChild(
    'counterparty',
    [...nodeArgs, path.join(__dirname, 'counterparty.js'), JSON.stringify(cfg)],
    { logFile }
  )
  const ready = await waitFor(() => {
    if (!child.alive()) throw new Error(`the counterparty exited: ${child.lines.join('\n')}`)
    return child.lines.find(l => l.startsWith('READY '))
  }, 60000, 'the counterparty to listen')
  const [, fix, web] = String(ready).split(' ')
  const httpPort = Number(web)
  return {
    child,
    fixPort: Number(fix),
    httpPort,
    stats: async () => (await request('GET', `http://127.0.0.1:${httpPort}/stats`)).body as CounterpartyStats,
    records: async () =>
      (await request('GET', `http://127.0.0.1:${httpPort}/records`, undefined, 60000)).body as FrameRecord[]
  }
}
