/** Small tag=value helpers for the session layer (admin messages are built by hand: they are tiny). */
import { SOH_CHAR as SOH } from '../fix/framing'
import { formatUtcTimestamp } from '../fix/validation/format'
import { maskSecretFields } from './session-log'

// The FIX basics are defined once, in core/fix: the delimiter and the UTCTimestamp format.
export { SOH }

export const Tag = {
  BeginSeqNo: 7,
  BeginString: 8,
  BodyLength: 9,
  CheckSum: 10,
  ClOrdID: 11,
  EndSeqNo: 16,
  MsgSeqNum: 34,
  MsgType: 35,
  NewSeqNo: 36,
  OrigClOrdID: 41,
  PossDupFlag: 43,
  RefSeqNum: 45,
  SenderCompID: 49,
  SenderSubID: 50,
  SendingTime: 52,
  TargetCompID: 56,
  TargetSubID: 57,
  Text: 58,
  PossResend: 97,
  EncryptMethod: 98,
  HeartBtInt: 108,
  TestReqID: 112,
  OnBehalfOfCompID: 115,
  OnBehalfOfSubID: 116,
  OrigSendingTime: 122,
  GapFillFlag: 123,
  DeliverToCompID: 128,
  DeliverToSubID: 129,
  ResetSeqNumFlag: 141,
  SenderLocationID: 142,
  TargetLocationID: 143,
  RefTagID: 371,
  RefMsgType: 372,
  SessionRejectReason: 373,
  BusinessRejectRefID: 379,
  BusinessRejectReason: 380,
  Username: 553,
  Password: 554,
  DefaultApplVerID: 1137
} as const

/** Session-level message types (everything else is an application message). */
export const AdminType = {
  Heartbeat: '0',
  TestRequest: '1',
  ResendRequest: '2',
  Reject: '3',
  SequenceReset: '4',
  Logout: '5',
  Logon: 'A'
} as const

/**
 * BusinessMessageReject (35=j) is an application message by the book, but the session sends it
 * itself when it refuses a message type the application does not take; it is not in ADMIN.
 */
export const BusinessMessageReject = 'j'

/** BusinessRejectReason (380) values the session uses. */
export const BusinessRejectReason = {
  UnsupportedMessageType: 3
} as const

const ADMIN = new Set<string>(Object.values(AdminType))
export function isAdmin (msgType: string): boolean {
  return ADMIN.has(msgType)
}

/** Header and trailer tags the session stamps itself; never taken from a user's message. */
export const SESSION_TAGS = new Set<number>([8, 9, 10, 34, 35, 43, 49, 50, 52, 56, 57, 97, 122, 142, 143])

/** Routing header fields a user may set (they pass through, placed first in the body). */
export const ROUTING_FIELDS: Record<string, number> = {
  OnBehalfOfCompID: 115,
  OnBehalfOfSubID: 116,
  DeliverToCompID: 128,
  DeliverToSubID: 129,
  OnBehalfOfLocationID: 144,
  DeliverToLocationID: 145
}

/**
 * Splits a message into [tag, value] pairs without trusting it; undefined when it is not
 * tag=value text at all (garbled). Values may be empty (the validator reports that).
 */
export function scanFields (raw: string): Array<[number, string]> | undefined {
  const out: Array<[number, string]> = []
  const parts = raw.split(SOH)
  if (parts[parts.length - 1] === '') parts.pop()
  for (const p of parts) {
    const eq = p.indexOf('=')
    if (eq <= 0) return undefined
    const tagText = p.slice(0, eq)
    if (!/^\d{1,9}$/.test(tagText)) return undefined
    out.push([Number(tagText), p.slice(eq + 1)])
  }
  return out.length > 0 ? out : undefined
}

export function firstOf (fields: ReadonlyArray<[number, string]>, tag: number): string | undefined {
  for (const [t, v] of fields) if (t === tag) return v
  return undefined
}

/** SOH-terminated tag=value text for a body, skipping undefined values. */
export function body (pairs: ReadonlyArray<[number, string | number | undefined]>): string {
  let s = ''
  for (const [t, v] of pairs) if (v !== undefined) s += `${t}=${v}${SOH}`
  return s
}

/** A UTCTimestamp with milliseconds: YYYYMMDD-HH:MM:SS.sss */
export const formatUtc = formatUtcTimestamp

/** Parses a UTCTimestamp (seconds, or ms/us/ns fractions); undefined if malformed. */
export function parseUtc (text: string | undefined): Date | undefined {
  // By character codes: this runs for every message received, twice (checks and fix_in).
  if (text === undefined) return undefined
  const n = text.length
  if (
    n < 17 ||
    n === 18 ||
    n > 27 ||
    text.charCodeAt(8) !== 45 ||
    text.charCodeAt(11) !== 58 ||
    text.charCodeAt(14) !== 58
  ) { return undefined }
  if (n > 17 && text.charCodeAt(17) !== 46) return undefined
  const y = digits(text, 0, 4)
  const mo = digits(text, 4, 6)
  const d = digits(text, 6, 8)
  const h = digits(text, 9, 11)
  const mi = digits(text, 12, 14)
  const s = digits(text, 15, 17)
  const fraction = n > 17 ? digits(text, 18, n) : 0
  if (
    y < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > 31 ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    s < 0 ||
    s > 60 ||
    fraction < 0
  ) { return undefined }
  // Milliseconds: the first three fraction digits (ms/us/ns precision is not rounded).
  const ms = n > 17 ? Math.floor(fraction / 10 ** Math.max(0, n - 21)) * 10 ** Math.max(0, 21 - n) : 0
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms))
}

/** The decimal number in text[from, to), or -1 if any character there is not a digit. */
function digits (text: string, from: number, to: number): number {
  let v = 0
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

/** Everything that may go into a log line or a Text field: printable ASCII only. */
export function printable (s: string, max = 200): string {
  // Masked before anything else: this text goes into events, statuses and logs.
  const clean = maskSecretFields(s).replace(/\x01/g, '|').replace(/[^\x20-\x7e]/g, '?')
  return clean.length > max ? clean.slice(0, max - 3) + '...' : clean
}

/**
 * A raw FIX message given by a user ('|' or SOH delimited, with or without header and
 * trailer): its MsgType and its body, with the session's own header and trailer tags removed.
 */
export function rawToBody (text: string): { msgType: string, body: string } {
  const normal = text.includes(SOH) ? text : text.replace(/\|/g, SOH)
  const fields = scanFields(normal.trim())
  if (fields === undefined) throw new Error('the raw FIX message is not tag=value text')
  const msgType = firstOf(fields, Tag.MsgType)
  if (msgType === undefined || msgType === '') throw new Error('the raw FIX message has no MsgType (35)')
  if (isAdmin(msgType)) throw new Error(`MsgType ${msgType} is a session message: the session sends those itself`)
  const rest = fields.filter(([t]) => !SESSION_TAGS.has(t))
  for (const [t, v] of rest) {
    if (v === '') throw new Error(`tag ${t} has an empty value`)
    if (/[^\x20-\x7e]/.test(v)) throw new Error(`tag ${t} has characters that are not printable ASCII`)
  }
  if (rest.length === 0) throw new Error('the raw FIX message has no body fields')
  return { msgType, body: body(rest) }
}
