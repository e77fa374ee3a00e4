import 'reflect-metadata'
import * as path from 'path'
import type { Node, NodeAPI } from 'node-red'
import { FixCodec, FrameSplitter } from '../../core/fix'
import {
  ControlCommand,
  FileSessionLog,
  InboundMessage,
  printableFix,
  sessionName,
  SendRequest,
  SendResult,
  SessionEvent,
  SessionLog,
  SessionRuntime,
  teeLog,
  TlsSettings
} from '../../core/fix-session'
import type { StreamerDatabaseNode } from '../streamer-database/types'
import type { FixSessionDef, FixSessionNode, FixSessionStatus, FixSessionUser } from './types'
import { dictionaryOf, portFrom, receiveTypesOf, settingsFrom, tlsSettingsOf } from './options'
import { translator } from '../shared/i18n'
import { tlsConfigOptions } from '../shared/tls-config'
import catalog = require('./locales/en-US/fix-session.json')
import { OpsRegistry } from '../../core/ops'
import { quietAtStart, sessionText, shortReason } from './status-text'
import type { Database } from '../../core/db'
import { Fence, LeaseRegistry, LeaseSettings, Membership, resourceOf } from '../../core/ha'
import { configFingerprint, differsText, haSettings, standbyText } from '../shared/ha'
import { configNode, ConfigUsers } from '../shared/config-users'

const STATUS_MS = 250

/** The fields that make two flows' sessions of one name the same session (compared across instances). */
const SESSION_CONFIG = [
  'role', 'host', 'port', 'bindAddress', 'beginString', 'defaultApplVerID', 'dictionary', 'senderCompID',
  'targetCompID', 'senderSubID', 'targetSubID', 'senderLocationID', 'targetLocationID', 'heartBtInt', 'resetPolicy',
  'resetTime', 'scheduled', 'startTime', 'endTime', 'timeZone', 'weekdays', 'receiveMsgTypes', 'storeDecoded'
] as const

/** Whether any configured logger prints trace lines. */
function traceEnabled (RED: NodeAPI): boolean {
  try {
    const logging =
      (RED.settings as unknown as { logging?: Record<string, { level?: string } | undefined> }).logging ?? {}
    return Object.values(logging).some(l => l?.level === 'trace')
  } catch {
    return true // unknown: keep the trace lines
  }
}

