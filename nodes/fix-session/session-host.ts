import { FixCodec, FrameSplitter } from '../../core/fix'
import {
  ControlCommand,
  FileSessionLog,
  InboundMessage,
  SendRequest,
  SendResult,
  SessionEvent,
  SessionLog,
  SessionRuntime,
  teeLog,
  TlsSettings
} from '../../core/fix-session'
import { SchemaNewerError } from '../../core/db'
import type { ConnectionState, Database } from '../../core/db'
import { Fence, LeaseRegistry, LeaseSettings, Membership, resourceOf } from '../../core/ha'
import { OpsRegistry } from '../../core/ops'
import { configFingerprint, differsText, standbyText } from '../shared/ha'
import type { Translate } from '../shared/i18n'
import { eventLine, NodeLog, statusLine } from './log-lines'
import { dictionaryOf, portFrom, receiveTypesOf, settingsFrom } from './options'
import type { StatusFeed } from './status-feed'
import { quietAtStart, sessionText, shortReason } from './status-text'
import type { FixSessionCredentials, FixSessionDef, FixSessionStatus, FixSessionUser } from './types'

/** The fields that make two flows' sessions of one name the same session (compared across instances). */
export const SESSION_CONFIG = [
  'role', 'host', 'port', 'bindAddress', 'beginString', 'defaultApplVerID', 'dictionary', 'senderCompID',
  'targetCompID', 'senderSubID', 'targetSubID', 'senderLocationID', 'targetLocationID', 'heartBtInt', 'resetPolicy',
  'resetTime', 'scheduled', 'startTime', 'endTime', 'timeZone', 'weekdays', 'receiveMsgTypes', 'storeDecoded'
] as const

/** The database a session runs on (a streamer-database config node, seen through what the session needs). */
export interface SessionDatabase {
  readonly schema: string
  acquire: () => Promise<Database>
  /** Registers the session as a user of the database, told of its connection state. */
  watch: (onState: (s: ConnectionState) => void) => void
}

export interface SessionHostOptions {
  def: FixSessionDef
  credentials: FixSessionCredentials
  /** The session's key in the database (sessionName). */
  key: string
  /** The node's id: the ops sidebar and metrics follow the session under it. */
  id: string
  database: SessionDatabase | undefined
  /** Several instances (settings.js fixStreamers.ha): the lease settings, read at each start. */
  ha: () => LeaseSettings | undefined
  /** The TLS settings, read at each start; throws when the tls-config node is missing. */
  tls: () => TlsSettings | undefined
  /** The frame log (trace level) and the optional log files, opened at each start. */
  frames: SessionLog
  openFileLog: () => FileSessionLog | undefined
  feed: StatusFeed
  users: () => FixSessionUser[]
  say: NodeLog
  t: Translate
}

/**
 * One FIX session's life inside its config node, without Node-RED: started once by its first user
 * (under a lease when several instances share the database), stopped with a clean Logout by the
 * last, and the only way to send or control it. Invariant: at most one runtime at a time, and a new
 * one starts only after the previous one has stopped (`stopping`), so two never hold the port or
 * write the same sequence numbers.
 */
export class SessionHost {
  private runtime: SessionRuntime | undefined
  private starting: Promise<SessionRuntime | undefined> | undefined
  /** Several instances: the lease this session runs under. */
  private lease: Membership | undefined
  private codec: Promise<FixCodec> | undefined
  private startError: string | undefined
  private closed = false
  private stopping: Promise<void> = Promise.resolve()
  private fileLog: FileSessionLog | undefined
  private lastStatusLog = ''
  private loggedOnOnce = false

  constructor (private readonly o: SessionHostOptions) {}

  /** Starts the session unless it is starting or running; a failed start shows and logs its reason. */
  start (): void {
    if (this.starting !== undefined || this.closed) return
    this.startError = undefined
    this.starting = this.run()
    this.starting.catch(err => {
      this.startError = (err as Error).message
      this.o.feed.set({ phase: 'error', text: this.startError })
      this.o.say.error(this.o.t('fix-session.errors.start', { error: this.startError }))
    })
  }

