import { timingSafeEqual } from 'crypto'
import {
  AdminType,
  body,
  BusinessMessageReject,
  BusinessRejectReason,
  firstOf,
  isAdmin,
  parseUtc,
  printable,
  Tag
} from './fields'
import { LongField, longFieldOf } from '../fix/framing'
import { OutboundValidator, ParsedMessage, SessionCodec } from './codec-port'
import { InboundProblem, RejectReason, validateInbound } from './inbound-validation'
import { groupCountProblem, looseFields, maxRejectReason, structureProblem } from './message-rules'
import { DuplicateOriginError, MessageStore, originKey, OutboundRecord, StreamOrigin } from './message-store'
import { HeldMessage, SessionPhase, SessionState } from './session-state'
import { normalizeSettings, SessionSettings } from './settings'
import { InboundMessage, SessionApplication, SessionEvent } from './application'
import { nullLog, printableFix, SessionLog } from './session-log'
import type { Responder } from './responder'
import { OutboundEncoder, OutboundMessageError } from './outbound-encoder'
import { SerialQueue } from './serial-queue'
import { isInSession, lastDailyReset } from './schedule'

export class NotLoggedOnError extends Error {
  constructor (phase: SessionPhase) {
    super(`the FIX session is not logged on (${phase}): message not sent, not confirmed`)
    this.name = 'NotLoggedOnError'
  }
}

export { OutboundMessageError }

export interface SendRequest {
  msgType: string
  /** An object keyed by field names (translator output)... */
  body?: Record<string, unknown>
  /** ...or a body already in tag=value form (SOH-delimited), e.g. from a raw FIX string. */
  rawBody?: string
  /** The stream row that caused this message: makes the send exactly-once. */
  origin?: StreamOrigin
  /** Send with PossResend(97)=Y: the application may have sent this message before (under another number). */
  possResend?: boolean
}

export interface SendResult {
  /** 'sent': journaled and written; 'duplicate': this origin was journaled before, nothing sent. */
  status: 'sent' | 'duplicate'
  seq: number
}

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

interface Header {
  beginString?: string
  msgType?: string
  seqText?: string
  seq?: number
  sender?: string
  target?: string
  sendingTimeText?: string
  possDup: boolean
  origSendingTime?: string
}

const MAX_HELD = 10000
/** Journal entries read per query when answering a ResendRequest. */
const RESEND_PAGE = 500
/** Most inbound messages committed in one statement. */
const MAX_BATCH = 200

/** A send waiting for its turn. */
interface OutboxItem { req: SendRequest, resolve: (r: SendResult) => void, reject: (e: Error) => void }

/** A batch framed for the journal, and what happens to each item once the journal has answered. */
interface FramedBatch {
  records: OutboundRecord[]
  accepted: Array<{ item: OutboxItem, frame: Buffer, seq: number }>
  /** Origins repeated within the batch, and origins journaled before. */
  repeats: Array<{ item: OutboxItem, key: string }>
  duplicates: Array<{ item: OutboxItem, seq: number }>
  rejected: Array<{ item: OutboxItem, err: Error }>
  inBatch: Map<string, number>
  nextSeq: number
}

/** A received frame waiting for its turn, and who waits for it to be worked through. */
interface Arrival { frame: Buffer, at: number, done: () => void }

/**
 * One FIX session (QuickFIX's Session): the protocol only. It is given a Responder (`connect`),
 * framed messages (`next(frame, now)`) and the time (`tick(now)`), and answers through the
 * Responder (write, disconnect); it owns no socket and no timer. A Connection (connection.ts)
 * drives it over TCP or TLS; the conformance suite drives it with no socket at all.
 * Invariants: everything the session does runs through one serial queue; every sequence number
 * it uses is committed to the store before the bytes go out, and every inbound message is
 * committed before its sequence number is accepted.
 */
export class Session {
  readonly settings: ReturnType<typeof normalizeSettings>
  readonly state = new SessionState()
  private readonly queue = new SerialQueue()
  private readonly log: SessionLog
  private readonly now: () => Date
  /** The current connection (the session's Responder); undefined while disconnected. */
  private link: Responder | undefined
  /** Frames given to `next` and not yet worked through, oldest first (all from `link`). */
  private inbox: Arrival[] = []
  private loaded = false
  private stopped = false
  private disconnectWaiters: Array<() => void> = []
  private testRequestCounter = 0
  private loggedOnThisConnection = false
  /** A Logout exchange completed on the current connection (for the 'logout' reset policy). */
  private loggedOut = false
  /** A PossDup message came since our last ResendRequest: the peer's answer has begun. */
  private resendAnswered = false
  private readonly outbox: OutboxItem[] = []
  private sendQueued = false
  private pumpQueued = false
  private readonly encoder: OutboundEncoder

  constructor (private readonly o: SessionOptions) {
    this.settings = normalizeSettings(o.settings)
    this.encoder = new OutboundEncoder(this.settings, o.codec, o.validator)
    this.log = o.log ?? nullLog
    this.now = o.now ?? (() => new Date())
  }

  get name (): string {
    return this.settings.name
  }

  get phase (): SessionPhase {
    return this.state.phase
  }

  get connected (): boolean {
    return this.link !== undefined
  }

  /** The responder is still attached but the peer has closed it (what it sent is still being worked through). */
  get closing (): boolean {
    return this.link !== undefined && this.link.closing
  }

  /** Loads the sequence numbers (creating the session's row the first time). */
  async start (): Promise<void> {
    await this.queue.run(async () => {
      const s = await this.o.store.load()
      this.state.nextSenderSeq = s.nextSenderSeq
      this.state.nextTargetSeq = s.nextTargetSeq
      this.lastCreatedAt = s.createdAt.getTime()
      this.loaded = true
      this.emitState()
    })
  }

  inSchedule (at = this.now()): boolean {
    return isInSession(this.settings.schedule, at)
  }

