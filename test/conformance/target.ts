/**
 * The one place that builds the engine under test: a fix-session acceptor (or initiator) made
 * the way the fix-gateway node makes it (SessionRuntime, the builtin dictionary's FixCodec, the
 * FrameSplitter, a PostgreSQL-compatible store), with QuickFIX's acceptance-test application:
 * NewOrderSingle, SecurityDefinition and News are sent back as they came, a PossResend(97)=Y
 * order whose ClOrdID was seen before is ignored, any other application message is refused
 * (Receive only: D, d, B). Helper 16b may change this file to follow the engine's API.
 */
import { Database, migrate, PgliteDatabase } from '../../core'
import { FixCodec, FrameSplitter } from '../../core/fix/codec'
import { InboundMessage, SendRequest, SessionEvent, SessionRuntime, SessionSettings } from '../../core/fix-session'
import { startQuickfix } from './reference/quickfix-target'
import type { ProfileId, VersionId } from './script'

export interface Store {
  db: Database
  schema: string
  close: () => Promise<void>
}

/** A PGlite database in memory with the pack's schema: the session store of every case. */
export async function openStore (): Promise<Store> {
  const db = await PgliteDatabase.open()
  const schema = 'conformance'
  await migrate(db, schema)
  return { db, schema, close: async () => await db.close() }
}

/** What a scenario may ask of the target beyond the profile. */
export interface TargetNeeds {
  heartBtInt?: number
  /** A reset policy by QuickFIX's name; one the engine lacks makes the target fail to start. */
  resetPolicy?: 'never' | 'logon' | 'logout' | 'disconnect'
  /** More counterparties (their CompIDs) served by sessions on the same acceptor port. */
  alsoServe?: string[]
}

export interface TargetOptions extends TargetNeeds {
  version: VersionId
  profile: ProfileId
  role: 'acceptor' | 'initiator'
  /** Unique per run: the key of the session's state in the store. */
  name: string
  senderCompID: string
  targetCompID: string
  /** Initiator: the script's port. */
  connectTo?: number
}

export interface Target {
  /** Acceptor: the port it listens on. */
  readonly port: number
  /** What the session reported, for failure messages. */
  readonly log: string[]
  /** The application sends a message (body: '|'-separated tag=value text). */
  sendApp: (msgType: string, body: string) => Promise<void>
  /** The operator logs the session out (resolves once the Logout is answered or timed out). */
  logout: (text: string) => Promise<void>
  stop: () => Promise<void>
}

/** The previous day's numbers a reset-on-logon session starts from (they must be reset away). */
export const STALE_SEQUENCE = { nextSenderSeq: 7, nextTargetSeq: 12 }

const BEGIN_STRING: Record<VersionId, string> = { 'FIX.4.2': 'FIX.4.2', 'FIX.4.4': 'FIX.4.4', 'FIX.5.0SP2': 'FIXT.1.1' }
const ECHOED = ['D', 'd', 'B']
/** Header and trailer tags: everything else of an inbound message is its body. */
const NOT_BODY = new Set([
  8, 9, 10, 34, 35, 43, 49, 50, 52, 56, 57, 89, 90, 91, 93, 97, 115, 116, 122, 128, 129, 142, 143, 144, 145, 212, 213,
  347, 369, 627, 628, 629, 630, 1128, 1129, 1156
])

const codecs = new Map<VersionId, Promise<FixCodec>>()
export function codecFor (v: VersionId): Promise<FixCodec> {
  let c = codecs.get(v)
  if (c === undefined) {
    c = FixCodec.create(v)
    codecs.set(v, c)
  }
  return c
}

/** CONFORMANCE_TARGET=quickfix: check the scripts against QuickFIX/C++ instead of the engine. */
export const REFERENCE = process.env.CONFORMANCE_TARGET === 'quickfix'