  /** Stops the session: a clean Logout (so the next logon continues the numbers), then the lease and the files. */
  async stop (): Promise<void> {
    const pending = this.starting
    this.starting = undefined
    const held = this.lease
    this.lease = undefined // no new runtime from here on; the lease is given back after the clean Logout
    const rt = this.runtime ?? await pending?.catch(() => undefined)
    this.runtime = undefined
    const logToClose = this.fileLog
    this.fileLog = undefined
    if (rt === undefined) {
      await held?.leave()
      return await logToClose?.close()
    }
    this.stopping = rt.stop('session stopped (redeploy or shutdown)').catch(err => this.o.say.warn(String(err)))
      .then(async () => await held?.leave())
      .then(async () => await logToClose?.close())
    await this.stopping
    this.o.feed.set({ phase: 'disconnected' })
  }

  /**
   * The node closes: nothing starts again; resolves once stopped, a stop already under way included
   * (a gateway's close may be logging out), so the database is released only after the Logout.
   */
  async close (): Promise<void> {
    this.closed = true
    this.o.feed.close()
    await this.stop()
    await this.stopping
  }

  /** The runtime's promise itself, not awaited in a frame of its own (fix-gateway.ts says why); never throws. */
  send (req: SendRequest): Promise<SendResult> {
    let rt: SessionRuntime
    try {
      rt = this.running()
    } catch (err) {
      return Promise.reject(err)
    }
    return rt.send(req)
  }

  async control (c: ControlCommand): Promise<void> {
    await this.running().control(c)
  }

  /** A message name ('NewOrderSingle') or code ('D') as its MsgType code; undefined when unknown. */
  async msgTypeOf (nameOrCode: string): Promise<string | undefined> {
    return (await this.getCodec()).definitions.message.get(nameOrCode)?.msgType
  }

  private running (): SessionRuntime {
    if (this.runtime !== undefined) return this.runtime
    const now = this.o.feed.current
    throw new Error(this.o.t('fix-session.errors.not-started', { error: this.startError ?? now.text ?? now.phase }))
  }

  private async run (): Promise<SessionRuntime | undefined> {
    const { def, database } = this.o
    const settings = settingsFrom(def, this.o.credentials)
    const ha = this.o.ha()
    if (database === undefined) throw new Error('no database configured')
    // A registered user: the database waits for this session's Logout before it closes.
    database.watch(s => this.onDatabase(s))
    const tls = this.o.tls()
    this.dictionaryRef()
    await this.stopping
    this.fileLog = this.o.openFileLog()
    const [db, c] = await Promise.all([database.acquire(), this.getCodec()])
    if (this.closed) throw new Error('closed while starting')
    settings.receiveMsgTypes = this.receiveTypes(c)
    const frames = this.fileLog === undefined ? this.o.frames : teeLog(this.o.frames, this.fileLog)
    const make = (fence?: Fence): SessionRuntime => this.follow(new SessionRuntime({
      settings,
      host: def.host,
      port: portFrom(def.port),
      bindAddress: def.bindAddress,
      tls,
      backoffInitialMs: Number(def.backoffInitial ?? 1) * 1000,
      backoffMaxMs: Number(def.backoffMax ?? 60) * 1000,
      db,
      schema: database.schema,
      codec: c,
      makeFrameReader: onGarbled => new FrameSplitter({ onGarbled }),
      log: OpsRegistry.get().tapSessionLog(this.o.id, frames),
      fence
    }))
    if (ha === undefined) {
      const rt = make()
      this.runtime = rt
      OpsRegistry.get().followSession(this.o.id, rt)
      await rt.start()
      return rt
    }
    this.lease = this.joinLease(db, database.schema, ha, make)
    return undefined
  }

  /**
   * Until the session has read its state, the database is all it waits for: say so. A start that
   * failed keeps its own reason (a dictionary that did not load is not a database state).
   */
  private onDatabase (s: ConnectionState): void {
    if (this.runtime !== undefined || this.startError !== undefined) return
    if (s.state === 'retrying') {
      this.o.feed.set({ text: this.o.t('fix-session.status.waiting-db', { error: shortReason(s.error) }) })
    } else if (s.state === 'connected') this.o.feed.set({ text: undefined })
  }