  /**
   * Gives the session a connected responder (QuickFIX's setResponder). Returns false (and leaves
   * it alone) when one is already attached or the session is stopped or not started. An
   * initiator then sends its Logon; an acceptor waits for the peer's.
   */
  connect (responder: Responder, remote = '', now = this.clock()): boolean {
    if (this.link !== undefined || this.stopped || !this.loaded) return false
    this.loggedOnThisConnection = false
    this.inbox = []
    this.state.lastReceivedAt = now
    this.state.lastSentAt = now
    this.state.setPhase(this.settings.role === 'acceptor' ? 'awaiting-logon' : 'disconnected', now)
    this.link = responder
    this.event({ type: 'connected', remote })
    if (this.settings.role === 'initiator') {
      this.queue.run(async () => await this.sendLogon()).catch(err => this.fail(`logon: ${(err as Error).message}`))
    } else {
      this.emitState()
    }
    return true
  }

  /**
   * One framed message from the connected peer, received at `now` (ms). Resolves once it has been
   * worked through (or dropped because the connection ended first). Frames are worked through
   * in the order given, each once; nothing is done with a frame given while no responder is
   * attached.
   */
  async next (frame: Buffer, now = this.clock()): Promise<void> {
    if (this.link === undefined) return
    await new Promise<void>(resolve => {
      this.inbox.push({ frame, at: now, done: resolve })
      this.schedulePump()
    })
  }

  /** Frames given to `next` and not yet worked through. */
  get waiting (): number {
    return this.inbox.length
  }

  /** Work is queued or running (a frame, a send, a tick, a commit). */
  get busy (): boolean {
    return this.queue.length > 0
  }

  /** Bytes of the peer's stream that could not start or finish a frame (the framing skipped them). */
  garbled (reason: string, bytes?: Buffer): void {
    this.event({
      type: 'garbled',
      text: bytes === undefined ? reason : `${reason}: ${printable(printableFix(bytes.toString('latin1')), 80)}`
    })
  }

  /** The responder's transport failed (it closes next). */
  transportError (err: Error): void {
    this.event({ type: 'error', text: `transport: ${err.message}` })
  }

  /**
   * The peer closed `responder`'s connection. Queued behind the frames already given: they were
   * received and are worked through first.
   */
  closed (responder: Responder): void {
    this.queue.run(async () => { if (responder === this.link) this.disconnect('connection closed') }).catch(() => {})
  }

  /**
   * Sends one application message: exactly once per origin, journaled before it is written.
   * Sends waiting together are journaled in one statement and written together (group commit);
   * each resolves or rejects on its own.
   */
  async send (req: SendRequest): Promise<SendResult> {
    return await new Promise<SendResult>((resolve, reject) => {
      this.outbox.push({ req, resolve, reject })
      if (this.sendQueued) return
      this.sendQueued = true
      this.queue.run(async () => {
        this.sendQueued = false
        await this.sendPump()
      }).catch(err => this.event({ type: 'error', text: `send: ${(err as Error).message}` }))
    })
  }

  private async sendPump (): Promise<void> {
    const items = this.outbox.splice(0, MAX_BATCH)
    if (this.outbox.length > 0 && !this.sendQueued) {
      this.sendQueued = true
      this.queue.run(async () => {
        this.sendQueued = false
        await this.sendPump()
      }).catch(err => this.event({ type: 'error', text: `send: ${(err as Error).message}` }))
    }
    // Logged on, the batch is journaled straight away: the journal's unique origin key refuses a
    // repeat (only rows redelivered after a restart or a rewind), and only then are the repeats
    // looked up, and the rest journaled again. Not logged on, repeats are still confirmed.
    const up = this.state.loggedOn && this.link !== undefined
    let known: Map<string, number> | undefined
    if (!up) {
      known = await this.lookUp(items)
      if (known === undefined) return
    }
    let b = this.frameBatch(items, known ?? new Map(), up)
    if (b.records.length > 0) {
      try {
        await this.o.store.recordSentBatch(b.records)
      } catch (err) {
        let failure: unknown = err
        if (err instanceof DuplicateOriginError && known === undefined) {
          known = await this.lookUp(items)
          if (known === undefined) return
          b = this.frameBatch(items, known, this.state.loggedOn && this.link !== undefined)
          failure = undefined
          if (b.records.length > 0) await this.o.store.recordSentBatch(b.records).catch(e => { failure = e })
        }
        if (failure !== undefined) {
          // Repeats found by the lookup were sent before: they stay confirmed whatever this batch does.
          for (const d of b.duplicates) d.item.resolve({ status: 'duplicate', seq: d.seq })
          for (const r of b.rejected) r.item.reject(r.err)
          for (const a of b.accepted) a.item.reject(failure as Error)
          for (const r of b.repeats) r.item.reject(failure as Error)
          return
        }
      }
    }
    for (const d of b.duplicates) d.item.resolve({ status: 'duplicate', seq: d.seq })
    for (const r of b.rejected) r.item.reject(r.err)
    if (b.records.length > 0) {
      this.state.nextSenderSeq = b.nextSeq
      if (this.link !== undefined && this.link.writable) {
        this.link.write(b.accepted.length === 1 ? b.accepted[0].frame : Buffer.concat(b.accepted.map(a => a.frame)))
        this.state.lastSentAt = this.clock()
        for (const r of b.records) this.log.outgoing(r.raw)
      }
      // Journaled: from here the message is the session's to deliver (resend covers a lost write).
      for (const a of b.accepted) a.item.resolve({ status: 'sent', seq: a.seq })
      this.emitState()
    }
    for (const r of b.repeats) r.item.resolve({ status: 'duplicate', seq: b.inBatch.get(r.key)! })
  }

  /** Which of the batch's origins are journaled already; undefined (every item rejected) if the lookup fails. */
  private async lookUp (items: OutboxItem[]): Promise<Map<string, number> | undefined> {
    const origins = items.map(i => i.req.origin).filter((o): o is StreamOrigin => o !== undefined)
    try {
      return await this.o.store.findSentMany(origins)
    } catch (err) {
      for (const i of items) i.reject(err as Error)
      return undefined
    }
  }