export async function startTarget (store: Store, o: TargetOptions): Promise<Target> {
  if (REFERENCE) return await startQuickfix(o)
  const log: string[] = []
  const main = await startRuntime(store, o, log)
  const more: SessionRuntime[] = []
  const stop = async (): Promise<void> => {
    for (const rt of [main, ...more]) await rt.stop().catch(() => {})
  }
  try {
    // One acceptor port, several sessions told apart at Logon (QuickFIX's SocketAcceptor).
    for (const [i, them] of (o.alsoServe ?? []).entries()) {
      more.push(
        await startRuntime(store, { ...o, name: `${o.name}-${i + 2}`, targetCompID: them, port: main.port }, log)
      )
    }
  } catch (err) {
    await stop()
    throw err
  }
  return {
    port: main.port ?? 0,
    log,
    sendApp: async (msgType, body) => { await main.send({ msgType, rawBody: body.replace(/\|/g, '\x01') }) },
    logout: async text => await main.control({ command: 'logout', text }),
    stop
  }
}

async function startRuntime (
  store: Store,
  o: TargetOptions & { port?: number },
  log: string[]
): Promise<SessionRuntime> {
  const codec = await codecFor(o.version)
  const settings = targetSettings(o)
  const rt = new SessionRuntime({
    settings,
    host: o.role === 'initiator' ? '127.0.0.1' : undefined,
    bindAddress: o.role === 'acceptor' ? '127.0.0.1' : undefined,
    port: o.role === 'initiator' ? o.connectTo ?? 0 : o.port ?? 0,
    backoffInitialMs: 200,
    backoffMaxMs: 1000,
    db: store.db,
    schema: store.schema,
    codec,
    makeFrameReader: onGarbled => new FrameSplitter({ onGarbled })
  })
  rt.on('event', (e: SessionEvent) => { if (e.type !== 'state') log.push(JSON.stringify(e)) })
  rt.on('status', (t: string) => log.push(`status: ${t}`))
  rt.on('message', echoApplication(async req => await rt.send(req), log))
  if (o.profile === 'reset-on-logon') {
    // Start from stale numbers: the session must reset them when the Logon says 34=1.
    await rt.session.start()
    await rt.session.setNextSequence(STALE_SEQUENCE.nextSenderSeq, STALE_SEQUENCE.nextTargetSeq)
  }
  try {
    await rt.start()
  } catch (err) {
    await rt.stop().catch(() => {})
    throw err
  }
  return rt
}

/** The session settings of a target (acceptor or initiator) for these options. */
export function targetSettings (o: TargetOptions): SessionSettings {
  return {
    name: o.name,
    role: o.role,
    beginString: BEGIN_STRING[o.version],
    defaultApplVerID: o.version === 'FIX.5.0SP2' ? '9' : undefined,
    senderCompID: o.senderCompID,
    targetCompID: o.targetCompID,
    heartBtInt: o.heartBtInt ?? 30,
    // QuickFIX's policies by name; the engine's settings check refuses the ones it does not have.
    resetPolicy: (o.resetPolicy ??
      (o.profile === 'reset-on-logon' ? 'logon' : 'never')) as SessionSettings['resetPolicy'],
    receiveMsgTypes: ECHOED
  }
}

/**
 * QuickFIX's acceptance-test application: NewOrderSingle, SecurityDefinition and News go back as
 * they came (PossResend(97)=Y kept), a PossResend order whose ClOrdID was seen before is ignored.
 */
export function echoApplication (
  send: (req: SendRequest) => Promise<unknown>,
  log: string[]
): (m: InboundMessage) => void {
  const seen = new Set<string>()
  return m => {
    if (!ECHOED.includes(m.msgType)) return
    const fields = splitRaw(m.raw)
    const clOrdID = fields.find(([t]) => t === 11)?.[1]
    const possResend = fields.find(([t]) => t === 97)?.[1] === 'Y'
    if (m.msgType === 'D' && clOrdID !== undefined) {
      if (possResend && seen.has(clOrdID)) return
      seen.add(clOrdID)
    }
    const body = fields.filter(([t]) => !NOT_BODY.has(t)).map(([t, v]) => `${t}=${v}\x01`).join('')
    // The echo keeps PossResend(97)=Y: the application sends it back the same way.
    send({ msgType: m.msgType, rawBody: body, possResend }).catch(err =>
      log.push(`echo failed: ${(err as Error).message}`)
    )
  }
}

function splitRaw (raw: string): Array<[number, string]> {
  return raw.split('\x01').filter(p => p !== '').map(p => {
    const eq = p.indexOf('=')
    return [Number(p.slice(0, eq)), p.slice(eq + 1)]
  })
}
