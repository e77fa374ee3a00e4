import type { FixDefinitions } from './jspurefix'
import { FixCodec, FixParseError } from './codec'
import { withPipes } from './framing'
import { builtinDictionary } from './dictionaries'
import { CompiledSet, compileDictionary } from './validation/compile'
import { formatUtcDate } from './validation/format'
import { describeProblems, FixProblem, validateMessage, ValidateOptions } from './validation/validate'
import { writeBody } from './validation/serialize'
import { recordValidated } from './validation/proof'
import { isDate } from '../util/realm'

/** What msg.fix carries next to msg.payload (the message object). */
export interface FixInfo {
  /** Message type code, e.g. 'D'. */
  msgType: string
  /** e.g. 'NewOrderSingle'. */
  msgTypeName: string
  /** BeginString (8) this dictionary's messages travel under: FIXT.1.1 for 5.0SP2. */
  beginString: string
  /** The dictionary: a builtin id ('FIX.4.4') or the custom XML's absolute path. */
  dictionary: string
  /**
   * tag=value text with '|' for SOH. Object -> FIX: the body only (the session adds header and
   * trailer). FIX -> object: the whole message as received.
   */
  encoded: string
  /** FIX -> object only: the StandardHeader fields (SenderCompID, MsgSeqNum, SendingTime, ...). */
  header?: Record<string, unknown>
}

export type ToFixResult =
  | { ok: true, payload: Record<string, unknown>, fix: FixInfo }
  | { ok: false, msgType: string, msgTypeName: string, problems: FixProblem[], message: string }

export interface FromFixResult {
  /** The body: typed values (numbers, booleans, Date for timestamps, 'YYYYMMDD' for dates), groups as arrays. */
  payload: Record<string, unknown>
  fix: FixInfo
}

/** The input of FIX -> object is not a FIX message at all (wrong kind of value). */
export class FixInputError extends Error {
  readonly reason = 'input'
  constructor (message: string) {
    super(message)
    this.name = 'FixInputError'
  }
}

const DATE_ONLY = new Set(['LOCALMKTDATE', 'UTCDATEONLY', 'UTCDATE', 'DATE'])

/**
 * Conversion between message objects and FIX for one dictionary: validation before every
 * encode, frame checks before every decode. Definitions are shared per process (loadDictionary).
 */
export class FixTranslator {
  readonly beginString: string
  readonly definitions: FixDefinitions

  constructor (readonly codec: FixCodec) {
    this.definitions = codec.definitions
    this.beginString = beginStringOf(codec.dictionaryRef, codec.definitions)
  }

  static async create (dictionaryRef: string): Promise<FixTranslator> {
    return new FixTranslator(await FixCodec.create(dictionaryRef))
  }

  get dictionary (): string {
    return this.codec.dictionaryRef
  }

  /** Validates, then encodes. Nothing is encoded when there is any problem. */
  toFix (msgType: string, object: unknown, options?: ValidateOptions): ToFixResult {
    const v = validateMessage(this.definitions, msgType, object, options)
    const label = v.msgTypeName !== '' ? `${v.msgTypeName} (${v.msgType})` : `message type "${msgType}"`
    if (!v.ok) {
      return {
        ok: false,
        msgType: v.msgType,
        msgTypeName: v.msgTypeName,
        problems: v.problems,
        message: describeProblems(label, v.problems)
      }
    }
    // The dictionary-ordered writer gives jspurefix's bytes for a validated body, faster (see serialize.ts).
    const encoded = writeBody(this.definitions, v.msgType, v.body, '|')
    // The proof a session's send checks instead of validating again (validation/proof.ts).
    recordValidated(this.definitions, v.msgType, v.body, writeBody(this.definitions, v.msgType, v.body))
    return {
      ok: true,
      payload: v.body,
      fix: {
        msgType: v.msgType,
        msgTypeName: v.msgTypeName,
        beginString: this.beginString,
        dictionary: this.dictionary,
        encoded
      }
    }
  }

  /**
   * Decodes one message: raw FIX text (SOH or '|' delimited), a Buffer, or a fix_in row
   * ({ raw_text } or { raw }). Throws FixParseError (garbled, truncated, bodylength, checksum,
   * ...) or FixInputError.
   */
  fromFix (input: unknown): FromFixResult {
    const raw = rawOf(input)
    const parsed = this.codec.parse(raw)
    const def = this.definitions.message.get(parsed.msgType)
    if (def === undefined) {
      throw new FixParseError('msgtype', `message type "${parsed.msgType}" is not in the dictionary`, 35)
    }
    // The body made without the header and trailer (see FixCodec.partsOf), not copied out of the whole object.
    const { header, body: payload } = parsed.toParts()
    const dict = compileDictionary(this.definitions)
    const set = dict.message(parsed.msgType)?.set
    if (set !== undefined) datesAsText(set, payload)
    return {
      payload,
      fix: {
        msgType: def.msgType,
        msgTypeName: def.name,
        beginString: parsed.beginString,
        dictionary: this.dictionary,
        encoded: withPipes(parsed.raw),
        header
      }
    }
  }
}

/** The BeginString for a dictionary: the builtin's, or from a custom XML's version (5.x -> FIXT.1.1). */
export function beginStringOf (ref: string, definitions: FixDefinitions): string {
  const builtin = builtinDictionary(ref)
  if (builtin !== undefined) return builtin.beginString
  const major = definitions.getMajor()
  return major >= 5 ? 'FIXT.1.1' : `FIX.${major}.${definitions.getMinor()}`
}

function rawOf (input: unknown): Buffer | string {
  if (typeof input === 'string' || Buffer.isBuffer(input)) return input
  if (input instanceof Uint8Array) return Buffer.from(input)
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const row = input as Record<string, unknown>
    for (const key of ['raw_text', 'raw', 'fix_data', 'FIX_DATA']) {
      const v = row[key]
      // bytea as hex text
      if (typeof v === 'string') return /^\\x[0-9a-f]*$/i.test(v) ? Buffer.from(v.slice(2), 'hex') : v
      if (Buffer.isBuffer(v)) return v
      if (v instanceof Uint8Array) return Buffer.from(v)
      if (isSerialisedBuffer(v)) return Buffer.from(v.data)
    }
    throw new FixInputError('a fix_in row must have raw_text or raw holding the FIX message')
  }
  throw new FixInputError('expected FIX text, a Buffer or a fix_in row, ' +
    `got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`)
}

/** A Buffer that went through JSON: { type: 'Buffer', data: [...] }. */
function isSerialisedBuffer (v: unknown): v is { type: 'Buffer', data: number[] } {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((v as { data?: unknown }).data)
  )
}

/**
 * Date-only fields come back from jspurefix as a Date at UTC midnight, which a flow in another
 * timezone easily reads as the day before: give them as the exact 'YYYYMMDD' text instead.
 */
function datesAsText (set: CompiledSet, obj: Record<string, unknown>): void {
  for (const key in obj) {
    const rule = set.fields.get(key)
    if (rule === undefined) continue
    const v = obj[key]
    if (rule.kind === 'simple') {
      if (isDate(v) && DATE_ONLY.has(rule.type.toUpperCase())) obj[key] = formatUtcDate(v)
    } else if (rule.kind === 'component') {
      if (typeof v === 'object' && v !== null) datesAsText(rule.set(), v as Record<string, unknown>)
    } else if (Array.isArray(v)) {
      const inner = rule.set()
      for (const item of v) {
        if (typeof item === 'object' && item !== null) datesAsText(inner, item as Record<string, unknown>)
      }
    }
  }
}