  /**
   * Frames a batch from the next sender seq on: repeats of `known` origins and of origins earlier
   * in the batch are set aside, bad messages rejected. Nothing is resolved here: that waits for
   * the journal's commit.
   */
  private frameBatch (items: OutboxItem[], known: Map<string, number>, up: boolean): FramedBatch {
    const b: FramedBatch = {
      records: [],
      accepted: [],
      repeats: [],
      duplicates: [],
      rejected: [],
      inBatch: new Map(),
      nextSeq: this.state.nextSenderSeq
    }
    const sentAt = this.now()
    for (const item of items) {
      const req = item.req
      const key = req.origin !== undefined ? originKey(req.origin) : undefined
      if (key !== undefined && known.has(key)) {
        b.duplicates.push({ item, seq: known.get(key)! })
        continue
      }
      if (key !== undefined && b.inBatch.has(key)) {
        b.repeats.push({ item, key })
        continue
      }
      if (!up) {
        b.rejected.push({ item, err: new NotLoggedOnError(this.state.phase) })
        continue
      }
      try {
        const { text, fields } = this.encoder.applicationBody(req)
        const seq = b.nextSeq
        const frame = this.encoder.frame(
          req.msgType,
          { ...this.encoder.header(seq, sentAt), PossResend: req.possResend === true },
          text
        )
        b.records.push({
          seq,
          msgType: req.msgType,
          clOrdID: firstOf(fields, Tag.ClOrdID),
          sentAt,
          body: text,
          raw: frame.toString('latin1'),
          origin: req.origin
        })
        b.accepted.push({ item, frame, seq })
        if (key !== undefined) b.inBatch.set(key, seq)
        b.nextSeq++
      } catch (err) {
        b.rejected.push({ item, err: err as Error })
      }
    }
    return b
  }

  /** Sends a Logout and waits for the answer (or the timeout), then closes the transport. */
  async logout (text = 'logout'): Promise<void> {
    const wait =
      this.link === undefined ? Promise.resolve() : new Promise<void>(resolve => this.disconnectWaiters.push(resolve))
    await this.queue.run(async () => {
      if (this.link === undefined) return
      if (this.state.loggedOn) {
        await this.sendAdmin(AdminType.Logout, body([[Tag.Text, printable(text)]]))
        this.setPhase('logout-sent')
      } else if (this.state.phase !== 'logout-sent') {
        this.disconnect(`closed before logon completed: ${text}`)
      }
    })
    await wait
  }

  /** Sets both sequence numbers back to 1. Only while not logged on (log out first). */
  async resetSequence (): Promise<void> {
    await this.queue.run(async () => {
      if (this.link !== undefined) throw new Error('log out before resetting the sequence numbers')
      const s = await this.o.store.reset()
      this.applyStore(s.nextSenderSeq, s.nextTargetSeq, 'reset by operator', s.createdAt)
    })
  }

  /** Sets the next sender and/or target sequence numbers. Only while not logged on. */
  async setNextSequence (sender?: number, target?: number): Promise<void> {
    await this.queue.run(async () => {
      if (this.link !== undefined) throw new Error('log out before setting the sequence numbers')
      const s = await this.o.store.setNext(sender, target)
      this.applyStore(s.nextSenderSeq, s.nextTargetSeq, 'set by operator')
    })
  }

  /** Logs out if logged on, closes the transport, stops the timers. The session cannot be reused. */
  async stop (text = 'session stopped'): Promise<void> {
    if (this.link !== undefined) await this.logout(text).catch(() => {})
    this.stopped = true
    this.disconnect('stopped')
    await this.queue.idle().catch(() => {})
  }

  /** Whether the current (or last) connection reached logged-on. */
  get hadLogon (): boolean {
    return this.loggedOnThisConnection
  }

  /** Resolves when the current transport is gone (at once when there is none). */
  async whenDisconnected (): Promise<void> {
    if (this.link === undefined) return
    await new Promise<void>(resolve => this.disconnectWaiters.push(resolve))
  }

  /** Waits for everything queued so far (tests and shutdown). */
  async idle (): Promise<void> {
    await this.queue.idle().catch(() => {})
  }

  // ---- outbound ------------------------------------------------------------------------

