/**
 * The fuzzer's side of the FIX session: a plain TCP initiator on 127.0.0.1 that logs on, writes
 * what the run gives it (clean or mutated, whole or in pieces), and behaves as a correct
 * counterparty towards everything the engine sends: a Heartbeat for a TestRequest, a Logout for a
 * Logout, and for a ResendRequest its clean application messages again (43=Y, 122) with gap fills
 * for the rest. Every frame the engine sends goes through the AnswerChecker first. A session the
 * engine ended is logged on again, first with the next MsgSeqNum, then with 141=Y if refused.
 */
import * as net from 'net'
import { FrameReader, show, utc } from '../conformance/wire'
import type { AnswerChecker } from './checker'
import { draft, Draft, Field, Identity, logon } from './messages'
import { serialize } from './mutator'

interface Conn {
  socket: net.Socket
  closed: boolean
  loggedOn: boolean
  logoutSent: boolean
  logoutReceived: boolean
}

export interface CounterpartyOptions {
  port: number
  id: Identity
  heartBtInt: number
  checker: AnswerChecker
}

const APP = new Set(['D', 'd', 'B'])
const KEEP_FOR_RESEND = 5000
const TRANSCRIPT = 400

export class Counterparty {
  /** Our next MsgSeqNum. */
  seq = 1
  answers = 0
  reconnects = 0
  resetLogons = 0
  resendAnswers = 0
  probes = 0
  /** The last frames both ways (>> ours, << the engine's), for a failure's report. */
  readonly transcript: string[] = []
  private conn: Conn | undefined
  private readonly sentApp = new Map<number, Draft>()
  private waiters: Array<() => void> = []
  private readonly probeIds = new Set<string>()
  private probeAnswered = false
  /** A ClOrdID whose echo is awaited, and whether it came. */
  private awaited: string | undefined
  private echoSeen = false
  /** Writes go out one after the other: a reply never lands between the pieces of a split frame. */
  private writing: Promise<boolean> = Promise.resolve(true)

  constructor (private readonly o: CounterpartyOptions) {}

  get loggedOn (): boolean {
    return this.conn !== undefined && this.conn.loggedOn && !this.conn.closed
  }

  /** Takes our next MsgSeqNum. */
  nextSeq (): number {
    return this.seq++
  }

  /** Writes the bytes (in pieces when several are given); false when there is no open connection. */
  async write (pieces: Buffer[], note: string): Promise<boolean> {
    const c = this.conn
    const next = this.writing.then(async () => await this.writeNow(c, pieces, note))
    this.writing = next.catch(() => false)
    return await next
  }

  private async writeNow (c: Conn | undefined, pieces: Buffer[], note: string): Promise<boolean> {
    if (c === undefined || c.closed || c.socket.destroyed) return false
    const whole = pieces.length === 1 ? pieces[0] : Buffer.concat(pieces)
    if (whole.includes('\x0135=A\x01') && c === this.conn) this.o.checker.logonWritten(whole)
    this.note(`>> ${note} ${show(whole).slice(0, 200)}`)
    for (const [i, p] of pieces.entries()) {
      if (i > 0) await new Promise(resolve => setImmediate(resolve))
      if (c.closed || c.socket.destroyed) return false
      c.socket.write(p)
    }
    return true
  }

  /** Writes a clean message, whole or cut by `pieces` (an application message is kept for a resend). */
  async send (d: Draft, note = 'clean', pieces = (b: Buffer): Buffer[] => [b]): Promise<boolean> {
    const msgType = d.fields[0][1]
    if (APP.has(msgType)) {
      const seq = Number(d.fields.find(([t]) => t === '34')?.[1])
      this.sentApp.set(seq, d)
      this.sentApp.delete(seq - KEEP_FOR_RESEND)
    }
    return await this.write(pieces(serialize(d)), note)
  }

  /** Both sides start over at 1 (a Logon with 141=Y went out): older messages are not resent. */
  restarted (): void {
    this.sentApp.clear()
  }

