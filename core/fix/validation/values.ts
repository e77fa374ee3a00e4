import {
  formatDecimal,
  formatUtcDate,
  formatUtcTime,
  formatUtcTimestamp,
  isCalendarDate,
  isFixDate,
  isFixTime,
  parseIsoWithZone
} from './format'
import { isDate } from '../../util/realm'

/** Why a value cannot be written as its FIX type (a value, not an exception: every problem is collected). */
export class Invalid {
  constructor (readonly reason: string) {}
}

/** Turns a JavaScript value into the exact FIX text of one field type, or says why it cannot. */
export type Coerce = (v: unknown, places: number | undefined) => string | Buffer | Invalid

const PRINTABLE = /^[\x20-\x7e]*$/

/** Plain FIX strings are printable ASCII: SOH would inject fields, other bytes get mangled. */
export function checkText (s: string): string | Invalid {
  if (PRINTABLE.test(s)) return s
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 1) return new Invalid(`contains SOH (\\x01) at position ${i}: it would end the field`)
    if (c < 0x20 || c === 0x7f) {
      return new Invalid(`contains control character \\x${c.toString(16).padStart(2, '0')} at position ${i}`)
    }
    if (c > 0x7e) {
      return new Invalid('contains non-ASCII character ' +
      `U+${c.toString(16).toUpperCase().padStart(4, '0')} at position ${i}: plain FIX strings are ASCII; send ` +
        'Unicode text in EncodedText (with EncodedTextLen)')
    }
  }
  return s
}

