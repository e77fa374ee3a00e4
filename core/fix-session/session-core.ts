import { timingSafeEqual } from 'crypto'
import type { FieldsLike } from '../fix/field-list'
import { AdminType, body, BusinessMessageReject, firstOf, printable, Tag } from './fields'
import { OutboundValidator, SessionCodec } from './codec-port'
import { InboundProblem } from './inbound-validation'
import { maxRejectReason } from './message-rules'
import type { MessageStore } from './message-store'
import { Outbox } from './outbox'
import { InboundJournal } from './inbound-journal'
import { Header } from './inbound-header'
import { SessionPhase, SessionState } from './session-state'
import { normalizeSettings, SessionSettings } from './settings'
import { SessionApplication, SessionEvent } from './application'
import { nullLog, SessionLog } from './session-log'
import type { Responder } from './responder'
import { OutboundEncoder } from './outbound-encoder'
import { SerialQueue } from './serial-queue'
import { isInSession, lastDailyReset } from './schedule'

export interface SessionOptions {
  settings: SessionSettings
  codec: SessionCodec
  store: MessageStore
  application: SessionApplication
  log?: SessionLog
  validator?: OutboundValidator
  /** The clock the session stamps its messages with (SendingTime) and checks the peer's against. */
  now?: () => Date
}

/** Journal entries read per query when answering a ResendRequest. */
const RESEND_PAGE = 500

/** A received frame waiting for its turn, and who waits for it to be worked through. */
export interface Arrival { frame: Buffer, at: number, done: () => void }

/**
 * The first layer of a FIX session (session.ts): its state and what it says. Everything the
 * session writes goes through here: admin messages under the next sender seq (committed before
 * the bytes go out), Rejects, Logouts, resend answers, and the end of a connection. No socket,
 * no timer: the current connection is a Responder. SessionInbound (session-inbound.ts) adds what
 * it does with what it receives, Session (session.ts) the public API and the clock.
 */
export abstract class SessionCore {
  readonly settings: ReturnType<typeof normalizeSettings>
  readonly state = new SessionState()
  protected readonly queue = new SerialQueue()
  protected readonly log: SessionLog
  protected readonly now: () => Date
  /** The current connection (the session's Responder); undefined while disconnected. */
  protected link: Responder | undefined
  /** Frames given to `next` and not yet worked through, oldest first (all from `link`). */
  protected inbox: Arrival[] = []
  protected loaded = false
  protected stopped = false
  protected disconnectWaiters: Array<() => void> = []
  protected testRequestCounter = 0
  protected loggedOnThisConnection = false
  /** A Logout exchange completed on the current connection (for the 'logout' reset policy). */
  protected loggedOut = false
  /** A PossDup message came since our last ResendRequest: the peer's answer has begun. */
  protected resendAnswered = false
  protected readonly outbox: Outbox
  protected readonly journal: InboundJournal
  protected pumpQueued = false
  protected readonly encoder: OutboundEncoder
  // Set by start() from the store; until then the construction time.
  protected lastCreatedAt = Date.now()

  constructor (protected readonly o: SessionOptions) {
    this.settings = normalizeSettings(o.settings)
    this.encoder = new OutboundEncoder(this.settings, o.codec, o.validator)
    this.log = o.log ?? nullLog
    this.now = o.now ?? (() => new Date())
    this.journal = new InboundJournal(o.store, this.settings.storeDecoded, raw => o.codec.parse(raw))
    this.outbox = new Outbox({
      queue: this.queue,
      store: o.store,
      state: this.state,
      encoder: this.encoder,
      now: this.now,
      connected: () => this.link !== undefined,
      write: (frames, raws) => {
        const link = this.link
        if (link === undefined || !link.writable) return
        link.write(frames)
        this.state.lastSentAt = this.clock()
        for (const raw of raws) this.log.outgoing(raw)
      },
      emitState: () => this.emitState(),
      event: e => this.event(e)
    })
  }

  inSchedule (at = this.now()): boolean {
    return isInSession(this.settings.schedule, at)
  }

