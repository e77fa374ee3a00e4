import type { FixDefinitions } from 'jspurefix'
import { compileDictionary, SimpleRule } from '../fix/validation/compile'
import { fieldList, FieldsLike } from '../fix/field-list'

/** SessionRejectReason (373) values used by the session. */
export const RejectReason = {
  InvalidTagNumber: 0,
  RequiredTagMissing: 1,
  TagNotDefinedForMessageType: 2,
  TagSpecifiedWithoutValue: 4,
  ValueIncorrect: 5,
  IncorrectDataFormat: 6,
  CompIDProblem: 9,
  SendingTimeAccuracyProblem: 10,
  InvalidMsgType: 11,
  TagAppearsMoreThanOnce: 13,
  TagOutOfOrder: 14
} as const

/** Why an inbound message is refused: what goes into the Reject. */
export interface InboundProblem {
  reason: number
  refTag?: number
  text: string
  /** Answered with a BusinessMessageReject (reason 380) rather than a session Reject (373). */
  business?: boolean
}

/** Length limits for inbound values (numeric types have fixed limits; data fields are bounded by the frame). */
export interface InboundLimits {
  /** Longest value of a string-like field, in characters (default DEFAULT_MAX_FIELD_LENGTH). */
  maxFieldLength?: number
}

/**
 * Tag -> the pass of validateInbound that last saw it. Validation is synchronous, so one map serves
 * every call; it holds only tags some dictionary defines (unknown tags are refused before it).
 */
const lastSeen = new Map<number, number>()
let pass = 0

/**
 * Dictionary checks of one inbound message (the header was checked by the session): known
 * MsgType, known tags defined for that type, values present and well formed, enum values,
 * required body fields, no repeated tag outside repeating groups, values no longer than their
 * type allows. Returns the first problem. Runs in time linear in the message.
 */
export function validateInbound (
  defs: FixDefinitions,
  msgType: string,
  fieldsLike: FieldsLike,
  limits: InboundLimits = {}
): InboundProblem | undefined {
  const dict = compileDictionary(defs)
  const shape = dict.wire(msgType)
  if (shape === undefined) return { reason: RejectReason.InvalidMsgType, text: `Invalid MsgType ${msgType}` }
  // Which tags this message has, without a Set per message: the number of this pass, by tag.
  const mark = ++pass
  const { tags, values } = fieldList(fieldsLike)
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i]
    const value = values[i]
    if (value === '') {
      return {
        reason: RejectReason.TagSpecifiedWithoutValue,
        refTag: tag,
        text: `Tag specified without a value (${tag})`
      }
    }
    const def = dict.field(tag)
    if (def === undefined) {
      return { reason: RejectReason.InvalidTagNumber, refTag: tag, text: `Invalid tag number (${tag})` }
    }
    if (!shape.contained.has(tag)) {
      return {
        reason: RejectReason.TagNotDefinedForMessageType,
        refTag: tag,
        text: `Tag not defined for this message type (${tag} ${def.name})`
      }
    }
    if (lastSeen.get(tag) === mark && !shape.inGroups.has(tag)) {
      return {
        reason: RejectReason.TagAppearsMoreThanOnce,
        refTag: tag,
        text: `Tag appears more than once (${tag} ${def.name})`
      }
    }
    lastSeen.set(tag, mark)
    const type = def.typeKey
    if (tooLong(type, value, limits.maxFieldLength ?? DEFAULT_MAX_FIELD_LENGTH)) {
      return {
        reason: RejectReason.IncorrectDataFormat,
        refTag: tag,
        text: `Value too long for its type (${tag} ${def.name}, ${value.length} characters)`
      }
    }
    if (!wellFormed(type, value)) {
      return {
        reason: RejectReason.IncorrectDataFormat,
        refTag: tag,
        text: `Incorrect data format for value (${tag} ${def.name})`
      }
    }
    if (!enumOk(def, value)) {
      return {
        reason: RejectReason.ValueIncorrect,
        refTag: tag,
        text: `Value is incorrect (out of range) for this tag (${tag} ${def.name}=${value.slice(0, 20)})`
      }
    }
  }
  for (const tag of shape.required) {
    if (lastSeen.get(tag) !== mark) {
      return {
        reason: RejectReason.RequiredTagMissing,
        refTag: tag,
        text: `Required tag missing (${tag} ${dict.field(tag)?.name ?? ''})`
      }
    }
  }
  return undefined
}

