/**
 * The FIX UTC date and time formats, once for the whole pack: the codec stamps SendingTime with
 * them, the translator writes UTCTimestamp and UTCDateOnly values, the session checks the
 * peer's SendingTime. Nothing here reads the machine's timezone: only the UTC getters.
 */

const p2 = (n: number): string => (n < 10 ? '0' : '') + String(n)
const p3 = (n: number): string => (n < 10 ? '00' : n < 100 ? '0' : '') + String(n)

/** YYYYMMDD of the UTC calendar day. */
export function formatUtcDate (d: Date): string {
  const y = d.getUTCFullYear()
  return String(y).padStart(4, '0') + p2(d.getUTCMonth() + 1) + p2(d.getUTCDate())
}

/** HH:MM:SS.sss in UTC. */
export function formatUtcTime (d: Date): string {
  return (
    p2(d.getUTCHours()) + ':' + p2(d.getUTCMinutes()) + ':' + p2(d.getUTCSeconds()) + '.' + p3(d.getUTCMilliseconds())
  )
}

/** UTCTimestamp with milliseconds: YYYYMMDD-HH:MM:SS.sss */
export function formatUtcTimestamp (d: Date): string {
  return formatUtcDate(d) + '-' + formatUtcTime(d)
}

/** Parses a UTCTimestamp (seconds, or ms/us/ns fractions); undefined if malformed. */
export function parseUtcTimestamp (text: string | undefined): Date | undefined {
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
