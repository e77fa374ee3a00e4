/** Small tag=value helpers for the session layer (admin messages are built by hand: they are tiny). */
import { scanFields, SOH_CHAR as SOH } from '../fix/framing'
import { FieldList, FieldsLike } from '../fix/field-list'
import { formatUtcTimestamp, parseUtcTimestamp } from '../fix/utc'
import { SESSION_TAGS } from '../fix/session-tags'
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

/** Header and trailer tags the session stamps itself (core/fix/session-tags.ts). */
export { SESSION_TAGS }

/** Routing header fields a user may set (they pass through, placed first in the body). */
export const ROUTING_FIELDS: Record<string, number> = {
  OnBehalfOfCompID: 115,
  OnBehalfOfSubID: 116,
  DeliverToCompID: 128,
  DeliverToSubID: 129,
  OnBehalfOfLocationID: 144,
  DeliverToLocationID: 145
}

// scanFields: the lenient field splitter, in core/fix/framing.ts beside the strict one.
export { scanFields }

export function firstOf (fields: FieldsLike, tag: number): string | undefined {
  if (fields instanceof FieldList) return fields.first(tag)
  for (const [t, v] of fields) if (t === tag) return v
  return undefined
}

/** SOH-terminated tag=value text for a body, skipping undefined values. */
export function body (pairs: ReadonlyArray<[number, string | number | undefined]>): string {
  let s = ''
  for (const [t, v] of pairs) if (v !== undefined) s += `${t}=${v}${SOH}`
  return s
}

/** A UTCTimestamp with milliseconds: YYYYMMDD-HH:MM:SS.sss (core/fix/utc.ts). */
export const formatUtc = formatUtcTimestamp

/** Parses a UTCTimestamp (seconds, or ms/us/ns fractions); undefined if malformed (core/fix/utc.ts). */
export const parseUtc = parseUtcTimestamp

/** Everything that may go into a log line or a Text field: printable ASCII only. */
export function printable (s: string, max = 200): string {
  // Masked before anything else: this text goes into events, statuses and logs.
  const clean = maskSecretFields(s).replace(/\x01/g, '|').replace(/[^\x20-\x7e]/g, '?')
  return clean.length > max ? clean.slice(0, max - 3) + '...' : clean
}

/** A raw FIX message given by a user that cannot be sent: the text says what is wrong with it. */
export class RawMessageError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'RawMessageError'
  }
}

/**
 * A raw FIX message given by a user ('|' or SOH delimited, with or without header and
 * trailer): its MsgType and its body, with the session's own header and trailer tags removed.
 * Throws RawMessageError for text that cannot be sent.
 */
export function rawToBody (text: string): { msgType: string, body: string } {
  const normal = text.includes(SOH) ? text : text.replace(/\|/g, SOH)
  const fields = scanFields(normal.trim())
  if (fields === undefined) throw new RawMessageError('the raw FIX message is not tag=value text')
  const msgType = firstOf(fields, Tag.MsgType)
  if (msgType === undefined || msgType === '') throw new RawMessageError('the raw FIX message has no MsgType (35)')
  if (isAdmin(msgType)) {
    throw new RawMessageError(`MsgType ${msgType} is a session message: the session sends those itself`)
  }
  const rest = fields.filter(([t]) => !SESSION_TAGS.has(t))
  for (const [t, v] of rest) {
    if (v === '') throw new RawMessageError(`tag ${t} has an empty value`)
    if (/[^\x20-\x7e]/.test(v)) throw new RawMessageError(`tag ${t} has characters that are not printable ASCII`)
  }
  if (rest.length === 0) throw new RawMessageError('the raw FIX message has no body fields')
  return { msgType, body: body(rest) }
}