  /** Frames an admin message under the next sender seq, commits the seq, then writes it. */
  private async sendAdmin (msgType: string, text: string): Promise<number | undefined> {
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
  private async sendJournaled (msgType: string, text: string): Promise<number | undefined> {
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
  private resendFrame (msgType: string, seq: number, text: string, orig: Date): void {
    this.write(this.encoder.frame(msgType, this.encoder.header(seq, this.now(), { orig }), text))
  }

  private write (frame: Buffer, raw?: string): void {
    const link = this.link
    if (link === undefined || !link.writable) return
    link.write(frame)
    this.state.lastSentAt = this.clock()
    this.log.outgoing(raw ?? frame.toString('latin1'))
  }

  private async sendLogon (): Promise<void> {
    if (this.link === undefined) return
    let reset = false
    if (this.settings.resetPolicy === 'logon' || this.dailyResetDue()) {
      const s = await this.o.store.reset()
      this.applyStore(s.nextSenderSeq, s.nextTargetSeq, `reset at logon (${this.settings.resetPolicy})`, s.createdAt)
      reset = true
    }
    this.state.resetRequested = reset
    await this.sendAdmin(AdminType.Logon, this.logonBody(reset, this.settings.heartBtInt))
    this.state.heartBtInt = this.settings.heartBtInt
    this.setPhase('logon-sent')
  }

  private logonBody (reset: boolean, heartBtInt: number): string {
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

  private dailyResetDue (): boolean {
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

  // Set by start() from the store; until then the construction time.
  private lastCreatedAt = Date.now()

  private async sendReject (
    refSeq: number,
    msgType: string | undefined,
    p: InboundProblem,
    replyTo?: ReadonlyArray<[number, string]>
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
  private async sendBusinessReject (
    refSeq: number,
    msgType: string,
    p: InboundProblem,
    replyTo?: ReadonlyArray<[number, string]>
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
  private receives (msgType: string): boolean {
    const only = this.settings.receiveMsgTypes
    return only === undefined || only.length === 0 || only.includes(msgType)
  }

  /**
   * Logout with a reason for problems the protocol says end the connection. A logged-on session
   * then waits (up to logoutTimeoutMs) for the peer's Logout; a refused logon closes at once.
   */
  private async logoutAndClose (text: string): Promise<void> {
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

  private async requestResend (begin: number, upTo: number, newMessage = false): Promise<void> {
    const r = this.state.resend
    // Asked already while the gap starts inside the open request (whose end stays the gap it was
    // sent for: QuickFIX's resend range) and the peer has not begun to answer. A gap after that
    // range, or one a new message (no PossDup) shows once the answer began, is new and asked for:
    // the peer answers up to where it was, and a MsgSeqNum far ahead must not swallow later gaps.
    if (r !== undefined && r.begin <= begin && begin <= r.end && !(newMessage && this.resendAnswered)) return
    // EndSeqNo 0 means "everything after BeginSeqNo" (FIX 4.2 and later).
    await this.sendAdmin(AdminType.ResendRequest, body([[Tag.BeginSeqNo, begin], [Tag.EndSeqNo, 0]]))
    this.resendAnswered = false
    this.state.resend = { begin, end: upTo }
    this.event({ type: 'resend-request-sent', begin, end: upTo })
  }

  /** Answers a ResendRequest: journaled application messages again, gap fills for the rest. */
  private async answerResend (fields: Array<[number, string]>): Promise<void> {
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
    // fast as the peer reads: each page waits for the socket to drain.
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
      if (!await this.drained()) return this.fail('the peer does not read: resend stopped')
    }
    if (cursor <= end) gapFill(cursor, end + 1)
    this.event({ type: 'resend', begin, end, resent, gapFills })
  }

  /**
   * Resolves true once the socket has taken what was written (at once when its buffer is below its
   * high-water mark), false when the peer has read nothing for twice the heartbeat interval.
   */
  private async drained (): Promise<boolean> {
    if (this.link === undefined) return true
    return await this.link.drained(Math.max(10_000, this.state.heartBtInt * 2000))
  }

  // ---- inbound -------------------------------------------------------------------------

  /**
   * Works through received frames in order (up to MAX_BATCH per turn). Plain in-sequence application messages are
   * committed together (one statement for a run of them: group commit); everything else goes
   * through the full protocol path one by one.
   */
  private async pump (): Promise<void> {
    const link = this.link
    const arrivals = this.inbox.splice(0, MAX_BATCH)
    try {
      let batch: HeldMessage[] = []
      for (const { frame, at } of arrivals) {
        if (link === undefined || link !== this.link) return
        // Before any parse or pattern: a field over the cap ends the connection (resending the same
        // message could never succeed, so ignoring it would only loop on ResendRequests). The frames
        // after it in this round are dropped: the connection is ending.
        const long = longFieldOf(frame, this.settings.maxFieldLength)
        if (long !== undefined) {
          await this.deliver(batch)
          batch = []
          await this.onLongField(long)
          break
        }
        const fast = this.plainNext(frame, batch.length, at)
        if (fast !== undefined) {
          batch.push(fast)
          continue
        }
        await this.deliver(batch)
        batch = []
        await this.onFrame(frame, at)
      }
      await this.deliver(batch)
    } finally {
      for (const a of arrivals) a.done()
    }
    if (link !== this.link) return
    // More waiting: queue another round behind whatever else is queued (sends, timers).
    if (this.inbox.length > 0) this.schedulePump()
  }

  /** A frame with a field longer than maxFieldLength: Logout when logged on, else disconnect; nothing parsed. */
  private async onLongField (f: LongField): Promise<void> {
    const text = `field ${printable(f.tag, 12)} is ${f.length} bytes long, over maxFieldLength ` +
      `(${this.settings.maxFieldLength})`
    this.event({ type: 'garbled', text })
    if (this.state.loggedOn) await this.logoutAndClose(text)
    else this.disconnect(text)
  }

  private schedulePump (): void {
    if (this.pumpQueued) return
    this.pumpQueued = true
    this.queue.run(async () => {
      this.pumpQueued = false
      await this.pump()
    }).catch(err => this.fail(`inbound: ${(err as Error).message}`))
  }

  /**
   * The frame as a message ready to commit when it is the simple case: logged on, nothing held
   * or being resent, an application message with exactly the next seq, no PossDup, and every
   * check passed. Undefined sends it down the full path.
   */
  private plainNext (frame: Buffer, pending: number, at: number): HeldMessage | undefined {
    const st = this.state
    if (st.phase !== 'logged-on' || st.held.size > 0 || st.resend !== undefined) return undefined
    let parsed: ParsedMessage
    try {
      parsed = this.o.codec.parse(frame)
    } catch {
      return undefined
    }
    const fields = parsed.fields
    const h = headerOf(fields)
    if (h.beginString !== this.settings.beginString || h.msgType === undefined || isAdmin(h.msgType) || h.possDup) {
      return undefined
    }
    if (h.seq !== st.nextTargetSeq + pending) return undefined
    if (h.sender !== this.settings.targetCompID || h.target !== this.settings.senderCompID) return undefined
    if (this.checkHeader(h) !== undefined) return undefined
    if (structureProblem(fields) !== undefined) return undefined
    if (
      this.settings.validateInbound &&
      (validateInbound(this.o.codec.definitions, h.msgType, fields) !== undefined ||
        groupCountProblem(this.o.codec.definitions, h.msgType, fields) !== undefined)
    ) { return undefined }
    if (!this.receives(h.msgType)) return undefined
    st.lastReceivedAt = at
    st.testRequest = undefined
    this.log.incoming(parsed.raw)
    return { seq: h.seq, msgType: h.msgType, raw: parsed.raw, fields, parsed, handled: false }
  }

  private async onFrame (frame: Buffer, at: number): Promise<void> {
    this.state.lastReceivedAt = at
    this.state.testRequest = undefined
    const raw = frame.toString('latin1')
    // Before a valid Logon nothing of the peer is logged in full: the Logon is logged once accepted.
    const preLogon = this.state.phase === 'awaiting-logon'
    if (!preLogon) this.log.incoming(raw)
    let parsed: ParsedMessage | undefined
    let parseError: (Error & { reason?: string, tag?: number }) | undefined
    try {
      parsed = this.o.codec.parse(frame)
    } catch (err) {
      parseError = err as Error & { reason?: string, tag?: number }
    }
    // A frame that is not sound (BodyLength, CheckSum, 8/9/35 not first, no trailer) is ignored, as
    // FIX says: no Reject, no sequence number consumed; the gap it leaves is filled by a resend.
    // A sound frame with a bad tag (0, -1, abc) is answered with a Reject (373=0).
    let problem: InboundProblem | undefined
    let fields = parsed?.fields
    if (parseError !== undefined) {
      const loose = parseError.reason === 'garbled' ? looseFields(frame) : undefined
      if (loose === undefined) {
        return this.event({ type: 'garbled', text: `${parseError.message}: ${printable(printableFix(raw), 80)}` })
      }
      fields = loose.fields
      problem = loose.problem
    }
    if (fields === undefined) return
    const h = headerOf(fields)
    if (h.msgType === undefined || h.msgType === '' || fields[0]?.[0] !== Tag.BeginString) {
      return this.event({
        type: 'garbled',
        text: `no MsgType or BeginString first: ${printable(printableFix(raw), 80)}`
      })
    }
    if (preLogon && (h.beginString !== this.settings.beginString || h.msgType !== AdminType.Logon)) {
      this.event({
        type: 'logon-refused',
        text: `first message was not a valid Logon (MsgType ${printable(h.msgType, 4)})`
      })
      return this.disconnect('no valid Logon')
    }
    if (h.beginString !== this.settings.beginString) {
      return await this.logoutAndClose(
        `Incorrect BeginString ${printable(h.beginString ?? '', 20)}, expected ${this.settings.beginString}`
      )
    }

    if (this.state.phase === 'awaiting-logon' || this.state.phase === 'logon-sent') {
      if (h.msgType === AdminType.Logout) {
        const text = firstOf(fields, Tag.Text) ?? ''
        this.event({ type: 'logout', text: `logon refused by the peer: ${printable(text)}`, initiatedBy: 'peer' })
        return this.disconnect(`logon refused by the peer: ${printable(text)}`)
      }
      if (h.msgType !== AdminType.Logon || problem !== undefined) {
        this.event({
          type: 'logon-refused',
          text: 'first message ' +
          `was ${h.msgType !== AdminType.Logon ? `MsgType ${h.msgType}, not a Logon` : `a bad Logon: ${problem!.text}`}`
        })
        return this.disconnect('no valid Logon')
      }
      return await this.onLogon(h, fields, raw)
    }
    if (this.state.phase !== 'logged-on' && this.state.phase !== 'logout-sent') return

    problem ??= structureProblem(fields) ?? this.checkHeader(h)
    if (h.seq === undefined) {
      // Without a sequence number the message cannot be placed: reject it without using a number.
      return await this.sendReject(
        0,
        h.msgType,
        problem ?? { reason: RejectReason.RequiredTagMissing, refTag: Tag.MsgSeqNum, text: 'MsgSeqNum missing' },
        fields
      )
    }
    if (problem === undefined && (h.sender !== this.settings.targetCompID || h.target !== this.settings.senderCompID)) {
      if (h.seq === this.state.nextTargetSeq) await this.advanceTarget(h.seq + 1)
      await this.sendReject(h.seq, h.msgType, { reason: RejectReason.CompIDProblem, text: 'CompID problem' })
      return await this.logoutAndClose(
        `Incorrect CompIDs: ${printable(h.sender ?? '', 40)}->${printable(h.target ?? '', 40)}`
      )
    }
    if (problem === undefined && this.settings.validateInbound) {
      problem =
        validateInbound(this.o.codec.definitions, h.msgType, fields) ??
        groupCountProblem(this.o.codec.definitions, h.msgType, fields)
    }
    if (problem === undefined && !isAdmin(h.msgType) && !this.receives(h.msgType)) {
      problem = {
        business: true,
        reason: BusinessRejectReason.UnsupportedMessageType,
        text: `Unsupported Message Type ${h.msgType}`
      }
    }
    if (
      problem === undefined &&
      h.possDup &&
      h.origSendingTime === undefined &&
      h.msgType !== AdminType.SequenceReset &&
      h.seq >= this.state.nextTargetSeq
    ) {
      problem = {
        reason: RejectReason.RequiredTagMissing,
        refTag: Tag.OrigSendingTime,
        text: 'Required tag missing (122 OrigSendingTime)'
      }
    }

    // A Logon with 141=Y while logged on: the peer starts both sequences over (QuickFIX does the same).
    if (
      h.msgType === AdminType.Logon &&
      problem === undefined &&
      this.state.loggedOn &&
      firstOf(fields, Tag.ResetSeqNumFlag) === 'Y'
    ) {
      return await this.resetMidSession(h.seq, fields)
    }
    // SequenceReset-Reset ignores sequence numbers altogether.
    if (h.msgType === AdminType.SequenceReset && problem === undefined && firstOf(fields, Tag.GapFillFlag) !== 'Y') {
      return await this.onSequenceReset(h.seq, fields, false)
    }
    if (h.possDup && this.state.resend !== undefined) this.resendAnswered = true
    const expected = this.state.nextTargetSeq
    if (h.seq < expected) {
      if (!h.possDup) return await this.logoutAndClose(`MsgSeqNum too low, expecting ${expected} but received ${h.seq}`)
      if (problem?.reason === RejectReason.SendingTimeAccuracyProblem) {
        await this.sendReject(h.seq, h.msgType, problem, fields)
        return await this.logoutAndClose(problem.text)
      }
      if (h.origSendingTime === undefined && h.msgType !== AdminType.SequenceReset) {
        return await this.sendReject(
          h.seq,
          h.msgType,
          {
            reason: RejectReason.RequiredTagMissing,
            refTag: Tag.OrigSendingTime,
            text: 'Required tag missing (122 OrigSendingTime)'
          },
          fields
        )
      }
      return this.event({ type: 'duplicate-dropped', seq: h.seq, msgType: h.msgType })
    }
    const item: HeldMessage = { seq: h.seq, msgType: h.msgType, raw, fields, parsed, problem, handled: false }
    if (h.seq > expected) {
      if (problem === undefined && h.msgType === AdminType.ResendRequest) {
        await this.answerResend(fields)
        item.handled = true
      }
      if (problem === undefined && h.msgType === AdminType.Logout) return await this.onLogout(h)
      if (this.state.held.size < MAX_HELD) this.state.held.set(h.seq, item)
      await this.requestResend(expected, h.seq - 1, !h.possDup)
      return
    }
    await this.process(item)
    await this.drainHeld()
  }

  private checkHeader (h: Header): InboundProblem | undefined {
    if (h.seqText === undefined) {
      return {
        reason: RejectReason.RequiredTagMissing,
        refTag: Tag.MsgSeqNum,
        text: 'Required tag missing (34 MsgSeqNum)'
      }
    }
    if (h.seq === undefined) {
      return {
        reason: RejectReason.IncorrectDataFormat,
        refTag: Tag.MsgSeqNum,
        text: 'Incorrect data format for value (34 MsgSeqNum)'
      }
    }
    if (h.sender === undefined) {
      return {
        reason: RejectReason.RequiredTagMissing,
        refTag: Tag.SenderCompID,
        text: 'Required tag missing (49 SenderCompID)'
      }
    }
    if (h.target === undefined) {
      return {
        reason: RejectReason.RequiredTagMissing,
        refTag: Tag.TargetCompID,
        text: 'Required tag missing (56 TargetCompID)'
      }
    }
    if (h.sendingTimeText === undefined) {
      return {
        reason: RejectReason.RequiredTagMissing,
        refTag: Tag.SendingTime,
        text: 'Required tag missing (52 SendingTime)'
      }
    }
    const sent = parseUtc(h.sendingTimeText)
    if (sent === undefined) {
      return {
        reason: RejectReason.IncorrectDataFormat,
        refTag: Tag.SendingTime,
        text: 'Incorrect data format for value (52 SendingTime)'
      }
    }
    // Both SendingTime problems end the session (Reject, then Logout), as QuickFIX does.
    if (Math.abs(sent.getTime() - this.now().getTime()) > this.settings.maxClockSkewMs) {
      return { reason: RejectReason.SendingTimeAccuracyProblem, text: 'SendingTime accuracy problem' }
    }
    if (h.origSendingTime !== undefined) {
      const orig = parseUtc(h.origSendingTime)
      if (orig === undefined) {
        return {
          reason: RejectReason.IncorrectDataFormat,
          refTag: Tag.OrigSendingTime,
          text: 'Incorrect data format for value (122 OrigSendingTime)'
        }
      }
      if (h.possDup && orig.getTime() > sent.getTime()) {
        return {
          reason: RejectReason.SendingTimeAccuracyProblem,
          text: 'SendingTime accuracy problem (OrigSendingTime later than SendingTime)'
        }
      }
    }
    return undefined
  }

  /** Handles a message whose seq is the expected one; moves the target seq past it (committed). */
  private async process (m: HeldMessage): Promise<void> {
    if (m.problem !== undefined) {
      await this.advanceTarget(m.seq + 1)
      if (m.problem.business === true) await this.sendBusinessReject(m.seq, m.msgType, m.problem, m.fields)
      else await this.sendReject(m.seq, m.msgType, m.problem, m.fields)
      if (m.problem.reason === RejectReason.SendingTimeAccuracyProblem && m.problem.business !== true) {
        await this.logoutAndClose(m.problem.text)
      }
      return
    }
    const f = m.fields
    switch (m.msgType) {
      case AdminType.Heartbeat:
        await this.advanceTarget(m.seq + 1)
        return
      case AdminType.TestRequest:
        await this.advanceTarget(m.seq + 1)
        await this.sendAdmin(AdminType.Heartbeat, body([[Tag.TestReqID, firstOf(f, Tag.TestReqID)]]))
        return
      case AdminType.ResendRequest:
        await this.advanceTarget(m.seq + 1)
        if (!m.handled) await this.answerResend(f)
        return
      case AdminType.Reject:
        await this.advanceTarget(m.seq + 1)
        this.event({
          type: 'reject-received',
          msgType: m.msgType,
          refSeqNum: numberOrUndefined(firstOf(f, Tag.RefSeqNum)),
          reason: firstOf(f, Tag.SessionRejectReason),
          text: firstOf(f, Tag.Text)
        })
        return
      case AdminType.SequenceReset:
        await this.onSequenceReset(m.seq, f, true)
        return
      case AdminType.Logout:
        await this.advanceTarget(m.seq + 1)
        await this.onLogout(headerOf(f))
        return
      case AdminType.Logon:
        await this.advanceTarget(m.seq + 1)
        if (!m.handled) {
          await this.sendReject(
            m.seq,
            m.msgType,
            { reason: -1, text: 'Logon received while already logged on' },
            m.fields
          )
        }
        return
    }
    await this.deliver([m])
  }

  /**
   * Commits application messages (consecutive, from the expected seq) to fix_in with the new target seq,
   * then hands them on.
   */
  private async deliver (batch: HeldMessage[]): Promise<void> {
    if (batch.length === 0) return
    const store = this.settings.storeDecoded
    const prepared = batch.map(m => ({ m, h: headerOf(m.fields), decoded: store ? decode(m.parsed) : undefined }))
    const last = batch[batch.length - 1].seq
    const receiveSeqs = await this.o.store.recordReceived(prepared.map(({ m, h, decoded }) => ({
      seq: m.seq,
      msgType: m.msgType,
      senderCompID: h.sender ?? '',
      targetCompID: h.target ?? '',
      clOrdID: firstOf(m.fields, Tag.ClOrdID),
      origClOrdID: firstOf(m.fields, Tag.OrigClOrdID),
      possDup: h.possDup,
      sendingTime: parseUtc(h.sendingTimeText),
      raw: m.raw,
      message: decoded === undefined ? null : jsonText(decoded.body)
    })), last + 1)
    this.state.nextTargetSeq = last + 1
    this.resendProgress()
    this.emitState()
    for (const [i, { m, h, decoded }] of prepared.entries()) {
      try {
        this.o.application.fromApp(inboundMessage(m, h.possDup, receiveSeqs[i], decoded))
      } catch (err) {
        this.event({ type: 'error', text: `application callback: ${(err as Error).message}` })
      }
    }
  }

  private async drainHeld (): Promise<void> {
    const held = this.state.held
    while (held.size > 0 && this.link !== undefined && this.state.phase !== 'disconnected') {
      for (const seq of held.keys()) if (seq < this.state.nextTargetSeq) held.delete(seq)
      const next = held.get(this.state.nextTargetSeq)
      if (next === undefined) break
      held.delete(next.seq)
      await this.process(next)
    }
  }

  private async onSequenceReset (seq: number, fields: Array<[number, string]>, gapFill: boolean): Promise<void> {
    const newSeqText = firstOf(fields, Tag.NewSeqNo)
    const newSeq = numberOrUndefined(newSeqText)
    const expected = this.state.nextTargetSeq
    if (newSeq === undefined) {
      if (gapFill) await this.advanceTarget(seq + 1)
      return await this.sendReject(seq, AdminType.SequenceReset, {
        reason: newSeqText === undefined ? RejectReason.RequiredTagMissing : RejectReason.IncorrectDataFormat,
        refTag: Tag.NewSeqNo,
        text: 'NewSeqNo missing or invalid'
      })
    }
    if (newSeq < expected || (gapFill && newSeq <= seq)) {
      if (gapFill) await this.advanceTarget(seq + 1)
      return await this.sendReject(seq, AdminType.SequenceReset, {
        reason: RejectReason.ValueIncorrect,
        refTag: Tag.NewSeqNo,
        text: `Attempt to lower sequence number, invalid value NewSeqNo=${newSeq}`
      })
    }
    await this.advanceTarget(newSeq)
    this.event({ type: 'sequence-reset', newSeqNo: newSeq, gapFill })
    if (gapFill) this.event({ type: 'gap-filled', begin: seq, end: newSeq - 1 })
    await this.drainHeld()
  }

  private async onLogout (h: Header): Promise<void> {
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
  private async resetMidSession (seq: number, fields: Array<[number, string]>): Promise<void> {
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

  /**
   * After a connection ends: the 'logout' policy starts both sequences over after a completed
   * Logout exchange, 'disconnect' after any end of a connection that was logged on (QuickFIX's
   * ResetOnLogout and ResetOnDisconnect). Queued, so a next Logon is handled after it.
   */
  private resetAfterConnection (): void {
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

  private async onLogon (h: Header, fields: Array<[number, string]>, raw: string): Promise<void> {
    const s = this.settings
    const preLogon = this.state.phase === 'awaiting-logon'
    // A peer not yet known to be the counterparty (CompIDs, credentials) is told nothing: a
    // plain disconnect, no Logout, no sequence number used, as QuickFIX does.
    const drop = (text: string): void => {
      this.event({ type: 'logon-refused', text })
      this.disconnect(text)
    }
    if (h.sender !== s.targetCompID || h.target !== s.senderCompID) {
      return drop(
        `Logon for other CompIDs (received 49=${printable(h.sender ?? '', 24)} 56=${printable(h.target ?? '', 24)})`
      )
    }
    if (s.expectUsername !== undefined || s.expectPassword !== undefined) {
      if (
        !same(firstOf(fields, Tag.Username), s.expectUsername) ||
        !same(firstOf(fields, Tag.Password), s.expectPassword)
      ) { return drop('Invalid username or password') }
    }
    if (preLogon) this.log.incoming(raw)
    const refuse = async (text: string): Promise<void> => {
      this.event({ type: 'logon-refused', text })
      await this.logoutAndClose(text)
    }
    if (h.seq === undefined) return await refuse('Logon without a valid MsgSeqNum')
    const hb = numberOrUndefined(firstOf(fields, Tag.HeartBtInt))
    if (hb === undefined || hb < 0) return await refuse('HeartBtInt (108) missing or invalid')
    if (s.beginString === 'FIXT.1.1' && firstOf(fields, Tag.DefaultApplVerID) === undefined) {
      return await refuse('DefaultApplVerID (1137) missing')
    }
    if (!this.inSchedule()) return await refuse('Logon outside the session time')
    const headerProblem = this.checkHeader(h)
    if (headerProblem !== undefined) return await refuse(`Logon refused: ${headerProblem.text}`)

    const peerReset = firstOf(fields, Tag.ResetSeqNumFlag) === 'Y'
    // The acceptor answers 141=Y only when the peer asked for it (or its own daily reset is due,
    // which the peer must follow); reset on logon (QuickFIX's ResetOnLogon) starts both over at
    // every Logon: a Logon with a higher MsgSeqNum is then followed by a ResendRequest.
    let answerReset = false
    if (s.role === 'acceptor') {
      const daily = this.dailyResetDue()
      if (peerReset || daily || s.resetPolicy === 'logon') {
        const st = await this.o.store.reset()
        this.applyStore(
          st.nextSenderSeq,
          st.nextTargetSeq,
          peerReset ? 'peer asked for a reset (141=Y)' : `reset at logon (${s.resetPolicy})`,
          st.createdAt
        )
        answerReset = peerReset || daily
      }
    } else if (peerReset && !this.state.resetRequested && this.state.nextTargetSeq !== 1) {
      // The peer reset on its own: its numbers start at 1 again.
      const st = await this.o.store.setNext(undefined, 1)
      this.applyStore(st.nextSenderSeq, st.nextTargetSeq, 'peer reset its sequence numbers (141=Y)')
    }
    const expected = this.state.nextTargetSeq
    if (h.seq < expected) return await refuse(`MsgSeqNum too low, expecting ${expected} but received ${h.seq}`)

    if (s.role === 'acceptor') {
      await this.sendAdmin(AdminType.Logon, this.logonBody(answerReset, hb === 0 ? s.heartBtInt : hb))
    }
    this.state.heartBtInt = hb > 0 ? hb : s.heartBtInt
    this.setPhase('logged-on')
    this.loggedOnThisConnection = true
    this.event({
      type: 'logon',
      resetSeqNum: answerReset || peerReset || this.state.resetRequested,
      heartBtInt: this.state.heartBtInt
    })
    if (h.seq === expected) {
      await this.advanceTarget(h.seq + 1)
    } else {
      this.state.held.set(h.seq, { seq: h.seq, msgType: AdminType.Logon, raw: '', fields, handled: true })
      await this.requestResend(expected, h.seq - 1)
    }
  }

  // ---- sequence numbers, timers, transport ---------------------------------------------

  private async advanceTarget (next: number): Promise<void> {
    if (next === this.state.nextTargetSeq) return
    await this.o.store.advanceTarget(next)
    this.state.nextTargetSeq = next
    this.resendProgress()
    this.emitState()
  }

  private resendProgress (): void {
    const r = this.state.resend
    // Satisfied once the requested gap is passed, whatever is still held beyond it (QuickFIX does the same).
    if (r !== undefined && this.state.nextTargetSeq > r.end) {
      this.state.resend = undefined
      this.event({ type: 'gap-filled', begin: r.begin, end: r.end })
    }
  }

  private applyStore (sender: number, target: number, reason: string, createdAt?: Date): void {
    this.state.nextSenderSeq = sender
    this.state.nextTargetSeq = target
    if (createdAt !== undefined) this.lastCreatedAt = createdAt.getTime()
    this.event({ type: 'sequence-numbers', nextSenderSeq: sender, nextTargetSeq: target, reason })
    this.emitState()
  }

  /**
   * The time passes (the connection's clock calls this a few times a second): logon and logout
   * timeouts, Heartbeat and TestRequest, the end of the session time and the daily reset. Does
   * nothing while disconnected or while other work is queued (it runs again at the next tick).
   */
  tick (now = this.clock()): void {
    if (this.link === undefined || this.queue.length > 0) return
    const st = this.state
    const s = this.settings
    const job = async (): Promise<void> => {
      if (this.link === undefined) return
      switch (st.phase) {
        case 'awaiting-logon':
        case 'logon-sent':
          if (now - st.phaseSince > s.logonTimeoutMs) {
            this.event({ type: 'logon-refused', text: 'no Logon answer in time' })
            this.disconnect('logon timeout')
          }
          return
        case 'logout-sent':
          if (now - st.phaseSince > s.logoutTimeoutMs) this.disconnect('no answer to our Logout')
          return
        case 'logged-on': {
          const hbMs = st.heartBtInt * 1000
          if (st.testRequest !== undefined && now - st.testRequest.at > hbMs) {
            return await this.logoutAndClose('no answer to TestRequest (heartbeat timeout)')
          }
          if (st.testRequest === undefined && now - st.lastReceivedAt > hbMs * 1.2 + 200) {
            const id = `TEST-${++this.testRequestCounter}-${now}`
            await this.sendAdmin(AdminType.TestRequest, body([[Tag.TestReqID, id]]))
            st.testRequest = { id, at: now }
            this.event({ type: 'test-request-sent', id })
            return
          }
          if (now - st.lastSentAt >= hbMs) await this.sendAdmin(AdminType.Heartbeat, '')
          if (!this.inSchedule()) await this.logoutAndClose('end of session time')
          else if (this.dailyResetDue()) await this.logoutAndClose('daily sequence reset')
        }
      }
    }
    this.queue.run(job).catch(err => this.fail(`timer: ${(err as Error).message}`))
  }

  private setPhase (p: SessionPhase): void {
    this.state.setPhase(p, this.clock())
    this.emitState()
  }

  /** Closes the transport (no Logout: callers send one first when the protocol wants it). */
  private disconnect (reason: string): void {
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

  /** An internal failure (e.g. the database): the connection cannot go on safely; the state is intact. */
  private fail (text: string): void {
    this.event({ type: 'error', text })
    this.disconnect(text)
  }

  /** The session's clock in ms (the `now` option's). */
  private clock (): number {
    return this.now().getTime()
  }

  private emitState (): void {
    this.event({
      type: 'state',
      phase: this.state.phase,
      nextSenderSeq: this.state.nextSenderSeq,
      nextTargetSeq: this.state.nextTargetSeq
    })
  }

  private event (e: SessionEvent): void {
    if (e.type !== 'state') this.log.event(`${e.type} ${JSON.stringify(e)}`)
    try {
      this.o.application.onEvent?.(e)
    } catch {
      // An observer's bug must not break the session.
    }
  }
}

function headerOf (fields: ReadonlyArray<[number, string]>): Header {
  const h: Header = { possDup: false }
  const seen = new Set<number>()
  for (const [t, v] of fields) {
    if (seen.has(t)) continue
    seen.add(t)
    switch (t) {
      case Tag.BeginString: h.beginString = v; break
      case Tag.MsgType: h.msgType = v; break
      case Tag.MsgSeqNum: h.seqText = v; h.seq = /^[1-9]\d{0,15}$/.test(v) ? Number(v) : undefined; break
      case Tag.SenderCompID: h.sender = v; break
      case Tag.TargetCompID: h.target = v; break
      case Tag.SendingTime: h.sendingTimeText = v; break
      case Tag.PossDupFlag: h.possDup = v === 'Y'; break
      case Tag.OrigSendingTime: h.origSendingTime = v; break
    }
  }
  return h
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
function reverseRoute (fields: ReadonlyArray<[number, string]> | undefined): string {
  if (fields === undefined) return ''
  const out: Array<[number, string]> = []
  for (const [from, to] of REVERSED) {
    const v = firstOf(fields, from)
    if (v !== undefined && v !== '' && /^[\x20-\x7e]+$/.test(v)) out.push([to, v])
  }
  return body(out)
}

function numberOrUndefined (v: string | undefined): number | undefined {
  return v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : undefined
}

function nonEmpty (v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}

/** Constant-time comparison of a received credential with the expected one (undefined expects nothing). */
function same (got: string | undefined, want: string | undefined): boolean {
  if (want === undefined || want === '') return true
  const a = Buffer.from(got ?? '')
  const b = Buffer.from(want)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The decoded body as JSON text for fix_in.message: Dates as ISO text, Buffers as base64, bigints as text. */
function jsonText (v: unknown): string {
  // jsonb holds no NUL, which the decoder makes of a byte 0x80 (ASCII reading): U+FFFD in the
  // decoded copy only (raw stays exact); an escaped backslash before "u0000" is left alone.
  return JSON.stringify(v, (_k, x) => {
    if (x !== null && typeof x === 'object' && x.type === 'Buffer' && Array.isArray(x.data)) {
      return Buffer.from(x.data).toString('base64')
    }
    if (typeof x === 'bigint') return x.toString()
    return x
  }).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd')
}

interface Decoded { body: Record<string, unknown>, header: Record<string, unknown> }

/** The message as objects keyed by field names: body (no header or trailer) and header. */
function decode (parsed: ParsedMessage | undefined): Decoded {
  let obj: Record<string, unknown>
  try {
    obj = parsed?.toObject() ?? {}
  } catch (err) {
    obj = { parseError: (err as Error).message }
  }
  const { StandardHeader, StandardTrailer, ...body } = obj
  return { body, header: (StandardHeader ?? {}) as Record<string, unknown> }
}

/** What the application gets; body and header are decoded on first use when fix_in did not need them. */
function inboundMessage (
  m: HeldMessage,
  possDup: boolean,
  receiveSeq: string,
  decoded: Decoded | undefined
): InboundMessage {
  let d = decoded
  const get = (): Decoded => (d ??= decode(m.parsed))
  return {
    msgType: m.msgType,
    seq: m.seq,
    possDup,
    receiveSeq,
    raw: m.raw,
    get body () { return get().body },
    get header () { return get().header }
  }
}
