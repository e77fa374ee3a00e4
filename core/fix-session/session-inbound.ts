import { AdminType, body, BusinessRejectReason, firstOf, isAdmin, printable, Tag } from './fields'
import { PlainHost, plainNext, plainPossible } from './plain-inbound'
import { LongField, longFieldOf } from '../fix/framing'
import type { FieldList } from '../fix/field-list'
import { ParsedMessage } from './codec-port'
import { InboundProblem, RejectReason, validateInbound } from './inbound-validation'
import { groupCountProblem, looseFields, structureProblem } from './message-rules'
import { checkHeader, Header, headerOf } from './inbound-header'
import { HeldMessage } from './session-state'
import type { JournalEntry } from './inbound-journal'
import { printableFix } from './session-log'
import { numberOrUndefined, same, SessionCore } from './session-core'

const MAX_HELD = 10000
/** Most inbound messages committed in one statement. */
const MAX_BATCH = 200

/**
 * The second layer of a FIX session: what it does with each frame it is given. Frames are worked
 * through in order; plain in-sequence application messages are committed to the inbound journal
 * together (group commit), everything else goes down the full protocol path (Logon, sequence
 * checks, Rejects, gaps held and recovered by ResendRequest). Invariant: the expected inbound
 * MsgSeqNum moves only in a commit (with the message itself when it is an application message).
 */
export abstract class SessionInbound extends SessionCore {
  /** What the plain-message check (plain-inbound.ts) reads of this session. */
  private readonly plainHost: PlainHost = {
    state: this.state,
    settings: this.settings,
    codec: this.o.codec,
    log: this.log,
    now: () => this.now(),
    receives: msgType => this.receives(msgType)
  }

  /**
   * Works through received frames in order (up to MAX_BATCH per turn). Plain in-sequence application messages are
   * committed together (one statement for a run of them: group commit); everything else goes
   * through the full protocol path one by one. In the inbound lane (`lane`: an outbound commit may
   * be in flight, serial-queue.ts) only plain messages are taken: the first other frame and those
   * after it go back to the front of the inbox for a round that runs alone (it may use a sender
   * seq or change the state both sides read).
   */
  protected async pump (lane = false): Promise<void> {
    const link = this.link
    const arrivals = this.inbox.splice(0, MAX_BATCH)
    let taken = arrivals.length
    try {
      let batch: JournalEntry[] = []
      for (let i = 0; i < arrivals.length; i++) {
        const { frame, at } = arrivals[i]
        if (link === undefined || link !== this.link) return
        // Before any parse or pattern: a field over the cap ends the connection (resending the same
        // message could never succeed, so ignoring it would only loop on ResendRequests). The frames
        // after it in this round are dropped: the connection is ending.
        const long = longFieldOf(frame, this.settings.maxFieldLength)
        const fast = long === undefined ? this.plainNext(frame, batch.length, at) : undefined
        if (fast !== undefined) {
          batch.push(fast)
          continue
        }
        if (lane) {
          this.inbox.unshift(...arrivals.slice(i))
          taken = i
          break
        }
        await this.deliver(batch)
        batch = []
        if (long !== undefined) {
          await this.onLongField(long)
          break
        }
        await this.onFrame(frame, at)
      }
      await this.deliver(batch)
    } finally {
      for (let i = 0; i < taken; i++) arrivals[i].done()
    }
    if (link !== this.link) return
    // More waiting: queue another round behind whatever else is queued (sends, timers); alone
    // when this one stopped at a frame that is not plain.
    if (this.inbox.length > 0) this.schedulePump(taken < arrivals.length)
  }

  /** A frame with a field longer than maxFieldLength: Logout when logged on, else disconnect; nothing parsed. */
  protected async onLongField (f: LongField): Promise<void> {
    const text = `field ${printable(f.tag, 12)} is ${f.length} bytes long, over maxFieldLength ` +
      `(${this.settings.maxFieldLength})`
    this.event({ type: 'garbled', text })
    if (this.state.loggedOn) await this.logoutAndClose(text)
    else this.disconnect(text)
  }

