import { EventEmitter } from 'events'
import { validateAndWrite } from './validate-and-write'
import type { Database } from '../db/database'
import { DatabaseMessageStore } from './database-message-store'
import { retryingStore } from './retrying-store'
import { describeDbError } from '../db/errors'
import type { Fence } from '../ha/lease'
import { MakeFrameReader, OutboundValidator, SessionCodec } from './codec-port'
import { InboundMessage, SessionEvent } from './application'
import { SendRequest, SendResult, Session } from './session'
import { SessionSettings, SettingsError } from './settings'
import { SessionLog } from './session-log'
import { sessionName } from './session-name'
import { Acceptor, Initiator, TlsSettings } from './transport'

export interface SessionRuntimeOptions {
  settings: SessionSettings
  /** Initiator: where to connect. Acceptor: `bindAddress` and `port` to listen on (0 picks a free port). */
  host?: string
  port: number
  bindAddress?: string
  tls?: TlsSettings
  backoffInitialMs?: number
  backoffMaxMs?: number
  db: Database
  schema: string
  codec: SessionCodec
  makeFrameReader: MakeFrameReader
  /** Default: validateAndWrite (the translator's validateMessage, then its dictionary-order writer). */
  validator?: OutboundValidator
  log?: SessionLog
  /** Several instances (core/ha): this holder's lease; its writes are refused once a newer holder loads. */
  fence?: Fence
}

export type ControlCommand =
  | { command: 'logon' }
  | { command: 'logout', text?: string }
  | { command: 'reset-sequence' }
  | { command: 'set-sequence', nextSenderSeq?: number, nextTargetSeq?: number }

/**
 * One FIX session with its store and transport, ready to run: what the fix-session config node
 * (and the benchmark, and the crash test's child process) start. Emits 'message' with each
 * inbound application message (already in fix_in), 'event' with each SessionEvent, and
 * 'status' with transport texts (connecting, port in use, ...).
 */
export class SessionRuntime extends EventEmitter {
  readonly session: Session
  readonly store: DatabaseMessageStore
  private readonly initiator: Initiator | undefined
  private readonly acceptor: Acceptor | undefined
  private readonly stopped = new AbortController()

  constructor (readonly o: SessionRuntimeOptions) {
    super()
    const name = sessionName(o.settings)
    this.store = new DatabaseMessageStore(o.db, o.schema, name, o.fence)
    this.session = new Session({
      settings: { ...o.settings, name },
      codec: o.codec,
      // Transient database errors wait for the database instead of failing sends or inbound messages.
      store: retryingStore(this.store, {
        signal: this.stopped.signal,
        onOutage: err =>
          this.emit('status', err === undefined ? 'database back' : `waiting for database: ${describeDbError(err)}`)
      }),
      // The translator's dictionary validation by default: every outbound object is checked and
      // normalised (exact decimals, timestamps) before it is encoded.
      validator: o.validator ?? validateAndWrite,
      log: o.log,
      application: {
        fromApp: (m: InboundMessage) => this.emit('message', m),
        onEvent: (e: SessionEvent) => this.emit('event', e)
      }
    })
    if (o.settings.role === 'initiator') {
      if (o.host === undefined || o.host === '') throw new SettingsError('an initiator needs a host')
      this.initiator = new Initiator(this.session, {
        host: o.host,
        port: o.port,
        tls: o.tls,
        backoffInitialMs: o.backoffInitialMs,
        backoffMaxMs: o.backoffMaxMs,
        makeFrameReader: o.makeFrameReader
      })
      this.initiator.on('status', (t: string) => this.emit('status', t))
    } else {
      if (o.bindAddress === undefined || o.bindAddress === '') {
        throw new SettingsError('an acceptor needs a bind address')
      }
      this.acceptor = new Acceptor(this.session, {
        bindAddress: o.bindAddress,
        port: o.port,
        tls: o.tls,
        makeFrameReader: o.makeFrameReader
      })
      this.acceptor.on('status', (t: string) => this.emit('status', t))
    }
  }

  /** Loads the state, then connects or listens. Rejects when the port is in use (nothing is thrown later). */
  async start (): Promise<void> {
    await this.session.start()
    if (this.acceptor !== undefined) await this.acceptor.start()
    this.initiator?.start()
  }

  /** The acceptor's port (after start), or the initiator's target port. */
  get port (): number | undefined {
    return this.acceptor !== undefined ? this.acceptor.port : this.o.port
  }

  /** The outbox's promise itself: no async frame per send waiting for the journal commit. */
  send (req: SendRequest): Promise<SendResult> {
    return this.session.send(req)
  }

  async control (c: ControlCommand): Promise<void> {
    switch (c.command) {
      case 'logon':
        this.acceptor?.setAccepting(true)
        this.initiator?.connectNow()
        return
      case 'logout':
        await this.down(c.text ?? 'logout requested by operator')
        return
      case 'reset-sequence':
        await this.whileDown('sequence reset by operator', async () => await this.session.resetSequence())
        return
      case 'set-sequence':
        await this.whileDown(
          'sequence numbers set by operator',
          async () => await this.session.setNextSequence(c.nextSenderSeq, c.nextTargetSeq)
        )
    }
  }

  /** Logs out cleanly and stops listening or reconnecting. */
  async stop (text = 'session stopped'): Promise<void> {
    this.stopped.abort()
    if (this.initiator !== undefined) await this.initiator.stop(text)
    if (this.acceptor !== undefined) await this.acceptor.stop(text)
  }

  private async down (text: string): Promise<void> {
    if (this.initiator !== undefined) await this.initiator.pause(text)
    if (this.acceptor !== undefined) {
      this.acceptor.setAccepting(false)
      await this.session.logout(text)
    }
  }

  /** Runs `fn` with the session logged out, then lets it log on again if it was up. */
  private async whileDown (text: string, fn: () => Promise<void>): Promise<void> {
    const wasUp = this.initiator?.wanted ?? this.acceptor?.accepting ?? false
    await this.down(text)
    try {
      await fn()
    } finally {
      if (wasUp) await this.control({ command: 'logon' })
    }
  }
}

export { validateAndWrite }
