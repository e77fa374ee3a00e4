/**
 * QuickFIX/C++ as the counterparty of interop specs: builds test/interop/quickfix/counterparty.cpp
 * once per source and library version (cached under the OS temp folder), writes a QuickFIX settings
 * file per session, runs the program and reads its JSON lines (see the .cpp for the protocol).
 * Without QuickFIX the specs skip with the reason; with CI=true they fail instead.
 */
import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'child_process'
import { createHash } from 'crypto'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { eventually } from './databases'

const root = path.resolve(__dirname, '..', '..', '..')
const source = path.join(root, 'test', 'interop', 'quickfix', 'counterparty.cpp')
const jspurefixData = path.join(root, 'node_modules', 'jspurefix', 'data')

interface Toolchain { ok: boolean, reason?: string, flags: string[], version: string }

function toolchain (): Toolchain {
  const pc = spawnSync('pkg-config', ['--cflags', '--libs', 'quickfix'], { encoding: 'utf8' })
  if (pc.error !== undefined || pc.status !== 0) {
    return {
      ok: false,
      reason: 'QuickFIX/C++ not found (pkg-config ' +
      `quickfix: ${pc.error?.message ?? pc.stderr.trim()}); install Debian's libquickfix-dev`,
      flags: [],
      version: ''
    }
  }
  const version = spawnSync('pkg-config', ['--modversion', 'quickfix'], { encoding: 'utf8' }).stdout.trim()
  const gpp = spawnSync('g++', ['--version'], { encoding: 'utf8' })
  if (gpp.error !== undefined || gpp.status !== 0) {
    return { ok: false, reason: 'g++ not found (needed to build the QuickFIX counterparty)', flags: [], version }
  }
  return {
    ok: true,
    flags: pc.stdout
      .trim()
      .split(/\s+/)
      .filter(f => f !== ''),
    version: `${version} ${gpp.stdout.split('\n')[0]}`
  }
}

let tools: Toolchain | undefined
let built: string | undefined

/** Undefined when QuickFIX/C++ and g++ are there, else why not. */
export function quickfixMissing (): string | undefined {
  tools ??= toolchain()
  return tools.ok ? undefined : tools.reason
}

/** True when a missing QuickFIX must fail the run (CI) rather than skip. */
export const quickfixRequired = process.env.CI === 'true' || process.env.CI === '1'

/**
 * `describe` that runs when QuickFIX/C++ is available (or CI requires it: then a missing one
 * fails in the build step), and otherwise shows one skipped test naming the reason.
 */
export function describeWithQuickfix (title: string, suite: (this: Mocha.Suite) => void): void {
  const missing = quickfixMissing()
  if (missing !== undefined && !quickfixRequired) {
    describe(title, () => { it.skip(`needs QuickFIX/C++: ${missing}`, () => {}) })
    return
  }
  describe(title, suite)
}

/** The counterparty binary, built on first use (a few seconds) and cached by content. */
export function counterpartyBinary (): string {
  if (built !== undefined) return built
  const missing = quickfixMissing()
  if (missing !== undefined) throw new Error(`QuickFIX interop specs cannot run: ${missing}`)
  const flags = ['-std=c++11', '-O1', '-Wno-deprecated', '-pthread']
  const hash = createHash('sha256')
    .update(fs.readFileSync(source))
    .update(JSON.stringify([tools!.flags, tools!.version, flags]))
    .digest('hex')
    .slice(0, 16)
  const dir = path.join(os.tmpdir(), 'fix-streamers-quickfix')
  const binary = path.join(dir, `counterparty-${hash}`)
  if (!fs.existsSync(binary)) {
    fs.mkdirSync(dir, { recursive: true })
    // Built under a private name, then renamed: parallel runs never see half a binary.
    const tmp = `${binary}.${process.pid}.tmp`
    const r = spawnSync('g++', [...flags, '-o', tmp, source, ...tools!.flags], { encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`building the QuickFIX counterparty failed:\n${r.stderr}`)
    fs.renameSync(tmp, binary)
  }
  built = binary
  return binary
}

/**
 * Dictionaries for a FIXT.1.1 session from jspurefix's FIX50SP2.xml (which holds the header,
 * trailer and session messages too): a transport one of type FIXT 1.1 with the session messages,
 * and an application one with the messages the specs use. QuickFIX takes about 7 s to load the
 * whole file, twice; the cut-down copies load in about a second.
 */
export function fixtDictionaries (dir: string): { transport: string, app: string } {
  const xml = fs.readFileSync(path.join(jspurefixData, 'FIX50SP2.xml'), 'utf8')
  const transport = path.join(dir, 'FIXT11.xml')
  const app = path.join(dir, 'FIX50SP2-app.xml')
  fs.writeFileSync(
    transport,
    onlyMessages(xml, ['0', '1', '2', '3', '4', '5', 'A']).replace(
      /<fix [^>]*>/,
      "<fix type='FIXT' major='1' minor='1' servicepack='0'>"
    )
  )
  fs.writeFileSync(app, onlyMessages(xml, ['D', '8', '9', 'F', 'G', 'j']))
  return { transport, app }
}

/** A QuickFIX XML dictionary with only the given message types and the components they use. */
function onlyMessages (xml: string, msgTypes: string[]): string {
  const [ms, me] = [xml.indexOf('<messages>'), xml.indexOf('</messages>')]
  const [cs, ce] = [xml.indexOf('<components>'), xml.indexOf('</components>')]
  if (ms < 0 || me < ms || cs < me || ce < cs) throw new Error('unexpected dictionary layout')
  const messages = [...xml.slice(ms, me).matchAll(/<message [^>]*>[\s\S]*?<\/message>/g)].map(m => m[0])
    .filter(m => msgTypes.includes(/msgtype='([^']*)'/.exec(m)?.[1] ?? ''))
  const components = new Map(
    [...xml.slice(cs, ce).matchAll(/<component name='([^']*)'>[\s\S]*?<\/component>/g)].map(m => [m[1], m[0]])
  )
  const needed = new Set<string>()
  const todo = [...messages, xml.slice(0, ms), xml.slice(me, cs)]
  while (todo.length > 0) {
    for (const ref of todo.pop()!.matchAll(/<component name='([^']*)' required='[YN]'\s*\/>/g)) {
      if (needed.has(ref[1]) || !components.has(ref[1])) continue
      needed.add(ref[1])
      todo.push(components.get(ref[1])!)
    }
  }
  return `${xml.slice(0, ms)}<messages>\n${messages.join('\n')}\n${xml.slice(me, cs)}<components>\n${[...components]
    .filter(([n]) => needed.has(n))
    .map(([, c]) => c)
    .join('\n')}\n${xml.slice(ce)}`
}

