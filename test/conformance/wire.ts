/**
 * The bytes of a conformance script: frames written as '|'-separated text with placeholders,
 * turned into wire bytes (BodyLength and CheckSum computed unless the script spells them out),
 * and received frames split back into fields. Written for the suite, independent of the
 * engine's own framing code, so an engine bug cannot hide behind a shared helper.
 */

export const SOH = '\x01'

/** Values a script may refer to, filled in per version and per run. */
export interface Vars {
  /** BeginString on the wire (8). */
  BS: string
  /** The script's own CompID (the counterparty) and the engine's. */
  C: string
  G: string
  [name: string]: string
}

/** A UTC timestamp with milliseconds, as FIX writes it: YYYYMMDD-HH:MM:SS.sss. */
export function utc (d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`
}

const UTC = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/

/** A FIX UTCTimestamp as a Date, or undefined when it is not one. */
export function parseUtcText (text: string): Date | undefined {
  const m = UTC.exec(text)
  if (m === null) return undefined
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3))
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], ms))
  return Number.isNaN(d.getTime()) || d.getUTCDate() !== +m[3] ? undefined : d
}

/**
 * Replaces `{name}` placeholders: `{now}`, `{now-121s}`, `{now+3min}` (a timestamp relative to
 * the moment of sending) and any variable in `vars`. An unknown name is an error in the script.
 */
export function fill (text: string, vars: Vars, now = new Date()): string {
  const variable = /\{([A-Za-z][A-Za-z0-9]*)([+-]\d+(?:ms|s|min))?\}/g
  return text.replace(variable, (whole, name: string, offset: string | undefined) => {
    if (name === 'now') return utc(new Date(now.getTime() + offsetMs(offset)))
    // Computed when framing, or matched when comparing.
    if (['len', 'sum', 'badsum', 'time', 'any'].includes(name)) return whole
    const v = vars[name]
    if (v === undefined || offset !== undefined) throw new Error(`script error: unknown placeholder ${whole}`)
    return v
  })
}

function offsetMs (o: string | undefined): number {
  if (o === undefined) return 0
  const m = /^([+-]\d+)(ms|s|min)$/.exec(o)!
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60000)
}

/** Byte sum modulo 256 as three digits. */
export function checksum (bytes: Buffer): string {
  let sum = 0
  for (const b of bytes) sum += b
  return String(sum % 256).padStart(3, '0')
}

/**
 * A full frame from the fields after BodyLength (from 35= on, ending with '|'): prepends
 * 8=<BS>|9=<n>| and appends 10=<sum>|, both computed.
 */
export function frame (body: string, beginString: string): Buffer {
  const b = Buffer.from(body.replace(/\|/g, SOH), 'latin1')
  const head = Buffer.from(`8=${beginString}${SOH}9=${b.length}${SOH}`, 'latin1')
  const without = Buffer.concat([head, b])
  return Buffer.concat([without, Buffer.from(`10=${checksum(without)}${SOH}`, 'latin1')])
}

/**
 * A frame written out in full, for malformed input: `{len}` becomes the true BodyLength (bytes
 * after the SOH ending field 9 up to the SOH before 10=), `{sum}` the true CheckSum of what
 * precedes `10=` and `{badsum}` a CheckSum that is certainly wrong (the true one plus 1);
 * anything else is sent exactly as written (a wrong 9 or 10 stays wrong).
 */
export function rawFrame (text: string): Buffer {
  let t = text.replace(/\|/g, SOH)
  if (t.includes('{len}')) {
    const m = /9=\{len\}\x01/.exec(t)
    if (m === null) throw new Error('script error: {len} must be the value of 9')
    const start = m.index + m[0].length
    const trailer = t.lastIndexOf(`${SOH}10=`)
    const end = trailer < 0 ? t.length : trailer + 1
    const withLen = (n: number): string => t.slice(0, m.index) + `9=${n}${SOH}` + t.slice(start)
    // The length counts bytes after field 9, which do not depend on the length's own digits.
    t = withLen(Buffer.byteLength(t.slice(start, end), 'latin1'))
  }
  for (const [name, delta] of [['sum', 0], ['badsum', 1]] as const) {
    const at = t.indexOf(`10={${name}}`)
    if (at < 0) continue
    const right = Number(checksum(Buffer.from(t.slice(0, at), 'latin1')))
    t = t.slice(0, at) + `10=${String((right + delta) % 256).padStart(3, '0')}` + t.slice(at + 5 + name.length)
  }
  return Buffer.from(t, 'latin1')
}

export type Field = [number, string]

/** Splits tag=value text ('|' or SOH separated) into fields; tags that are not numbers stay NaN. */
export function fieldsOf (text: string): Field[] {
  const out: Field[] = []
  for (const part of text.replace(/\|/g, SOH).split(SOH)) {
    if (part === '') continue
    const eq = part.indexOf('=')
    out.push(
      eq < 0
        ? [Number.NaN, part]
        : [/^-?\d+$/.test(part.slice(0, eq)) ? Number(part.slice(0, eq)) : Number.NaN, part.slice(eq + 1)]
    )
  }
  return out
}

/** Human-readable frame: SOH shown as '|'. */
export function show (bytes: Buffer | string): string {
  const s = typeof bytes === 'string' ? bytes : bytes.toString('latin1')
  return s.replace(/\x01/g, '|')
}

/**
 * Cuts complete frames off the front of a received byte stream by their own BodyLength and
 * trailer. The engine must send well-formed frames: anything else is reported as a framing
 * problem (a conformance failure), never silently skipped.
 */
export class FrameReader {
  private buf = Buffer.alloc(0)
  readonly problems: string[] = []

  push (chunk: Buffer): Buffer[] {
    this.buf = Buffer.concat([this.buf, chunk])
    const out: Buffer[] = []
    for (;;) {
      if (this.buf.length === 0) return out
      const m = /^8=([^\x01]*)\x019=(\d+)\x01/.exec(this.buf.toString('latin1', 0, Math.min(this.buf.length, 40)))
      if (m === null) {
        if (this.buf.length < 40 && !this.buf.includes(SOH + '35=')) return out
        this.problems.push(`bytes that do not start a frame: ${show(this.buf.subarray(0, 60))}`)
        this.buf = Buffer.alloc(0)
        return out
      }
      const end = m[0].length + Number(m[2]) + 7
      if (this.buf.length < end) return out
      const f = this.buf.subarray(0, end)
      const trailer = f.toString('latin1', end - 7)
      if (!/^10=\d{3}\x01$/.test(trailer)) {
        this.problems.push(`BodyLength ${m[2]} does not end at the ` +
        `trailer: ${show(f)}`)
      } else if (trailer.slice(3, 6) !== checksum(f.subarray(0, end - 7))) {
        this.problems.push('wrong ' +
        `CheckSum ${trailer.slice(3, 6)}: ${show(f)}`)
      }
      out.push(Buffer.from(f))
      this.buf = this.buf.subarray(end)
    }
  }
}