  /** Frames an admin message under the next sender seq, commits the seq, then writes it. */
  protected async sendAdmin (msgType: string, text: string): Promise<number | undefined> {
    // No transport (e.g. it closed while a commit was running): use no sequence number.
    if (this.link === undefined || !this.link.writable) return undefined
    const seq = this.state.nextSenderSeq
    const frame = this.encoder.frame(msgType, this.encoder.header(seq, this.now()), text)
    await this.o.store.advanceSender(seq + 1)
    this.state.nextSenderSeq = seq + 1
    this.write(frame)
    return seq
  }

  /**
   * Frames an application-level message the session writes itself (BusinessMessageReject) under
   * the next sender seq and journals it with that seq in one commit, so a ResendRequest resends it
   * (PossDup) instead of gap-filling over it, as FIX asks for application messages.
   */
  protected async sendJournaled (msgType: string, text: string): Promise<number | undefined> {
    if (this.link === undefined || !this.link.writable) return undefined
    const seq = this.state.nextSenderSeq
    const sentAt = this.now()
    const frame = this.encoder.frame(msgType, this.encoder.header(seq, sentAt), text)
    const raw = frame.toString('latin1')
    await this.o.store.recordSentBatch([{ seq, msgType, clOrdID: undefined, sentAt, body: text, raw }])
    this.state.nextSenderSeq = seq + 1
    this.write(frame, raw)
    return seq
  }

  /** Frames a message under an old seq (resend, gap fill): no sequence number is used up. */
  protected resendFrame (msgType: string, seq: number, text: string, orig: Date): void {
    this.write(this.encoder.frame(msgType, this.encoder.header(seq, this.now(), { orig }), text))
  }

  protected write (frame: Buffer, raw?: string): void {
    const link = this.link
    if (link === undefined || !link.writable) return
    link.write(frame)
    this.state.lastSentAt = this.clock()
    this.log.outgoing(raw ?? frame.toString('latin1'))
  }

  protected logonBody (reset: boolean, heartBtInt: number): string {
    const s = this.settings
    return body([
      [Tag.EncryptMethod, 0],
      [Tag.HeartBtInt, heartBtInt],
      [Tag.ResetSeqNumFlag, reset ? 'Y' : undefined],
      // An acceptor's answer carries its own credentials only when told to (they would go to
      // whoever logged on with the right CompIDs).
      [Tag.Username, s.role === 'initiator' || s.replyWithCredentials === true ? nonEmpty(s.username) : undefined],
      [Tag.Password, s.role === 'initiator' || s.replyWithCredentials === true ? nonEmpty(s.password) : undefined],
      [Tag.DefaultApplVerID, s.beginString === 'FIXT.1.1' ? s.defaultApplVerID : undefined]
    ])
  }

  protected dailyResetDue (): boolean {
    if (this.settings.resetPolicy !== 'daily' || this.settings.resetTime === undefined) return false
    // Reset when the current sequence period began before the latest scheduled reset.
    return (
      this.lastCreatedAt <
      lastDailyReset(
        this.settings.resetTime,
        this.settings.resetTimeZone ?? this.settings.schedule?.timeZone,
        this.now()
      ).getTime()
    )
  }

  protected async sendReject (
    refSeq: number,
    msgType: string | undefined,
    p: InboundProblem,
    replyTo?: FieldsLike
  ): Promise<void> {
    // Only reasons the BeginString defines (FIX.4.2: 0-11); a later one goes as Text alone.
    const max = maxRejectReason(this.settings.beginString)
    const reason = p.reason >= 0 && p.reason <= max ? p.reason : undefined
    const fix42 = max >= 0
    await this.sendAdmin(AdminType.Reject, reverseRoute(replyTo) + body([
      [Tag.RefSeqNum, refSeq],
      [Tag.RefTagID, fix42 ? p.refTag : undefined],
      // Whatever MsgType came in (an invalid one included), as long as it is printable text.
      [Tag.RefMsgType, fix42 && msgType !== undefined && /^[\x21-\x7e]{1,16}$/.test(msgType) ? msgType : undefined],
      [Tag.SessionRejectReason, reason],
      [Tag.Text, printable(p.text)]
    ]))
    this.event({ type: 'reject-sent', refSeqNum: refSeq, reason, refTag: p.refTag, refMsgType: msgType, text: p.text })
  }