  /**
   * Queues a round of `pump`: in the inbound lane while plain messages can be taken (checked
   * again frame by frame), else (or when `alone`) as a job that runs alone.
   */
  protected schedulePump (alone = false): void {
    if (this.pumpQueued) return
    this.pumpQueued = true
    const lane = !alone && plainPossible(this.state)
    const job = async (): Promise<void> => {
      this.pumpQueued = false
      await this.pump(lane)
    }
    const p = lane ? this.queue.runLane('in', job) : this.queue.run(job)
    p.catch(err => this.fail(`inbound: ${(err as Error).message}`))
  }

  /** The frame as a message ready to commit when it is the simple case (plain-inbound.ts); else undefined. */
  protected plainNext (frame: Buffer, pending: number, at: number): JournalEntry | undefined {
    return plainNext(this.plainHost, frame, pending, at)
  }

  protected async onFrame (frame: Buffer, at: number): Promise<void> {
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
    if (h.msgType === undefined || h.msgType === '' || fields.tags[0] !== Tag.BeginString) {
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

    problem ??= structureProblem(fields) ?? checkHeader(h, this.now(), this.settings.maxClockSkewMs)
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
    // What QuickFIX finds before verify() looks at the number (dictionary, required header, SendingTime).
    const beforeSequence = problem
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
    if (h.seq !== expected && beforeSequence !== undefined) {
      return await this.rejectOutOfSequence(h.seq, h.msgType, beforeSequence, fields)
    }
    if (h.seq < expected) {
      if (!h.possDup) return await this.logoutAndClose(`MsgSeqNum too low, expecting ${expected} but received ${h.seq}`)
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
    const item: HeldMessage = {
      seq: h.seq, msgType: h.msgType, raw, fields, header: h, parsed, problem, handled: false
    }
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

  /**
   * A message above or below the expected number that fails a check QuickFIX (C++ and J) runs in Session::next
   * before verify() compares the number: the dictionary (DataDictionary::validate), the required header, the
   * SendingTime. It gets its Reject at once and uses no number: no Logout for a low one, not held and no
   * ResendRequest for a high one (the gap is asked for when the next message shows it). A SendingTime accuracy
   * problem also ends the session, as in sequence.
   */
  private async rejectOutOfSequence (
    seq: number,
    msgType: string,
    p: InboundProblem,
    fields: FieldList
  ): Promise<void> {
    await this.sendReject(seq, msgType, p, fields)
    if (p.reason === RejectReason.SendingTimeAccuracyProblem) await this.logoutAndClose(p.text)
  }

  /** Handles a message whose seq is the expected one; moves the target seq past it (committed). */
  protected async process (m: HeldMessage): Promise<void> {
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
   * Commits application messages (consecutive, from the expected seq) to fix_in with the new
   * target seq (inbound-journal.ts), then hands them on.
   */
  protected async deliver (batch: JournalEntry[]): Promise<void> {
    if (batch.length === 0) return
    const messages = await this.journal.record(batch)
    this.state.nextTargetSeq = batch[batch.length - 1].seq + 1
    this.resendProgress()
    this.emitState()
    for (const m of messages) {
      try {
        this.o.application.fromApp(m)
      } catch (err) {
        this.event({ type: 'error', text: `application callback: ${(err as Error).message}` })
      }
    }
  }

  protected async drainHeld (): Promise<void> {
    const held = this.state.held
    while (held.size > 0 && this.link !== undefined && this.state.phase !== 'disconnected') {
      for (const seq of held.keys()) if (seq < this.state.nextTargetSeq) held.delete(seq)
      const next = held.get(this.state.nextTargetSeq)
      if (next === undefined) break
      held.delete(next.seq)
      await this.process(next)
    }
  }

  protected async onSequenceReset (seq: number, fields: FieldList, gapFill: boolean): Promise<void> {
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

  protected async onLogon (h: Header, fields: FieldList, raw: string): Promise<void> {
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
    const headerProblem = checkHeader(h, this.now(), this.settings.maxClockSkewMs)
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
}
