/**
 * The conformance script language: a scenario is what the counterparty does (connect, send
 * these bytes, close) and what it must see (this frame, a disconnect, silence), in order.
 * Frames are '|'-separated tag=value text with placeholders (see wire.ts); `send` frames the
 * text with a computed BodyLength and CheckSum, `sendRaw` sends it exactly as written.
 */
import type { Target, TargetNeeds } from './target'

export type VersionId = 'FIX.4.2' | 'FIX.4.4' | 'FIX.5.0SP2'

/**
 * The settings a case runs under. 'fresh': the engine's default policy (never reset), a session
 * that has never been used. 'reset-on-logon': QuickFIX users' ResetOnLogon=Y, with a session
 * store left at a previous day's numbers, so the reset really has work to do.
 */
export type ProfileId = 'fresh' | 'reset-on-logon'

export interface Version {
  id: VersionId
  beginString: string
  /** Largest SessionRejectReason (373) this version defines (FIX.4.2 stops at 11). */
  maxRejectReason: number
  /** Extra Logon fields both sides send (FIXT: 1137=9). */
  logonExtra: string
  /** A valid NewOrderSingle body for this version (ClOrdID given), ending with '|'. */
  order: (clOrdID: string) => string
  /** A valid ExecutionReport body: an application message the test application does not take. */
  execReport: string
}

/** What the engine sends back for an echoed body: the timestamps it was sent with are any valid ones. */
export function echoed (body: string): string {
  return body.replace(/\{now[^}]*\}/g, '{time}')
}

export interface Ctx {
  v: Version
  profile: ProfileId
}

export type Step =
  | { kind: 'connect', conn: number }
  | { kind: 'accept', conn: number, within: number }
  | { kind: 'send', conn: number, text: string, raw: boolean }
  | { kind: 'expect', conn: number, text: string, within: number }
  | { kind: 'expectDisconnect', conn: number, within: number, allow: string[] }
  | { kind: 'expectNothing', conn: number, ms: number }
  | { kind: 'wait', ms: number }
  | { kind: 'close', conn: number }
  | { kind: 'app', what: string, run: (t: Target, fill: (text: string) => string) => Promise<void> }

export interface Scenario {
  /** The test case number (1a ... 20) or a short name for the extra cases. */
  id: string
  title: string
  /** Default acceptor: the script is the initiator. 'initiator': the script is the acceptor. */
  role?: 'acceptor' | 'initiator'
  /** Versions the case does not apply to, with the reason. */
  notApplicable?: Partial<Record<VersionId, string>>
  /** Profiles the case runs under (default all): a case that sets its own reset policy runs once. */
  profiles?: ProfileId[]
  /** Target settings this case needs (see TargetNeeds in target.ts). */
  target?: TargetNeeds
  steps: (c: Ctx) => Step[]
}

export const DEFAULT_WITHIN = 3000

export const connect = (conn = 1): Step => ({ kind: 'connect', conn })
export const accept = (conn = 1, within = 5000): Step => ({ kind: 'accept', conn, within })
/** Sends `text` (from 35= on) framed with 8, a computed 9 and a computed 10. */
export const send = (text: string, conn = 1): Step => ({ kind: 'send', conn, text, raw: false })
/** Sends the whole frame exactly as written (`{len}`, `{sum}` computed where written). */
export const sendRaw = (text: string, conn = 1): Step => ({ kind: 'send', conn, text, raw: true })
export const expect = (text: string, o: { conn?: number; within?: number } = {}): Step => ({
  kind: 'expect',
  conn: o.conn ?? 1,
  text,
  within: o.within ?? DEFAULT_WITHIN
})
/**
 * The engine closes the connection within `within` ms. `allow`: MsgTypes that may come first
 * (e.g. '5' where the test cases leave a Logout optional, '0' where a Heartbeat may race the
 * close); any other frame is a failure.
 */
export const expectDisconnect = (o: { conn?: number; within?: number; allow?: string[] } = {}): Step => ({
  kind: 'expectDisconnect',
  conn: o.conn ?? 1,
  within: o.within ?? DEFAULT_WITHIN,
  allow: o.allow ?? []
})
export const expectNothing = (ms: number, conn = 1): Step => ({ kind: 'expectNothing', conn, ms })
export const wait = (ms: number): Step => ({ kind: 'wait', ms })
export const close = (conn = 1): Step => ({ kind: 'close', conn })
/** The engine's application does something (e.g. sends an order); `fill` resolves placeholders such as {now}. */
export const app = (what: string, run: (t: Target, fill: (text: string) => string) => Promise<void>): Step => ({
  kind: 'app',
  what,
  run
})

/** The counterparty's standard header in the usual order, then `rest` (body, or more header). */
export function msg (msgType: string, seq: number | string, rest = ''): string {
  return `35=${msgType}|34=${seq}|49={C}|52={now}|56={G}|${rest}`
}

/** What the engine must send: MsgType, MsgSeqNum, then the other fields compared (see compare.ts). */
export function reply (msgType: string, seq: number, rest = ''): string {
  return `35=${msgType}|34=${seq}|${rest}`
}

/** The counterparty's Logon. */
export function logon (c: Ctx, seq = 1, o: { hb?: number, extra?: string } = {}): string {
  return msg('A', seq, `98=0|108=${o.hb ?? 30}|${c.v.logonExtra}${o.extra ?? ''}`)
}

/** The engine's Logon answer: 98=0, the HeartBtInt, FIXT's 1137, nothing else (no 141 unless asked). */
export function logonReply (c: Ctx, seq = 1, o: { hb?: number, extra?: string } = {}): string {
  return reply('A', seq, `98=0|108=${o.hb ?? 30}|${c.v.logonExtra}${o.extra ?? ''}`)
}

/** Connect, log on with seq 1, see the Logon answer with seq 1. */
export function loggedOn (c: Ctx, o: { hb?: number } = {}): Step[] {
  return [connect(), send(logon(c, 1, o)), expect(logonReply(c, 1, o))]
}

/** The counterparty logs out with `seq`, the engine confirms with `replySeq` and disconnects. */
export function loggedOut (seq: number, replySeq: number): Step[] {
  return [send(msg('5', seq)), expect(reply('5', replySeq)), expectDisconnect()]
}
