/**
 * Exact text forms of FIX values. Nothing here reads the machine's timezone: dates and times are
 * always formatted with the UTC getters, and date-only values given as text are kept as text.
 */

/**
 * Decimal text for a FIX float (PRICE, QTY, AMT, ...): never exponent notation, and rounded to 15
 * significant digits, the precision a double holds exactly. So 0.1 + 0.2 goes out as "0.3" and
 * 100.25 as "100.25": the shortest text that reads back as the intended decimal. With `places`
 * (a per-field setting) the value is written with exactly that many decimals instead.
 */
export function formatDecimal (n: number, places?: number): string {
  if (places !== undefined) return plain(n.toFixed(places))
  if (Number.isInteger(n)) return n === 0 ? '0' : plain(String(n))
  const s = String(n)
  // Up to 15 characters cannot hold more than 15 significant digits: already the shortest form.
  if (s.length <= 15 && !s.includes('e')) return s
  return plain(String(Number(n.toPrecision(15))))
}

/** Expands JavaScript's exponent notation ("1.5e-7", "1e+21") into plain decimal digits. */
function plain (s: string): string {
  const e = s.indexOf('e')
  if (e < 0) return s === '-0' ? '0' : s
  const negative = s.startsWith('-')
  const mantissa = s.slice(negative ? 1 : 0, e)
  const exponent = Number(s.slice(e + 1))
  const dot = mantissa.indexOf('.')
  const digits = mantissa.replace('.', '')
  const pointAt = (dot < 0 ? mantissa.length : dot) + exponent
  let out: string
  if (pointAt <= 0) out = '0.' + '0'.repeat(-pointAt) + digits
  else if (pointAt >= digits.length) out = digits + '0'.repeat(pointAt - digits.length)
  else out = digits.slice(0, pointAt) + '.' + digits.slice(pointAt)
  return (negative ? '-' : '') + out
}

// The UTC date and time formats live in core/fix/utc.ts (one copy for the codec, the translator and the session).
export { formatUtcDate, formatUtcTime, formatUtcTimestamp } from '../utc'

/** True for a real calendar date (no 20240230). */
export function isCalendarDate (y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false
  const days =
    m === 2 ? ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31
  return d <= days
}

/** Checks YYYYMMDD text is a real date. */
export function isFixDate (s: string): boolean {
  if (!/^\d{8}$/.test(s)) return false
  return isCalendarDate(Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8)))
}

/** HH:MM:SS with optional .sss / .ssssss / .sssssssss; 60 seconds allowed for a leap second. */
export function isFixTime (s: string): boolean {
  const m = /^(\d{2}):(\d{2}):(\d{2})(\.\d{3}|\.\d{6}|\.\d{9})?$/.exec(s)
  return m !== null && Number(m[1]) < 24 && Number(m[2]) < 60 && Number(m[3]) <= 60
}

/** ISO 8601 date-times are accepted only with an explicit zone, so no local timezone is ever assumed. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i

export function parseIsoWithZone (s: string): Date | undefined {
  if (!ISO_WITH_ZONE.test(s)) return undefined
  const d = new Date(s)
  return Number.isNaN(d.getTime()) ? undefined : d
}