export interface CounterpartyOptions {
  role: 'initiator' | 'acceptor'
  port: number
  senderCompID: string
  targetCompID: string
  beginString?: 'FIX.4.4' | 'FIXT.1.1'
  heartBtInt?: number
  /** Folder for the settings, FileStore and FileLog; reuse it to restart with the same store. */
  dir: string
}

export interface WireMessage {
  raw: string
  fields: Array<[number, string]>
  get: (tag: number) => string | undefined
}

export interface CounterpartyLine {
  ev: string
  raw?: string
  text?: string
  command?: string
  loggedOn?: boolean
  nextSender?: number
  nextTarget?: number
}

function wire (raw: string): WireMessage {
  const fields = raw.split('|').filter(f => f !== '').map(f => {
    const eq = f.indexOf('=')
    return [Number(f.slice(0, eq)), f.slice(eq + 1)] as [number, string]
  })
  return { raw, fields, get: (tag: number) => fields.find(f => f[0] === tag)?.[1] }
}

/** One running QuickFIX/C++ session (the .cpp program), driven through stdin/stdout. */
export class QuickfixCounterparty {
  readonly lines: CounterpartyLine[] = []
  stderr = ''
  exited = false
  private proc: ChildProcessWithoutNullStreams | undefined
  private partial = ''

  constructor (readonly o: CounterpartyOptions) {}

  /** Messages QuickFIX read from the wire / wrote to the wire, in order. */
  get received (): WireMessage[] { return this.lines.filter(l => l.ev === 'in').map(l => wire(l.raw!)) }
  get sent (): WireMessage[] { return this.lines.filter(l => l.ev === 'out').map(l => wire(l.raw!)) }
  get events (): string[] { return this.lines.filter(l => l.ev === 'event').map(l => l.text!) }
  /** Application messages that passed QuickFIX's validation and reached its Application. */
  get app (): WireMessage[] { return this.lines.filter(l => l.ev === 'app').map(l => wire(l.raw!)) }
  get pid (): number | undefined { return this.proc?.pid }

  /** Session-level and business rejects QuickFIX sent. */
  get rejectsSent (): WireMessage[] { return this.sent.filter(m => m.get(35) === '3' || m.get(35) === 'j') }