  /** Passes a runtime's messages and events to the users, its status texts to the status and the log. */
  private follow (rt: SessionRuntime): SessionRuntime {
    rt.on('message', (m: InboundMessage) => { for (const h of this.o.users()) h.onMessage?.(m) })
    rt.on('event', (e: SessionEvent) => this.onEvent(e))
    const startedAt = Date.now()
    rt.on('status', (raw: string) => {
      const text = sessionText(this.o.feed.current.text, raw)
      this.o.feed.set({ text })
      if (text !== this.lastStatusLog) {
        const line = statusLine(raw, text)
        if (quietAtStart(text, Date.now() - startedAt, this.loggedOnOnce)) this.o.say.debug(line)
        else this.o.say.log(line)
      }
      this.lastStatusLog = text
    })
    return rt
  }

  private onEvent (e: SessionEvent): void {
    if (e.type === 'state') {
      if (e.phase === 'logged-on') this.loggedOnOnce = true
      this.o.feed.set({
        phase: e.phase as FixSessionStatus['phase'],
        nextSenderSeq: e.nextSenderSeq,
        nextTargetSeq: e.nextTargetSeq,
        text: undefined
      })
    }
    const line = eventLine(e)
    if (line !== undefined) this.o.say[line.level](line.text)
    for (const h of this.o.users()) h.onEvent?.(e)
  }

  /**
   * Several instances: the session connects, listens and sends only while this instance holds
   * its lease; every write carries the lease's token, so once another instance took over, this
   * one can write nothing more and stops at once. Otherwise it stands by and says who is active.
   */
  private joinLease (db: Database, schema: string, ha: LeaseSettings, make: (f: Fence) => SessionRuntime):
  Membership {
    const { def, feed, say, t, key } = this.o
    const config = configFingerprint(def as unknown as Record<string, unknown>, SESSION_CONFIG)
    const m: Membership = LeaseRegistry.of(db, schema, ha).join(resourceOf.session(key), {
      onActive: async g => {
        if (this.closed || this.lease !== m) return
        const rt = make({ ...g, onLost: err => m.lost(g.token, err.reason) })
        this.runtime = rt
        OpsRegistry.get().followSession(this.o.id, rt)
        say.log(t('fix-session.log.active', { instance: ha.instance, token: g.token }))
        feed.set({ text: undefined })
        await rt.start()
      },
      onLost: async err => {
        const rt = this.runtime
        this.runtime = undefined
        say.warn(t('fix-session.log.lease-lost', { error: err.message, instance: ha.instance }))
        feed.set({ phase: 'disconnected', text: `standby (lease lost: ${err.reason})` })
        await rt?.stop('lease lost').catch(() => {})
      },
      onStandby: (activeOn, error, detail) => {
        if (this.runtime !== undefined || this.closed) return
        // Flows that differ for the same session: said on the status and once in the log (the lease
        // still keeps one holder; the one that takes over runs its own configuration).
        const differs = activeOn !== undefined && typeof detail?.config === 'string' && detail.config !== config
        const text = differs ? differsText(activeOn) : standbyText(activeOn, error)
        if (text === feed.current.text) return
        feed.set({ phase: 'disconnected', text })
        if (differs) say.warn(t('fix-session.log.flows-differ', { session: key, instance: activeOn }))
        else if (error instanceof SchemaNewerError) say.error(error.message)
        else say.log(error === undefined ? text : `${text}: ${(error as Error)?.message ?? String(error)}`)
      }
    }, { config }, (def.preferredInstance ?? '').trim())
    return m
  }

  private dictionaryRef (): string {
    const { def, t } = this.o
    const { ref, mismatch } = dictionaryOf(def)
    if (mismatch === undefined) return ref
    const args = { dictionary: ref, expected: mismatch, beginString: def.beginString }
    throw new Error(t('fix-session.errors.dictionary-mismatch', args))
  }

  private receiveTypes (c: FixCodec): string[] | undefined {
    const { types, unknown } = receiveTypesOf(this.o.def.receiveMsgTypes, w => c.definitions.message.get(w)?.msgType)
    if (unknown !== undefined) throw new Error(this.o.t('fix-session.errors.unknown-msg-type', { type: unknown }))
    return types
  }

  private getCodec (): Promise<FixCodec> {
    this.codec ??= FixCodec.create(this.dictionaryRef())
    return this.codec
  }
}