  /**
   * Logs on (again): first with the next MsgSeqNum, then, if the engine refuses, with 141=Y.
   * Throws when ten attempts fail: the session is not reconnectable.
   */
  async reconnect (): Promise<void> {
    this.abort()
    let lastProblem = ''
    for (let attempt = 0; attempt < 10; attempt++) {
      const reset = attempt > 0
      lastProblem = await this.logon(reset)
      if (lastProblem === '') {
        this.reconnects++
        if (reset) this.resetLogons++
        return
      }
      await delay(Math.min(1000, 50 * 2 ** attempt))
    }
    throw new Error(`the session cannot be logged on again: ${lastProblem}`)
  }

  /** Bytes on a connection of their own, before any Logon (the engine must ignore or drop them). */
  async preLogon (bytes: Buffer): Promise<void> {
    this.abort()
    const c = await this.connect()
    await this.write([bytes], 'pre-logon')
    await this.until(() => c.closed || c.loggedOn, 50)
    this.abort()
    await this.until(() => c.closed, 2000)
  }

  /**
   * A TestRequest, again every 250 ms until its Heartbeat comes (our own resend answer may gap-fill
   * over one that was held): 'answered', 'disconnected', or 'timeout' when a logged-on engine
   * does not answer within `ms`.
   */
  async probe (ms: number): Promise<'answered' | 'disconnected' | 'timeout'> {
    const until = Date.now() + ms
    this.probeIds.clear()
    this.probeAnswered = false
    while (Date.now() < until) {
      if (!this.loggedOn) return 'disconnected'
      const id = `PROBE-${++this.probes}`
      this.probeIds.add(id)
      await this.send(draft(this.o.id, '1', this.nextSeq(), new Date(), [['112', id]]), 'probe')
      await this.until(() => this.probeAnswered || !this.loggedOn, Math.min(250, until - Date.now()))
      if (this.probeAnswered) return 'answered'
    }
    return this.loggedOn ? 'timeout' : 'disconnected'
  }

  /** Sends an order and waits up to `ms` for the engine's application to send it back. */
  async orderEchoed (clOrdID: string, ms: number): Promise<boolean> {
    this.awaited = clOrdID
    this.echoSeen = false
    const now = new Date()
    await this.send(draft(this.o.id, 'D', this.nextSeq(), now, [
      ['11', clOrdID], ['21', '1'], ['55', 'INTC'], ['54', '1'], ['60', utc(now)], ['38', '100'], ['40', '1']
    ]), 'final order')
    return await this.until(() => this.echoSeen, ms)
  }

  /** Closes the connection at once, no Logout (what a cable pull does). */
  abort (): void {
    const c = this.conn
    if (c === undefined) return
    c.loggedOn = false
    c.socket.destroy()
  }

  /** Logs out and waits for the engine to close. */
  async logout (): Promise<void> {
    const c = this.conn
    if (c !== undefined && this.loggedOn) {
      c.logoutSent = true
      await this.send(draft(this.o.id, '5', this.nextSeq(), new Date(), []))
      await this.until(() => c.closed, 5000)
    }
    this.abort()
  }

  /** Resolves true once `cond` holds, false after `ms`; woken by every frame and close. */
  async until (cond: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms
    while (!cond()) {
      const left = end - Date.now()
      if (left <= 0) return false
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, Math.min(left, 50))
        this.waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
    return true
  }

  private async logon (reset: boolean): Promise<string> {
    const c = await this.connect()
    if (reset) {
      this.seq = 1
      this.restarted()
    }
    const d = logon(this.o.id, this.nextSeq(), new Date(), this.o.heartBtInt, reset)
    await this.send(d, reset ? 'logon 141=Y' : 'logon')
    await this.until(() => c.loggedOn || c.closed || c.logoutReceived, 10_000)
    if (c.loggedOn && !c.closed) {
      const gap = this.o.checker.openGap()
      if (gap !== undefined) {
        await this.send(draft(this.o.id, '2', this.nextSeq(), new Date(), [['7', String(gap.from)], ['16', '0']]))
      }
      return ''
    }
    const why = c.closed ? 'disconnected without a Logon answer' : c.logoutReceived ? 'Logout' : 'no Logon answer'
    // A refused Logon: close at once rather than wait out the engine's Logout timeout.
    this.abort()
    await this.until(() => c.closed, 5000)
    return why
  }