export = function (RED: NodeAPI): void {
  const t = translator(RED, catalog)
  function FixSession (this: FixSessionNode & { [k: string]: any }, def: FixSessionDef): void {
    RED.nodes.createNode(this, def)
    const node = this
    // Like Node-RED's MQTT broker: the first user starts the session, the last one to leave logs it out.
    const users = new ConfigUsers<FixSessionUser>({
      open: () => ensureStarted(),
      close: async () => await stopRuntime(),
      closeOnRedeploy: true
    })
    let runtime: SessionRuntime | undefined
    let starting: Promise<SessionRuntime | undefined> | undefined
    /** Several instances (settings.js fixStreamers.ha): the lease this session runs under. */
    let lease: Membership | undefined
    let codec: Promise<FixCodec> | undefined
    let startError: string | undefined
    let closed = false
    let stopping: Promise<void> = Promise.resolve()
    let current: FixSessionStatus = { phase: 'starting', nextSenderSeq: 0, nextTargetSeq: 0 }
    let lastStatusLog = ''
    let loggedOnOnce = false

    // Every message moves a sequence number: users hear of a change in phase or text at once,
    // of numbers alone at most every STATUS_MS (a status per message cost more than the send).
    let statusTimer: NodeJS.Timeout | undefined
    let told: FixSessionStatus | undefined
    function tellUsers (): void {
      if (statusTimer !== undefined) clearTimeout(statusTimer)
      statusTimer = undefined
      told = current
      for (const h of users.handlers()) h.onStatus?.(current)
    }
    function setStatus (s: Partial<FixSessionStatus>): void {
      current = { ...current, ...s }
      if (told === undefined || told.phase !== current.phase || told.text !== current.text) return tellUsers()
      statusTimer ??= setTimeout(tellUsers, STATUS_MS)
    }

    // Frames are logged at trace level only: skip the work when nothing would print it.
    const tracing = traceEnabled(RED)
    const traceLog: SessionLog = {
      incoming: tracing ? raw => node.trace(`<< ${printableFix(raw)}`) : () => {},
      outgoing: tracing ? raw => node.trace(`>> ${printableFix(raw)}`) : () => {},
      event: text => node.debug(text)
    }
    let fileLog: FileSessionLog | undefined

    /** The optional message log files (QuickFIX's FileLog), in a folder relative to the user directory. */
    function openFileLog (): FileSessionLog | undefined {
      const dir = String(def.logDirectory ?? '').trim()
      if (dir === '') return undefined
      const userDir = (RED.settings as unknown as { userDir?: string }).userDir ?? process.cwd()
      let told = false
      return new FileSessionLog({
        directory: path.resolve(userDir, dir),
        sessionName: sessionKey,
        onError: err => {
          if (!told) node.warn(t('fix-session.errors.log-file', { error: err.message }))
          told = true
        }
      })
    }

    function dictionaryRef (): string {
      const { ref, mismatch } = dictionaryOf(def)
      if (mismatch === undefined) return ref
      const args = { dictionary: ref, expected: mismatch, beginString: def.beginString }
      throw new Error(t('fix-session.errors.dictionary-mismatch', args))
    }

    function receiveTypes (c: FixCodec): string[] | undefined {
      const { types, unknown } = receiveTypesOf(def.receiveMsgTypes, w => c.definitions.message.get(w)?.msgType)
      if (unknown !== undefined) throw new Error(t('fix-session.errors.unknown-msg-type', { type: unknown }))
      return types
    }

    function getCodec (): Promise<FixCodec> {
      codec ??= FixCodec.create(dictionaryRef())
      return codec
    }

    const dbNode = configNode<StreamerDatabaseNode>(RED, def.database, 'streamer-database')

    async function start (): Promise<SessionRuntime | undefined> {
      const settings = settingsFrom(def, node.credentials ?? {})
      const ha = haSettings(RED)
      if (dbNode === undefined) throw new Error('no database configured')
      // A registered user: the database waits for this session's Logout before it closes.
      dbNode.register(node, s => {
        // Until the session has read its state, the database is all it waits for: say so. A start
        // that failed keeps its own reason (a dictionary that did not load is not a database state).
        if (runtime !== undefined || startError !== undefined) return
        if (s.state === 'retrying') {
          setStatus({ text: t('fix-session.status.waiting-db', { error: shortReason(s.error) }) })
        } else if (s.state === 'connected') setStatus({ text: undefined })
      })
      const tls = tlsFrom(def)
      dictionaryRef()
      await stopping
      fileLog = openFileLog()
      const [db, c] = await Promise.all([dbNode.acquire(), getCodec()])
      if (closed) throw new Error('closed while starting')
      settings.receiveMsgTypes = receiveTypes(c)
      const make = (fence?: Fence): SessionRuntime => {
        const rt = new SessionRuntime({
          settings,
          host: def.host,
          port: portFrom(def.port),
          bindAddress: def.bindAddress,
          tls,
          backoffInitialMs: Number(def.backoffInitial ?? 1) * 1000,
          backoffMaxMs: Number(def.backoffMax ?? 60) * 1000,
          db,
          schema: dbNode.schema,
          codec: c,
          makeFrameReader: onGarbled => new FrameSplitter({ onGarbled }),
          log: OpsRegistry.get().tapSessionLog(node.id, fileLog === undefined ? traceLog : teeLog(traceLog, fileLog)),
          fence
        })
        rt.on('message', (m: InboundMessage) => { for (const h of users.handlers()) h.onMessage?.(m) })
        rt.on('event', (e: SessionEvent) => onEvent(e))
        const startedAt = Date.now()
        rt.on('status', (raw: string) => {
          const text = sessionText(current.text, raw)
          setStatus({ text })
          if (text !== lastStatusLog) {
            // The store's outage text is logged whole (once per outage), the status keeps it short.
            const line = raw.startsWith('waiting for database') ? raw : text
            if (quietAtStart(text, Date.now() - startedAt, loggedOnOnce)) node.debug(line)
            else node.log(line)
          }
          lastStatusLog = text
        })
        return rt
      }
      if (ha === undefined) {
        const rt = make()
        runtime = rt
        OpsRegistry.get().followSession(node.id, rt)
        await rt.start()
        return rt
      }
      lease = joinLease(db, dbNode.schema, ha, make)
      return undefined
    }

    /**
     * Several instances: the session connects, listens and sends only while this instance holds
     * its lease; every write carries the lease's token, so once another instance took over, this
     * one can write nothing more and stops at once. Otherwise it stands by and says who is active.
     */
    function joinLease (db: Database, schema: string, ha: LeaseSettings, make: (f: Fence) => SessionRuntime):
    Membership {
      const config = configFingerprint(def as unknown as Record<string, unknown>, SESSION_CONFIG)
      const m: Membership = LeaseRegistry.of(db, schema, ha).join(resourceOf.session(sessionKey), {
        onActive: async g => {
          if (closed || lease !== m) return
          const rt = make({ ...g, onLost: err => m.lost(g.token, err.reason) })
          runtime = rt
          OpsRegistry.get().followSession(node.id, rt)
          node.log(t('fix-session.log.active', { instance: ha.instance, token: g.token }))
          setStatus({ text: undefined })
          await rt.start()
        },
        onLost: async err => {
          const rt = runtime
          runtime = undefined
          node.warn(t('fix-session.log.lease-lost', { error: err.message, instance: ha.instance }))
          setStatus({ phase: 'disconnected', text: `standby (lease lost: ${err.reason})` })
          await rt?.stop('lease lost').catch(() => {})
        },
        onStandby: (activeOn, error, detail) => {
          if (runtime !== undefined || closed) return
          // Flows that differ for the same session: said on the status and once in the log (the lease
          // still keeps one holder; the one that takes over runs its own configuration).
          const differs = activeOn !== undefined && typeof detail?.config === 'string' && detail.config !== config
          const text = differs ? differsText(activeOn) : standbyText(activeOn, error)
          if (text === current.text) return
          setStatus({ phase: 'disconnected', text })
          if (differs) node.warn(t('fix-session.log.flows-differ', { session: sessionKey, instance: activeOn }))
          else node.log(text)
        }
      }, { config }, (def.preferredInstance ?? '').trim())
      return m
    }

    function onEvent (e: SessionEvent): void {
      if (e.type === 'state') {
        if (e.phase === 'logged-on') loggedOnOnce = true
        setStatus({
          phase: e.phase as FixSessionStatus['phase'],
          nextSenderSeq: e.nextSenderSeq,
          nextTargetSeq: e.nextTargetSeq,
          text: undefined
        })
      } else if (
        e.type === 'logon' ||
        e.type === 'logout' ||
        e.type === 'logon-refused' ||
        e.type === 'sequence-numbers'
      ) {
        node.log(`${e.type}: ${JSON.stringify(e)}`)
      } else if (e.type === 'error') {
        node.warn(e.text)
      }
      for (const h of users.handlers()) h.onEvent?.(e)
    }

    function ensureStarted (): void {
      if (starting !== undefined || closed) return
      startError = undefined
      starting = start()
      starting.catch(err => {
        startError = (err as Error).message
        setStatus({ phase: 'error', text: startError })
        node.error(t('fix-session.errors.start', { error: startError }))
      })
    }

    node.register = (user: Node, h: FixSessionUser): void => {
      h.onStatus?.(current)
      users.register(user, h)
    }

    /** The last user to leave stops the session: a clean Logout, so the next logon continues the numbers. */
    node.deregister = (user: Node, done: (err?: Error) => void, removed?: boolean): void =>
      users.deregister(user, done, removed)

    async function stopRuntime (): Promise<void> {
      const pending = starting
      starting = undefined
      const held = lease
      lease = undefined // no new runtime from here on; the lease is given back after the clean Logout
      const rt = runtime ?? await pending?.catch(() => undefined)
      runtime = undefined
      const logToClose = fileLog
      fileLog = undefined
      if (rt === undefined) {
        await held?.leave()
        return await logToClose?.close()
      }
      stopping = rt.stop('session stopped (redeploy or shutdown)').catch(err => node.warn(String(err)))
        .then(async () => await held?.leave())
        .then(async () => await logToClose?.close())
      await stopping
      setStatus({ phase: 'disconnected' })
    }

    node.sendFix = async (req: SendRequest): Promise<SendResult> => {
      if (runtime === undefined) {
        throw new Error(t('fix-session.errors.not-started', { error: startError ?? current.text ?? current.phase }))
      }
      return await runtime.send(req)
    }

    node.control = async (c: ControlCommand): Promise<void> => {
      if (runtime === undefined) {
        throw new Error(t('fix-session.errors.not-started', { error: startError ?? current.text ?? current.phase }))
      }
      await runtime.control(c)
    }

    node.msgTypeOf = async (nameOrCode: string): Promise<string | undefined> => {
      const m = (await getCodec()).definitions.message.get(nameOrCode)
      return m?.msgType
    }

    Object.defineProperty(node, 'currentStatus', { get: () => current })
    const sessionKey = sessionName({ ...def, name: def.sessionName })
    Object.defineProperty(node, 'sessionKey', { get: () => sessionKey })

    node.on('close', (removed: boolean, done: () => void) => {
      closed = true
      if (statusTimer !== undefined) clearTimeout(statusTimer)
      // A gateway's close may already be logging out: wait for that too. The database is
      // released only after the Logout and the last sequence numbers are stored.
      stopRuntime().then(async () => await stopping).finally(() => {
        if (dbNode === undefined) return done()
        dbNode.deregister(node, () => done(), removed)
      })
    })

    function tlsFrom (d: FixSessionDef): TlsSettings | undefined {
      if (d.usetls !== true || d.tls === undefined || d.tls === '') return undefined
      const opts = tlsConfigOptions(RED, d.tls)
      if (opts === undefined) throw new Error('the TLS configuration node is missing')
      return tlsSettingsOf(d, opts)
    }
  }

  RED.nodes.registerType('fix-session', FixSession as any, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
      expectUsername: { type: 'text' },
      expectPassword: { type: 'password' }
    }
  })
}