  writeSettings (): string {
    const o = this.o
    fs.mkdirSync(o.dir, { recursive: true })
    const fixt = o.beginString === 'FIXT.1.1'
    const lines = [
      '[DEFAULT]',
      `ConnectionType=${o.role}`,
      `FileStorePath=${path.join(o.dir, 'store')}`,
      `FileLogPath=${path.join(o.dir, 'log')}`,
      'StartTime=00:00:00',
      'EndTime=00:00:00',
      'UseDataDictionary=Y',
      ...(fixt
        ? (d => [
            `TransportDataDictionary=${d.transport}`, `AppDataDictionary=${d.app}`, 'DefaultApplVerID=FIX.5.0SP2'
          ])(fixtDictionaries(o.dir))
        : [`DataDictionary=${path.join(jspurefixData, 'FIX44.xml')}`]),
      'ValidateUserDefinedFields=Y',
      'ValidateFieldsOutOfOrder=Y',
      'ValidateFieldsHaveValues=Y',
      'CheckLatency=Y',
      'MaxLatency=120',
      'PersistMessages=Y',
      'SocketNodelay=Y',
      ...(o.role === 'acceptor'
        ? [`SocketAcceptPort=${o.port}`, 'SocketReuseAddress=Y']
        : ['SocketConnectHost=127.0.0.1', `SocketConnectPort=${o.port}`, 'ReconnectInterval=1',
            `HeartBtInt=${o.heartBtInt ?? 30}`]),
      '',
      '[SESSION]',
      `BeginString=${o.beginString ?? 'FIX.4.4'}`,
      `SenderCompID=${o.senderCompID}`,
      `TargetCompID=${o.targetCompID}`,
      ''
    ]
    const file = path.join(o.dir, 'session.cfg')
    fs.writeFileSync(file, lines.join('\n'))
    return file
  }

  async start (): Promise<void> {
    const settings = this.writeSettings()
    const proc = spawn(counterpartyBinary(), [settings], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.proc = proc
    this.exited = false
    proc.stdout.setEncoding('utf8')
    proc.stdout.on('data', (chunk: string) => {
      const text = this.partial + chunk
      const parts = text.split('\n')
      this.partial = parts.pop() ?? ''
      for (const p of parts) if (p.trim() !== '') this.lines.push(JSON.parse(p))
    })
    proc.stderr.on('data', (chunk: Buffer) => { this.stderr += chunk.toString() })
    proc.stdin.on('error', () => {})
    proc.on('exit', () => { this.exited = true })
    const from = this.lines.length
    await eventually(() => {
      if (this.exited) {
        throw new Error(`the QuickFIX counterparty exited: ${this.stderr}${JSON.stringify(this.lines.slice(from))}`)
      }
      return this.lines.slice(from).some(l => l.ev === 'ready')
    }, 10000, 'the QuickFIX counterparty to start')
    const error = this.lines.slice(from).find(l => l.ev === 'error')
    if (error !== undefined) throw new Error(`QuickFIX counterparty: ${error.text ?? ''}`)
  }

  /** Sends one stdin command and waits until it ran. */
  async command (line: string): Promise<void> {
    const from = this.lines.length
    this.proc!.stdin.write(`${line}\n`)
    const name = line.split(' ')[0]
    const done = (await eventually(
      () => this.lines.slice(from).find(l => (l.ev === 'done' && l.command === name) || l.ev === 'error'),
      10000,
      `QuickFIX command ${name}`
    ))!
    if (done.ev === 'error') throw new Error(`QuickFIX counterparty: ${done.text ?? ''}`)
  }

  async status (): Promise<{ loggedOn: boolean, nextSender: number, nextTarget: number }> {
    const from = this.lines.length
    await this.command('status')
    const s = this.lines.slice(from).find(l => l.ev === 'status')!
    return { loggedOn: s.loggedOn!, nextSender: s.nextSender!, nextTarget: s.nextTarget! }
  }

  async waitFor (what: string, pred: () => boolean, ms = 10000): Promise<void> {
    await eventually(pred, ms, `${what} at the QuickFIX counterparty`)
  }

  /** Messages of one type QuickFIX read from the wire. */
  receivedOfType (msgType: string): WireMessage[] {
    return this.received.filter(m => m.get(35) === msgType)
  }

  sentOfType (msgType: string): WireMessage[] {
    return this.sent.filter(m => m.get(35) === msgType)
  }

  /** Freezes and thaws the process (SIGSTOP/SIGCONT by its pid): a counterparty gone silent. */
  pause (): void { if (this.proc?.pid !== undefined) process.kill(this.proc.pid, 'SIGSTOP') }
  resume (): void { if (this.proc?.pid !== undefined) process.kill(this.proc.pid, 'SIGCONT') }

  /** Logs out (when logged on) and ends the program. */
  async stop (): Promise<void> {
    const proc = this.proc
    if (proc === undefined || this.exited) return
    proc.stdin.write('quit\n')
    await eventually(() => this.exited, 10000, 'the QuickFIX counterparty to stop').catch(() => this.kill())
  }

  /** Ends the program at once (SIGKILL by its pid), e.g. after a failed test. */
  kill (): void {
    const proc = this.proc
    if (proc === undefined || this.exited || proc.pid === undefined) return
    try {
      process.kill(proc.pid, 'SIGCONT')
      process.kill(proc.pid, 'SIGKILL')
    } catch {}
  }

  /** Lines for a failure message. */
  transcript (): string {
    return this.lines.map(l => JSON.stringify(l)).join('\n')
  }
}
