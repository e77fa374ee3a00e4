import { AdminType, body, printable, Tag } from './fields'
import { SendRequest, SendResult } from './outbox'
import { SessionPhase } from './session-state'
import { printableFix } from './session-log'
import type { Responder } from './responder'
import { OutboundMessageError } from './outbound-encoder'
import { SessionInbound } from './session-inbound'
import { checkSequenceNumbers, SessionConnectedError } from './session-errors'

export { OutboundMessageError }
export { NotLoggedOnError } from './outbox'
export type { SendRequest, SendResult } from './outbox'
export type { SessionOptions } from './session-core'

/**
 * One FIX session (QuickFIX's Session): the protocol only. It is given a Responder (`connect`),
 * framed messages (`next(frame, now)`) and the time (`tick(now)`), and answers through the
 * Responder (write, disconnect); it owns no socket and no timer. A Connection (connection.ts)
 * drives it over TCP or TLS; the conformance suite drives it with no socket at all.
 * Invariants: everything the session does runs through one serial queue; every sequence number
 * it uses is committed to the store before the bytes go out, and every inbound message is
 * committed before its sequence number is accepted.
 */
export class Session extends SessionInbound {
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

  /**
   * Sends one application message: exactly once per origin, journaled before it is written
   * (outbox.ts); sends waiting together are journaled in one statement.
   */
  send (req: SendRequest): Promise<SendResult> {
    return this.outbox.send(req)
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
    await new Promise<void>(resolve => this.take(frame, now, resolve))
  }

  /**
   * `next` without a promise per frame: `done` is called once the frame has been worked through (or
   * dropped), synchronously when no responder is attached. The connection's path: each frame waits
   * in the inbox until its journal commit, and two promises and their callbacks per frame were kept
   * (and promoted by scavenges) as long as it.
   */
  take (frame: Buffer, now: number, done: () => void): void {
    if (this.link === undefined) return done()
    this.inbox.push({ frame, at: now, done })
    this.schedulePump()
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

  /** Sets both sequence numbers back to 1. Only while not logged on (log out first: SessionConnectedError). */
  async resetSequence (): Promise<void> {
    await this.queue.run(async () => {
      if (this.link !== undefined) throw new SessionConnectedError('resetting the sequence numbers')
      const s = await this.o.store.reset()
      this.applyStore(s.nextSenderSeq, s.nextTargetSeq, 'reset by operator', s.createdAt)
    })
  }

  /**
   * Sets the next sender and/or target sequence numbers. Only while not logged on (SessionConnectedError);
   * each given value a whole number >= 1 (SequenceNumberError, thrown before anything is queued).
   */
  async setNextSequence (sender?: number, target?: number): Promise<void> {
    checkSequenceNumbers(sender, target)
    await this.queue.run(async () => {
      if (this.link !== undefined) throw new SessionConnectedError('setting the sequence numbers')
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

  protected async sendLogon (): Promise<void> {
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
}