  private async connect (): Promise<Conn> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: this.o.port }, () => resolve(s))
      s.once('error', reject)
    })
    socket.setNoDelay(true)
    const c: Conn = { socket, closed: false, loggedOn: false, logoutSent: false, logoutReceived: false }
    const reader = new FrameReader()
    this.conn = c
    this.o.checker.newConnection()
    socket.on('data', chunk => {
      for (const f of reader.push(chunk)) this.onFrame(c, f)
      for (const p of reader.problems.splice(0)) this.o.checker.problems.push(`framing: ${p}`)
      this.wake()
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      c.closed = true
      c.loggedOn = false
      this.wake()
    })
    return c
  }

  private onFrame (c: Conn, frame: Buffer): void {
    this.answers++
    this.note(`<< ${show(frame).slice(0, 200)}`)
    const m = this.o.checker.check(frame)
    if (m === undefined || c !== this.conn) return
    const get = (tag: number): string | undefined => m.fields.find(([t]) => t === tag)?.[1]
    const reply = (d: Draft): void => { this.send(d).catch(() => {}) }
    switch (m.msgType) {
      case 'A':
        c.loggedOn = !c.logoutSent && !c.logoutReceived
        return
      case 'D':
        if (get(11) === this.awaited && this.awaited !== undefined) this.echoSeen = true
        return
      case '0':
        if (this.probeIds.has(get(112) ?? '')) this.probeAnswered = true
        return
      case '1':
        if (c.loggedOn) reply(draft(this.o.id, '0', this.nextSeq(), new Date(), [['112', get(112) ?? '']]))
        return
      case '2':
        if (c.loggedOn) this.answerResend(Number(get(7)), Number(get(16)))
        return
      case '5':
        c.logoutReceived = true
        if (c.loggedOn && !c.logoutSent) {
          c.logoutSent = true
          reply(draft(this.o.id, '5', this.nextSeq(), new Date(), []))
        }
        c.loggedOn = false
    }
  }

  /** Our clean application messages in the range again (43=Y, 122), gap fills for everything else. */
  private answerResend (begin: number, endAsked: number): void {
    const last = this.seq - 1
    const end = endAsked === 0 || endAsked > last ? last : endAsked
    if (!Number.isSafeInteger(begin) || begin < 1 || begin > end) return
    this.resendAnswers++
    const now = new Date()
    const frames: Buffer[] = []
    let gapFrom: number | undefined
    const possDup = (fields: Field[], orig: string): Field[] => {
      const out = fields.map(([t, v]): Field => [t, t === '52' ? utc(now) : v])
      out.splice(4, 0, ['43', 'Y'], ['122', orig])
      return out
    }
    const flushGap = (to: number): void => {
      if (gapFrom === undefined) return
      const d = draft(this.o.id, '4', gapFrom, now, [['123', 'Y'], ['36', String(to)]])
      frames.push(serialize({ ...d, fields: possDup(d.fields, utc(now)) }))
      gapFrom = undefined
    }
    for (let s = begin; s <= end; s++) {
      const d = this.sentApp.get(s)
      if (d === undefined) {
        gapFrom ??= s
        continue
      }
      flushGap(s)
      const orig = d.fields.find(([t]) => t === '52')?.[1] ?? utc(now)
      frames.push(serialize({ ...d, fields: possDup(d.fields, orig) }))
    }
    flushGap(end + 1)
    this.write([Buffer.concat(frames)], `resend ${begin}-${end}`).catch(() => {})
  }

  private note (line: string): void {
    this.transcript.push(line)
    if (this.transcript.length > TRANSCRIPT) this.transcript.shift()
  }

  private wake (): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }
}

async function delay (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
