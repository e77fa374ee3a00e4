/**
 * The QuickFIX/C++ baseline of the end-to-end benchmark: bench/quickfix/roundtrip.cpp built with
 * g++ and Debian's libquickfix-dev (as the interop specs build theirs), a trade client against an
 * executor, each with a FileStore, FIX.4.4: NewOrderSingle out, two ExecutionReports back. The same
 * phases as the Node-RED pass (sustained with a bounded number of unfilled orders, then fixed rates).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process'
import { createHash } from 'crypto'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { parseUtc } from '../core/fix-session'
import { Child, Counterparty, freePort, ROOT, sleep, tempDir, waitFor } from '../test/support/e2e/harness'
import { quickfixMissing } from '../test/support/quickfix'
import { cpuMs } from './_cpu'

const source = path.join(ROOT, 'bench', 'quickfix', 'roundtrip.cpp')
const dictionary = path.join(ROOT, 'node_modules', 'jspurefix', 'data', 'FIX44.xml')

/** Why QuickFIX cannot run here, or undefined. */
export function quickfixUnavailable (): string | undefined {
  return quickfixMissing()
}

/** The program, built on first use (a few seconds) and cached under the OS temp folder by content. */
function binary (): string {
  const missing = quickfixMissing()
  if (missing !== undefined) throw new Error(missing)
  const libs = spawnSync('pkg-config', ['--cflags', '--libs', 'quickfix'], { encoding: 'utf8' })
    .stdout.trim().split(/\s+/)
  const flags = ['-std=c++11', '-O2', '-Wno-deprecated', '-pthread']
  const hash = createHash('sha256').update(fs.readFileSync(source)).update(JSON.stringify([libs, flags]))
    .digest('hex').slice(0, 16)
  const dir = path.join(os.tmpdir(), 'fix-streamers-quickfix')
  const out = path.join(dir, `roundtrip-${hash}`)
  if (!fs.existsSync(out)) {
    fs.mkdirSync(dir, { recursive: true })
    const tmp = `${out}.${process.pid}.tmp`
    const r = spawnSync('g++', [...flags, '-o', tmp, source, ...libs.filter(f => f !== '')], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`building ${source} failed:\n${r.stderr}`)
    fs.renameSync(tmp, out)
  }
  return out
}

/** A QuickFIX settings file: one FIX.4.4 session, FileStore in `dir`, dictionary validation on. */
export function quickfixSettings (o: {
  dir: string
  role: 'acceptor' | 'initiator'
  port: number
  sender: string
  target: string
}): string {
  fs.mkdirSync(o.dir, { recursive: true })
  const lines = [
    '[DEFAULT]',
    `ConnectionType=${o.role}`,
    `FileStorePath=${path.join(o.dir, 'store')}`,
    'StartTime=00:00:00',
    'EndTime=00:00:00',
    'UseDataDictionary=Y',
    `DataDictionary=${dictionary}`,
    'PersistMessages=Y',
    'SocketNodelay=Y',
    ...(o.role === 'acceptor'
      ? [`SocketAcceptPort=${o.port}`, 'SocketReuseAddress=Y']
      : ['SocketConnectHost=127.0.0.1', `SocketConnectPort=${o.port}`, 'ReconnectInterval=1', 'HeartBtInt=30']),
    '',
    '[SESSION]',
    'BeginString=FIX.4.4',
    `SenderCompID=${o.sender}`,
    `TargetCompID=${o.target}`,
    ''
  ]
  const file = path.join(o.dir, `${o.role}.cfg`)
  fs.writeFileSync(file, lines.join('\n'))
  return file
}

export interface ExecutorOptions {
  dir: string
  /** fdatasync after each FileStore write. */
  sync: boolean
  /** Answer no order (the outbound pass). */
  quiet?: boolean
  sender?: string
  target?: string
}

/** The executor (acceptor) as its own process, driven through stdin/stdout. */
export class QuickfixExecutor {
  readonly lines: string[] = []
  readonly proc: ChildProcess
  readonly exited: Promise<number | null>