function describe (v: unknown): string {
  if (v === null) return 'null'
  if (isDate(v)) return 'a Date'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`
  if (typeof v === 'object') return 'an object'
  return `${typeof v} ${String(v)}`
}

const expected = (what: string, v: unknown): Invalid => new Invalid(`expected ${what}, got ${describe(v)}`)

function text (v: unknown): string | Invalid {
  if (typeof v === 'string') return checkText(v)
  if (typeof v === 'number' && Number.isFinite(v)) return formatDecimal(v)
  return expected('text', v)
}

function integer (min: number, max: number, what: string): Coerce {
  return v => {
    let s: string
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) return expected(what, v)
      s = String(v)
    } else if (typeof v === 'string' && /^-?\d{1,18}$/.test(v)) {
      s = v
    } else if (typeof v === 'bigint') {
      s = v.toString()
    } else {
      return expected(what, v)
    }
    const n = Number(s)
    if (n < min || n > max) return new Invalid(`${s} is out of range for ${what}`)
    return s
  }
}

const DECIMAL_TEXT = /^-?(\d+(\.\d*)?|\.\d+)$/

const decimal: Coerce = (v, places) => {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return expected('a finite number', v)
    return formatDecimal(v, places)
  }
  // Text is the caller's exact decimal: kept verbatim (no exponent, no thousands separators).
  if (typeof v === 'string' && DECIMAL_TEXT.test(v)) return v
  return expected('a decimal number (no exponent)', v)
}

const boolean: Coerce = v => {
  if (v === true || v === 'Y') return 'Y'
  if (v === false || v === 'N') return 'N'
  return expected('true/false or "Y"/"N"', v)
}

const FIX_TIMESTAMP = /^(\d{8})-(\d{2}:\d{2}:\d{2}(\.\d+)?)$/

function validDate (v: unknown): Date | undefined {
  if (isDate(v)) return Number.isNaN(v.getTime()) ? undefined : v
  if (typeof v === 'number' && Number.isSafeInteger(v)) return new Date(v)
  if (typeof v === 'string') return parseIsoWithZone(v)
  return undefined
}

const utcTimestamp: Coerce = v => {
  if (typeof v === 'string') {
    const m = FIX_TIMESTAMP.exec(v)
    if (m !== null && isFixDate(m[1]) && isFixTime(m[2])) return v
  }
  const d = validDate(v)
  if (d !== undefined) return formatUtcTimestamp(d)
  return expected('a UTC timestamp (Date, epoch ms, ISO 8601 with zone, or YYYYMMDD-HH:MM:SS.sss)', v)
}

const TZ_TIMESTAMP = /^(\d{8})-(\d{2}):(\d{2})(:\d{2}(\.\d{3}|\.\d{6}|\.\d{9})?)?(Z|[+-]\d{2}(:\d{2})?)$/

const tzTimestamp: Coerce = v => {
  if (typeof v === 'string') {
    const m = TZ_TIMESTAMP.exec(v)
    if (m !== null && isFixDate(m[1]) && Number(m[2]) < 24 && Number(m[3]) < 60) return v
  }
  const d = validDate(v)
  if (d !== undefined) return formatUtcTimestamp(d) + 'Z'
  return expected('a timestamp with zone (Date, or YYYYMMDD-HH:MM[:SS][.sss]Z|±hh[:mm])', v)
}

const utcTimeOnly: Coerce = v => {
  if (typeof v === 'string' && isFixTime(v)) return v
  if (isDate(v) && !Number.isNaN(v.getTime())) return formatUtcTime(v)
  return expected('a UTC time (Date or HH:MM:SS[.sss])', v)
}

const TZ_TIME = /^(\d{2}):(\d{2})(:\d{2}(\.\d{3}|\.\d{6}|\.\d{9})?)?(Z|[+-]\d{2}(:\d{2})?)$/

const tzTimeOnly: Coerce = v => {
  if (typeof v === 'string') {
    const m = TZ_TIME.exec(v)
    if (m !== null && Number(m[1]) < 24 && Number(m[2]) < 60) return v
  }
  if (isDate(v) && !Number.isNaN(v.getTime())) return formatUtcTime(v) + 'Z'
  return expected('a time with zone (HH:MM[:SS][.sss]Z|±hh[:mm])', v)
}

const localTime: Coerce = v => {
  if (typeof v === 'string' && isFixTime(v)) return v
  return expected('a local market time "HH:MM:SS" (text: a Date carries no market timezone)', v)
}

/**
 * LocalMktDate / UTCDateOnly: "YYYYMMDD" (or "YYYY-MM-DD") text is written as given; a Date is
 * taken as its UTC calendar day. Never the machine's timezone (jspurefix's writer uses local getters).
 */
const date: Coerce = v => {
  if (typeof v === 'string') {
    if (isFixDate(v)) return v
    const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v)
    if (iso !== null && isCalendarDate(Number(iso[1]), Number(iso[2]), Number(iso[3]))) return iso[1] + iso[2] + iso[3]
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && isFixDate(String(v))) return String(v)
  if (isDate(v) && !Number.isNaN(v.getTime())) return formatUtcDate(v)
  return expected('a date "YYYYMMDD" (or a Date, taken as its UTC day)', v)
}

const monthYear: Coerce = v => {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v
  if (typeof s === 'string') {
    const m = /^(\d{4})(\d{2})(\d{2}|w[1-5])?$/.exec(s)
    if (
      m !== null &&
      Number(m[2]) >= 1 &&
      Number(m[2]) <= 12 &&
      (m[3] === undefined || m[3].startsWith('w') || isFixDate(s))
    ) { return s }
  }
  return expected('a MonthYear "YYYYMM", "YYYYMMDD" or "YYYYMMwN"', v)
}

/** Raw data goes out as bytes; text becomes UTF-8, which is what EncodedText is for. */
const data: Coerce = v => {
  if (Buffer.isBuffer(v)) return v.length > 0 ? v : new Invalid('is empty')
  if (v instanceof Uint8Array) return v.length > 0 ? Buffer.from(v) : new Invalid('is empty')
  if (typeof v === 'string') return v.length > 0 ? Buffer.from(v, 'utf8') : new Invalid('is empty')
  return expected('text or a Buffer', v)
}

const char: Coerce = v => {
  const s = typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 9 ? String(v) : v
  if (typeof s !== 'string' || s.length !== 1) return expected('a single character', v)
  return checkText(s)
}

/** Space-separated lists; an array of values is joined. */
function multiple (single: boolean): Coerce {
  return v => {
    let s: string
    if (Array.isArray(v)) {
      const parts: string[] = []
      for (const x of v) {
        const t = text(x)
        if (t instanceof Invalid) return t
        parts.push(t)
      }
      s = parts.join(' ')
    } else {
      const t = text(v)
      if (t instanceof Invalid) return t
      s = t
    }
    if (s.trim() === '' || s.split(' ').some(t => t === '' || (single && t.length !== 1))) {
      return new Invalid(`"${s}" is not a list of ${single ? 'single characters' : 'values'} separated by one space`)
    }
    return s
  }
}

function pattern (re: RegExp, what: string): Coerce {
  return v => (typeof v === 'string' && re.test(v) ? v : expected(what, v))
}

const coercers: Record<string, Coerce> = {
  INT: integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'an integer'),
  NUMINGROUP: integer(0, Number.MAX_SAFE_INTEGER, 'a count'),
  SEQNUM: integer(1, Number.MAX_SAFE_INTEGER, 'a sequence number'),
  LENGTH: integer(0, Number.MAX_SAFE_INTEGER, 'a length'),
  TAGNUM: integer(1, Number.MAX_SAFE_INTEGER, 'a tag number'),
  DAYOFMONTH: integer(1, 31, 'a day of month'),
  FLOAT: decimal,
  QTY: decimal,
  PRICE: decimal,
  PRICEOFFSET: decimal,
  AMT: decimal,
  PERCENTAGE: decimal,
  BOOLEAN: boolean,
  UTCTIMESTAMP: utcTimestamp,
  TZTIMESTAMP: tzTimestamp,
  UTCTIMEONLY: utcTimeOnly,
  TIME: utcTimeOnly,
  TZTIMEONLY: tzTimeOnly,
  LOCALMKTTIME: localTime,
  LOCALMKTDATE: date,
  UTCDATEONLY: date,
  UTCDATE: date,
  DATE: date,
  MONTHYEAR: monthYear,
  DATA: data,
  XMLDATA: data,
  CHAR: char,
  MULTIPLEVALUESTRING: multiple(false),
  MULTIPLESTRINGVALUE: multiple(false),
  MULTIPLECHARVALUE: multiple(true),
  CURRENCY: pattern(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as "USD"'),
  COUNTRY: pattern(/^[A-Z]{2}$/, 'an ISO 3166 country code such as "US"')
}

/** The coercion for a dictionary type name; anything unknown is treated as a plain string. */
export function coercerFor (type: string): Coerce {
  return coercers[type.toUpperCase()] ?? text
}

export function isMultipleValueType (type: string): boolean {
  return type.toUpperCase().startsWith('MULTIPLE')
}

export function isDataType (type: string): boolean {
  const t = type.toUpperCase()
  return t === 'DATA' || t === 'XMLDATA'
}