  /** An application-level refusal (35=j): the message was well formed but is not taken here. */
  protected async sendBusinessReject (
    refSeq: number,
    msgType: string,
    p: InboundProblem,
    replyTo?: FieldsLike
  ): Promise<void> {
    await this.sendJournaled(BusinessMessageReject, reverseRoute(replyTo) + body([
      [Tag.RefSeqNum, refSeq],
      [Tag.RefMsgType, msgType],
      [Tag.BusinessRejectReason, p.reason],
      [Tag.Text, printable(p.text)]
    ]))
    this.event({ type: 'business-reject-sent', refSeqNum: refSeq, refMsgType: msgType, reason: p.reason, text: p.text })
  }

  /** Whether the application takes this MsgType (see SessionSettings.receiveMsgTypes). */
  protected receives (msgType: string): boolean {
    const only = this.settings.receiveMsgTypes
    return only === undefined || only.length === 0 || only.includes(msgType)
  }

  /**
   * Logout with a reason for problems the protocol says end the connection. A logged-on session
   * then waits (up to logoutTimeoutMs) for the peer's Logout; a refused logon closes at once.
   */
  protected async logoutAndClose (text: string): Promise<void> {
    if (this.state.phase === 'logout-sent') return this.disconnect(text)
    this.event({ type: 'logout', text, initiatedBy: 'us' })
    const graceful = this.state.loggedOn
    try {
      await this.sendAdmin(AdminType.Logout, body([[Tag.Text, printable(text)]]))
    } finally {
      if (graceful && this.link !== undefined) this.setPhase('logout-sent')
      else this.disconnect(text)
    }
  }

  protected async requestResend (begin: number, upTo: number, newMessage = false): Promise<void> {
    const r = this.state.resend
    // Asked already while the gap starts inside the open request (whose end stays the gap it was
    // sent for: QuickFIX's resend range) and the peer has not begun to answer. A gap after that
    // range, or one a new message (no PossDup) shows once the answer began, is new and asked for:
    // the peer answers up to where it was, and a MsgSeqNum far ahead must not swallow later gaps.
    // A request left without any answer for a heartbeat interval is asked again: its answer was
    // lost (a garbled frame is dropped unread), and without a new request every later message,
    // TestRequests included, would wait behind a gap nobody fills until the peer gives up.
    const now = this.now().getTime()
    const unanswered = r !== undefined && !this.resendAnswered && now - r.at >= this.state.heartBtInt * 1000
    const asked = r !== undefined && r.begin <= begin && begin <= r.end
    if (asked && !(newMessage && this.resendAnswered) && !unanswered) return
    // EndSeqNo 0 means "everything after BeginSeqNo" (FIX 4.2 and later).
    await this.sendAdmin(AdminType.ResendRequest, body([[Tag.BeginSeqNo, begin], [Tag.EndSeqNo, 0]]))
    this.resendAnswered = false
    this.state.resend = { begin, end: upTo, at: now }
    this.event({ type: 'resend-request-sent', begin, end: upTo })
  }