  private constructor (readonly port: number, readonly dir: string, o: ExecutorOptions) {
    const settings = quickfixSettings({
      dir, role: 'acceptor', port, sender: o.sender ?? 'EXEC', target: o.target ?? 'CLIENT'
    })
    const flags = [...(o.sync ? ['sync'] : []), ...(o.quiet === true ? ['quiet'] : [])]
    this.proc = spawn(binary(), ['executor', settings, ...flags], {
      stdio: ['pipe', 'pipe', 'inherit']
    })
    let partial = ''
    this.proc.stdout!.setEncoding('utf8')
    this.proc.stdout!.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n')
      partial = parts.pop() ?? ''
      this.lines.push(...parts)
    })
    this.proc.stdin!.on('error', () => {})
    this.exited = new Promise(resolve => this.proc.on('exit', resolve))
  }

  static async start (o: ExecutorOptions): Promise<QuickfixExecutor> {
    const e = new QuickfixExecutor(await freePort(), o.dir, o)
    await waitFor(() => {
      if (e.proc.exitCode !== null) throw new Error(`the QuickFIX executor exited: ${e.lines.join('\n')}`)
      return e.lines.includes('READY')
    }, 30000, 'the QuickFIX executor to listen')
    return e
  }

  get pid (): number | undefined { return this.proc.pid }

  private async ask (command: string, answer: (line: string) => boolean): Promise<string> {
    const from = this.lines.length
    this.proc.stdin!.write(`${command}\n`)
    const line = await waitFor(() => this.lines.slice(from).find(answer), 60000, `QuickFIX executor: ${command}`, 20)
    return line!
  }

  /** Orders the executor's Application has received so far. */
  async orders (): Promise<number> {
    return Number((await this.ask('stats', l => l.startsWith('STATS '))).split(' ')[1])
  }

  /** Each order as received: ClOrdID, receive time (wall ms), TransactTime and SendingTime as sent. */
  async records (): Promise<Array<{ clOrdID: string, at: number, transactTime: string, sendingTime: string }>> {
    const file = path.join(this.dir, 'records.txt')
    await this.ask(`records ${file}`, l => l === 'DONE')
    return fs.readFileSync(file, 'utf8').split('\n').filter(l => l !== '').map(l => {
      const [clOrdID, us, transactTime, sendingTime] = l.split(' ')
      return { clOrdID, at: Number(us) / 1000, transactTime, sendingTime }
    })
  }

  async stop (): Promise<void> {
    if (this.proc.exitCode !== null) return
    this.proc.stdin!.write('quit\n')
    await Promise.race([this.exited, sleep(10000)])
    if (this.proc.exitCode === null && this.proc.pid !== undefined) process.kill(this.proc.pid, 'SIGKILL')
  }

  /**
   * As the counterparty of the Node-RED bench (E2eSystem's `counterparty` option): its order count
   * and records. A record's receive time is when the order reached the executor's Application
   * (after QuickFIX's parsing, validation and store), not when it came off the socket.
   */
  asCounterparty (): Counterparty {
    const pid = this.proc.pid!
    const alive = (): boolean => this.proc.exitCode === null && this.proc.signalCode === null
    const child: Child = {
      name: 'QuickFIX executor',
      proc: this.proc,
      pid,
      exited: this.exited,
      lines: this.lines,
      alive,
      kill: signal => { if (alive()) process.kill(pid, signal) },
      stop: async () => await this.stop()
    }
    const notCounted = 0
    return {
      child,
      fixPort: this.port,
      httpPort: notCounted,
      stats: async () => ({
        frames: notCounted,
        orders: await this.orders(),
        possDup: notCounted,
        ersQueued: notCounted,
        ersSent: notCounted,
        ersPending: notCounted,
        logons: notCounted,
        resendRequestsSent: notCounted,
        resendsAnswered: notCounted,
        phase: 'running',
        nextSenderSeq: notCounted,
        nextTargetSeq: notCounted,
        events: {},
        problems: []
      }),
      records: async () => (await this.records()).map((r, i) => ({
        t: 'D',
        s: i + 1,
        p: false,
        c: r.clOrdID,
        at: r.at,
        tt: parseUtc(r.transactTime)?.getTime(),
        st: parseUtc(r.sendingTime)?.getTime()
      }))
    }
  }
}

export interface QuickfixResult {
  store: string
  /** Round trips completed per second in the sustained phase (fills received by its end). */
  sustained: number
  /** Orders sent per second in the sustained phase. */
  sentPerS: number
  rates: Array<{
    rate: number
    achieved: number
    /** [p50, p99, max] ms: order sent -> reached the executor's Application; -> first report; -> fill back. */
    oneWay: number[]
    ack: number[]
    fill: number[]
  }>
  /** CPU ms per round trip over the whole run (warm-up included), client + executor. */
  cpuPerOrder?: number
}

/** Runs the trade client against the executor, the phases of the Node-RED pass; resolves with the figures. */
export async function quickfixRoundTrip (o: {
  sustainS: number
  window: number
  rateS: number
  rates: number[]
  sync: boolean
}): Promise<QuickfixResult> {
  const dir = tempDir('fix-bench-quickfix-')
  const executor = await QuickfixExecutor.start({ sync: o.sync, dir: path.join(dir, 'executor') })
  try {
    const settings = quickfixSettings({
      dir: path.join(dir, 'client'), role: 'initiator', port: executor.port, sender: 'CLIENT', target: 'EXEC'
    })
    const client = spawn(binary(), ['client', settings, String(o.sustainS), String(o.window), String(o.rateS),
      o.rates.join(','), ...(o.sync ? ['sync'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    client.stdout.setEncoding('utf8')
    client.stdout.on('data', (c: string) => { out += c })
    const code = await new Promise<number | null>(resolve => client.on('exit', resolve))
    const executorCpu = cpuMs(executor.pid)
    const lines = out.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l))
    const error = lines.find(l => l.error !== undefined)
    if (code !== 0 || error !== undefined) throw new Error(`QuickFIX client: ${error?.error ?? `exit code ${code}`}`)
    const sustained = lines.find(l => l.phase === 'sustained')
    const end = lines.find(l => l.phase === 'end')
    return {
      store: o.sync ? 'FileStore + fdatasync after each write' : 'FileStore',
      sustained: sustained.filled / sustained.seconds,
      sentPerS: sustained.sent / sustained.seconds,
      rates: lines.filter(l => l.phase === 'rate').map(l => ({
        rate: l.rate, achieved: l.orders / l.span, oneWay: l.oneWay, ack: l.ack, fill: l.fill
      })),
      cpuPerOrder: executorCpu !== undefined ? (end.cpuMs + executorCpu) / end.orders : undefined
    }
  } finally {
    await executor.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