// Every check below runs in time linear in the value (no nested or overlapping quantifiers): values
// come from an unauthenticated wire, and a backtracking pattern on a 1 MB field would stall the event loop.
const TIMESTAMP = /^\d{8}-\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/
const DATE = /^\d{8}$/
const TIME = /^\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/

/** Longest value accepted for a type family: integers fit 64 bits, decimals are 64 characters at most. */
const MAX_INT_LENGTH = 20
const MAX_DECIMAL_LENGTH = 64
/** Longest value of any other non-data type, unless the caller sets its own limit. */
export const DEFAULT_MAX_FIELD_LENGTH = 64 * 1024

const ZERO = 48
const NINE = 57
const MINUS = 45
const DOT = 46

/** -?digits, by character codes. */
function isInteger (v: string): boolean {
  const start = v.charCodeAt(0) === MINUS ? 1 : 0
  if (v.length === start) return false
  for (let i = start; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if (c < ZERO || c > NINE) return false
  }
  return true
}

/** -?(digits[.digits*] | .digits), by character codes: one pass, at most one dot, at least one digit. */
function isDecimal (v: string): boolean {
  let i = v.charCodeAt(0) === MINUS ? 1 : 0
  let digits = 0
  let dot = false
  for (; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if (c >= ZERO && c <= NINE) {
      digits++
    } else if (c === DOT && !dot) {
      dot = true
    } else {
      return false
    }
  }
  return digits > 0
}

/** Whether a value is longer than its type allows. Data fields are bounded by their length field and the frame. */
function tooLong (type: string, v: string, maxFieldLength: number): boolean {
  switch (type) {
    case 'INT': case 'SEQNUM': case 'NUMINGROUP': case 'LENGTH': case 'TAGNUM': case 'DAYOFMONTH':
      return v.length > MAX_INT_LENGTH
    case 'FLOAT': case 'QTY': case 'PRICE': case 'PRICEOFFSET': case 'AMT': case 'PERCENTAGE':
      return v.length > MAX_DECIMAL_LENGTH
    case 'DATA': case 'XMLDATA':
      return false
    default:
      return v.length > maxFieldLength
  }
}

function wellFormed (type: string, v: string): boolean {
  switch (type) {
    case 'INT': case 'SEQNUM': case 'NUMINGROUP': case 'LENGTH': case 'TAGNUM': case 'DAYOFMONTH':
      return isInteger(v)
    case 'FLOAT': case 'QTY': case 'PRICE': case 'PRICEOFFSET': case 'AMT': case 'PERCENTAGE':
      return isDecimal(v)
    case 'BOOLEAN':
      return v === 'Y' || v === 'N'
    case 'CHAR':
      return v.length === 1
    case 'UTCTIMESTAMP': case 'TZTIMESTAMP':
      return TIMESTAMP.test(v)
    case 'UTCDATEONLY': case 'UTCDATE': case 'LOCALMKTDATE':
      return DATE.test(v)
    case 'UTCTIMEONLY':
      return TIME.test(v)
    default:
      return true
  }
}

function enumOk (def: SimpleRule, v: string): boolean {
  const enums = def.enums
  if (enums === undefined) return true
  const t = def.typeKey
  if (def.multi) return v.split(' ').every(x => enums.has(x))
  // Boolean enums (Y/N) are covered by the format check; free-form types with sample enums are not closed sets.
  if (t === 'BOOLEAN' || t === 'STRING' || t === 'EXCHANGE' || t === 'CURRENCY' || t === 'COUNTRY') {
    return t !== 'STRING' || enums.has(v)
  }
  return enums.has(v)
}