  /** Answers a ResendRequest: journaled application messages again, gap fills for the rest. */
  protected async answerResend (fields: FieldsLike): Promise<void> {
    const begin = Number(firstOf(fields, Tag.BeginSeqNo))
    const endAsked = Number(firstOf(fields, Tag.EndSeqNo))
    const last = this.state.nextSenderSeq - 1
    if (!Number.isSafeInteger(begin) || begin < 1 || !Number.isSafeInteger(endAsked) || endAsked < 0) return
    const end = endAsked === 0 || endAsked > last ? last : endAsked
    if (begin > end) {
      this.event({ type: 'resend', begin, end, resent: 0, gapFills: 0 })
      return
    }
    // Page by page from the journal (a long range is never held in memory at once), and only as
    // fast as the peer reads: each page, the first one too, waits for the socket to drain, so a
    // storm of short ResendRequests does not queue one page per request behind a peer that reads
    // nothing.
    const link = this.link
    let cursor = begin
    let resent = 0
    let gapFills = 0
    const now = this.now()
    const gapFill = (from: number, to: number): void => {
      this.resendFrame(AdminType.SequenceReset, from, body([[Tag.GapFillFlag, 'Y'], [Tag.NewSeqNo, to]]), now)
      gapFills++
    }
    for (let from = begin; from <= end;) {
      if (!await this.drained()) return this.fail('the peer does not read: resend stopped')
      if (this.link !== link) return
      const page = await this.o.store.sentRange(from, end, RESEND_PAGE)
      if (this.link !== link) return
      for (const e of page) {
        if (e.seq < cursor) continue
        if (e.seq > cursor) gapFill(cursor, e.seq)
        this.resendFrame(e.msgType, e.seq, e.body, e.sentAt)
        resent++
        cursor = e.seq + 1
      }
      if (page.length < RESEND_PAGE) break
      from = page[page.length - 1].seq + 1
    }
    if (cursor <= end) gapFill(cursor, end + 1)
    this.event({ type: 'resend', begin, end, resent, gapFills })
  }

  /**
   * Resolves true once the socket has taken what was written (at once when its buffer is below its
   * high-water mark), false when the peer has read nothing for twice the heartbeat interval.
   */
  protected async drained (): Promise<boolean> {
    if (this.link === undefined) return true
    return await this.link.drained(Math.max(10_000, this.state.heartBtInt * 2000))
  }

  protected async onLogout (h: Header): Promise<void> {
    if (this.link === undefined) return
    if (this.state.phase === 'logout-sent') {
      this.event({ type: 'logout', text: 'logout confirmed', initiatedBy: 'us' })
      this.loggedOut = true
      return this.disconnect('logout confirmed')
    }
    const text = 'logout confirmed'
    this.event({ type: 'logout', text: `peer logged out${h.seq !== undefined ? '' : ''}`, initiatedBy: 'peer' })
    try {
      await this.sendAdmin(AdminType.Logout, body([[Tag.Text, text]]))
      this.loggedOut = true
    } finally {
      this.disconnect('peer logged out')
    }
  }

  /** The peer's Logon with 141=Y while logged on: both sequences start over, answered with 141=Y. */
  protected async resetMidSession (seq: number, fields: FieldsLike): Promise<void> {
    const st = await this.o.store.reset()
    this.state.held.clear()
    this.state.resend = undefined
    this.applyStore(
      st.nextSenderSeq,
      st.nextTargetSeq,
      'peer reset both sequences while logged on (Logon with 141=Y)',
      st.createdAt
    )
    const hb = numberOrUndefined(firstOf(fields, Tag.HeartBtInt))
    await this.sendAdmin(AdminType.Logon, this.logonBody(true, hb !== undefined && hb > 0 ? hb : this.state.heartBtInt))
    if (hb !== undefined && hb > 0) this.state.heartBtInt = hb
    await this.advanceTarget(seq + 1)
    this.event({ type: 'logon', resetSeqNum: true, heartBtInt: this.state.heartBtInt })
  }

  protected async advanceTarget (next: number): Promise<void> {
    if (next === this.state.nextTargetSeq) return
    await this.o.store.advanceTarget(next)
    this.state.nextTargetSeq = next
    this.resendProgress()
    this.emitState()
  }

  protected resendProgress (): void {
    const r = this.state.resend
    // Satisfied once the requested gap is passed, whatever is still held beyond it (QuickFIX does the same).
    if (r !== undefined && this.state.nextTargetSeq > r.end) {
      this.state.resend = undefined
      this.event({ type: 'gap-filled', begin: r.begin, end: r.end })
    }
  }

  protected applyStore (sender: number, target: number, reason: string, createdAt?: Date): void {
    this.state.nextSenderSeq = sender
    this.state.nextTargetSeq = target
    if (createdAt !== undefined) this.lastCreatedAt = createdAt.getTime()
    this.event({ type: 'sequence-numbers', nextSenderSeq: sender, nextTargetSeq: target, reason })
    this.emitState()
  }

  protected setPhase (p: SessionPhase): void {
    this.state.setPhase(p, this.clock())
    this.emitState()
  }

  /** Closes the transport (no Logout: callers send one first when the protocol wants it). */
  protected disconnect (reason: string): void {
    const link = this.link
    if (link === undefined) return
    this.link = undefined
    // Frames not yet worked through go with the connection (their waiters are released).
    for (const a of this.inbox.splice(0)) a.done()
    this.state.clearConnection()
    this.state.setPhase('disconnected', this.clock())
    link.disconnect()
    this.event({ type: 'disconnected', reason })
    this.emitState()
    this.resetAfterConnection()
    const waiters = this.disconnectWaiters
    this.disconnectWaiters = []
    for (const w of waiters) w()
  }

  /**
   * After a connection ends: the 'logout' policy starts both sequences over after a completed
   * Logout exchange, 'disconnect' after any end of a connection that was logged on (QuickFIX's
   * ResetOnLogout and ResetOnDisconnect). Queued, so a next Logon is handled after it.
   */
  protected resetAfterConnection (): void {
    const policy = this.settings.resetPolicy
    const due = (policy === 'logout' && this.loggedOut) || (policy === 'disconnect' && this.loggedOnThisConnection)
    this.loggedOut = false
    if (!due) return
    this.queue.run(async () => {
      if (this.link !== undefined) return
      const st = await this.o.store.reset()
      this.applyStore(st.nextSenderSeq, st.nextTargetSeq, `reset on ${policy}`, st.createdAt)
    }).catch(err => this.event({ type: 'error', text: `reset on ${policy}: ${(err as Error).message}` }))
  }

  /** An internal failure (e.g. the database): the connection cannot go on safely; the state is intact. */
  protected fail (text: string): void {
    this.event({ type: 'error', text })
    this.disconnect(text)
  }

  /** The session's clock in ms (the `now` option's). */
  protected clock (): number {
    return this.now().getTime()
  }

  protected emitState (): void {
    this.event({
      type: 'state',
      phase: this.state.phase,
      nextSenderSeq: this.state.nextSenderSeq,
      nextTargetSeq: this.state.nextTargetSeq
    })
  }

  protected event (e: SessionEvent): void {
    if (e.type !== 'state') this.log.event(`${e.type} ${JSON.stringify(e)}`)
    try {
      this.o.application.onEvent?.(e)
    } catch {
      // An observer's bug must not break the session.
    }
  }
}

/** Routing fields and the ones a reply carries in their place (OnBehalfOf <-> DeliverTo). */
const REVERSED: ReadonlyArray<[number, number]> = [
  [115, 128],
  [128, 115],
  [116, 129],
  [129, 116],
  [144, 145],
  [145, 144]
]

/** The routing fields of a reply to `fields`, reversed, as tag=value text (empty when there are none). */
export function reverseRoute (fields: FieldsLike | undefined): string {
  if (fields === undefined) return ''
  const out: Array<[number, string]> = []
  for (const [from, to] of REVERSED) {
    const v = firstOf(fields, from)
    if (v !== undefined && v !== '' && /^[\x20-\x7e]+$/.test(v)) out.push([to, v])
  }
  return body(out)
}

export function numberOrUndefined (v: string | undefined): number | undefined {
  return v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : undefined
}

function nonEmpty (v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}

/** Constant-time comparison of a received credential with the expected one (undefined expects nothing). */
export function same (got: string | undefined, want: string | undefined): boolean {
  if (want === undefined || want === '') return true
  const a = Buffer.from(got ?? '')
  const b = Buffer.from(want)
  return a.length === b.length && timingSafeEqual(a, b)
}
