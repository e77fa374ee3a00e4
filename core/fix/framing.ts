/**
 * FIX tag=value framing, byte-exact: BodyLength (9) counts the bytes after the SOH that ends
 * field 9 up to and including the SOH before 10=; CheckSum (10) is the byte sum of everything
 * before 10=, modulo 256, as three digits.
 */
import { FieldList } from './field-list'

export const SOH = 0x01
export const SOH_CHAR = '\x01'

export class FixParseError extends Error {
  constructor (
    readonly reason: 'garbled' | 'truncated' | 'beginstring' | 'bodylength' | 'checksum' | 'msgtype' | 'toolarge',
    message: string,
    readonly tag?: number
  ) {
    super(message)
    this.name = 'FixParseError'
  }
}

export function checksumOf (bytes: Buffer, end = bytes.length): number {
  let sum = 0
  for (let i = 0; i < end; i++) sum += bytes[i]
  return sum % 256
}

export function formatChecksum (n: number): string {
  return String(n).padStart(3, '0')
}

/**
 * FIX text with '|' for every SOH, for display (msg.fix.encoded, msg.fix.raw). Written through a
 * byte copy, so the result is one flat string: a global `replace` gives a rope of one piece per
 * field (about 2 KB kept for a 170-byte ExecutionReport while a message waits in a flow).
 */
export function withPipes (text: string): string {
  const b = Buffer.from(text, 'latin1')
  for (let i = b.indexOf(SOH); i >= 0; i = b.indexOf(SOH, i + 1)) b[i] = PIPE
  return b.toString('latin1')
}

const PIPE = 0x7c

/** Where each part of a frame is, after checking its structure, length and checksum. */
export interface FrameLayout {
  /** Offset of the first byte after `9=<n><SOH>` (where 35= starts). */
  bodyStart: number
  /** Offset of `10=`. */
  trailerStart: number
  /** Total length of the frame including the final SOH. */
  length: number
  beginString: string
  /** SOH bytes in the frame: its number of fields when every field is `tag=value` (no SOH inside a value). */
  sohCount: number
}

const ASCII_8 = 0x38
const ASCII_9 = 0x39
const EQ = 0x3d

/**
 * Checks one complete frame in `buf` starting at 0: 8= first, 9= second, 35= third, BodyLength
 * matching, 10= with three digits and the right checksum. Throws FixParseError with the reason.
 */
export function checkFrame (buf: Buffer): FrameLayout {
  if (buf.length < 20 || buf[0] !== ASCII_8 || buf[1] !== EQ) {
    throw new FixParseError('garbled', 'message does not start with 8=', 8)
  }
  const soh1 = buf.indexOf(SOH, 2)
  if (soh1 < 0) throw new FixParseError('truncated', 'message ends inside BeginString (8)', 8)
  const beginString = buf.toString('latin1', 2, soh1)
  if (!/^FIXT?\.\d\.\d$/.test(beginString)) {
    throw new FixParseError('beginstring', `BeginString (8) "${beginString.slice(0, 20)}" is not a FIX version`, 8)
  }
  if (buf[soh1 + 1] !== ASCII_9 || buf[soh1 + 2] !== EQ) {
    throw new FixParseError('garbled', 'second field is not BodyLength (9)', 9)
  }
  const soh2 = buf.indexOf(SOH, soh1 + 3)
  if (soh2 < 0) throw new FixParseError('truncated', 'message ends inside BodyLength (9)', 9)
  const lenText = buf.toString('latin1', soh1 + 3, soh2)
  if (!/^\d{1,7}$/.test(lenText)) {
    throw new FixParseError('bodylength', `BodyLength (9) "${lenText.slice(0, 10)}" is not a number`, 9)
  }
  const bodyStart = soh2 + 1
  if (buf.toString('latin1', bodyStart, bodyStart + 3) !== '35=') {
    throw new FixParseError('msgtype', 'third field is not MsgType (35)', 35)
  }
  const trailerStart = bodyStart + Number(lenText)
  if (trailerStart + 7 > buf.length) {
    // Either the message was cut short, or BodyLength overstates it.
    const real = buf.lastIndexOf('\x0110=')
    if (real > bodyStart) {
      throw new FixParseError(
        'bodylength',
        `BodyLength (9) is ${lenText} but the body has ${real + 1 - bodyStart} bytes`,
        9
      )
    }
    throw new FixParseError('truncated', 'message is shorter than its BodyLength (9)', 9)
  }
  if (buf.toString('latin1', trailerStart, trailerStart + 3) !== '10=' || buf[trailerStart - 1] !== SOH) {
    const real = buf.indexOf('\x0110=', bodyStart)
    const actual = real >= 0 ? ` but the body has ${real + 1 - bodyStart} bytes` : ''
    throw new FixParseError('bodylength', `BodyLength (9) is ${lenText}${actual}`, 9)
  }
  const sumText = buf.toString('latin1', trailerStart + 3, trailerStart + 6)
  if (!/^\d{3}$/.test(sumText) || buf[trailerStart + 6] !== SOH) {
    throw new FixParseError('checksum', 'CheckSum (10) must be three digits followed by SOH', 10)
  }
  // The checksum's pass also counts the SOH bytes, so the field list can be made at its size.
  let sum = 0
  let sohs = 1
  for (let i = 0; i < trailerStart; i++) {
    const b = buf[i]
    sum += b
    if (b === SOH) sohs++
  }
  const expected = sum % 256
  if (Number(sumText) !== expected) {
    throw new FixParseError('checksum', `CheckSum (10) is ${sumText}, expected ${formatChecksum(expected)}`, 10)
  }
  return { bodyStart, trailerStart, length: trailerStart + 7, beginString, sohCount: sohs }
}

/**
 * Every field of a checked frame, in one pass over its bytes: the tag read from its digits (no
 * leading zero, at most 7), the value sliced from `raw` (the frame as latin1 text, so character and
 * byte offsets agree). Throws FixParseError('garbled') naming the first field that is not
 * `<tag>=<value>`. `expected` (the frame's SOH count, from checkFrame) sizes the two arrays: grown by
 * push they would keep about twice the slots they use while the message is in flight.
 */
export function frameFields (buf: Buffer, raw: string, end = buf.length, expected = 0): FieldList {
  const tags: number[] = new Array(expected)
  const values: string[] = new Array(expected)
  let n = 0
  let pos = 0
  while (pos < end) {
    let p = pos
    let c = buf[p]
    if (c < 0x31 || c > 0x39) throw badField(buf, pos, end)
    let tag = 0
    while (p < end && (c = buf[p]) >= 0x30 && c <= 0x39) {
      tag = tag * 10 + c - 0x30
      p++
    }
    if (c !== EQ || p - pos > 7) throw badField(buf, pos, end)
    let next = buf.indexOf(SOH, p)
    if (next < 0 || next >= end) next = end
    tags[n] = tag
    values[n] = raw.slice(p + 1, next)
    n++
    pos = next + 1
  }
  // A wrong count only costs the exact size: the arrays grow, or are cut to the fields read.
  if (n < tags.length) {
    tags.length = n
    values.length = n
  }
  return new FieldList(tags, values)
}

function badField (buf: Buffer, pos: number, end: number): FixParseError {
  const stop = buf.indexOf(SOH, pos)
  return new FixParseError(
    'garbled',
    `field "${buf.toString('latin1', pos, Math.min(stop < 0 ? end : stop, pos + 20))}" is not tag=value`
  )
}

export interface FrameSplitterOptions {
  /** Frames claiming a larger body are not waited for (protects memory). Default 1 MiB. */
  maxBodyLength?: number
  /**
   * A frame whose BodyLength is wrong is still cut out when its `10=nnn<SOH>` trailer comes
   * within this many bytes of its body start (and before any next "8=FIX"). Default 64 KiB.
   */
  maxRecoverLength?: number
  /** Told about bytes that were skipped because they could not start or finish a frame. */
  onGarbled?: (bytes: Buffer, reason: string) => void
}

/**
 * Cuts a TCP byte stream into whole frames by 8=...|9=n|...|10=xxx|. Bytes that cannot begin
 * a frame are skipped up to the next "8=FIX". A frame whose BodyLength (9) is wrong (does not
 * land on 10=, or is not a number) is still delimited by its own trailer when that is found
 * before the next frame start and within maxRecoverLength: it is handed on as it is, so the
 * session can parse its MsgSeqNum and answer with a Reject; one that cannot be delimited is
 * reported as garbled and skipped. Neither BodyLength nor CheckSum is checked here (the session
 * does it, so it can answer with a Reject).
 */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0)
  private readonly maxBody: number
  private readonly maxRecover: number
  /** Where the trailer search of the frame at the head of `pending` may resume (bytes already searched). */
  private searched = 0

  constructor (private readonly options: FrameSplitterOptions = {}) {
    this.maxBody = options.maxBodyLength ?? 1024 * 1024
    this.maxRecover = options.maxRecoverLength ?? 64 * 1024
  }

  push (chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    const frames: Buffer[] = []
    for (;;) {
      const buf = this.pending
      const start = buf.indexOf('8=FIX')
      if (start < 0) {
        // Keep a short tail that may be the beginning of "8=FIX".
        const keep = Math.min(buf.length, 4)
        if (buf.length > keep) this.garbled(buf.subarray(0, buf.length - keep), 'no frame start')
        this.pending = buf.subarray(buf.length - keep)
        return frames
      }
      if (start > 0) {
        this.garbled(buf.subarray(0, start), 'bytes before a frame start')
        this.pending = buf.subarray(start)
        continue
      }
      const soh1 = buf.indexOf(SOH)
      if (soh1 < 0) {
        if (buf.length > 32) this.skip('BeginString too long')
        else return frames
        continue
      }
      if (buf.length < soh1 + 3) return frames
      if (buf[soh1 + 1] !== ASCII_9 || buf[soh1 + 2] !== EQ) {
        this.skip('BodyLength (9) is not the second field')
        continue
      }
      const soh2 = buf.indexOf(SOH, soh1 + 3)
      if (soh2 < 0) {
        if (buf.length - soh1 > 12) this.skip('BodyLength (9) is not a number')
        else return frames
        continue
      }
      if (soh2 - soh1 - 3 > 9) {
        // Same limit as while waiting for the SOH above, so chunk boundaries do not matter.
        this.skip('BodyLength (9) is not a number')
        continue
      }
      const bodyStart = soh2 + 1
      const lenText = buf.toString('latin1', soh1 + 3, soh2)
      const declared = /^\d{1,9}$/.test(lenText) && Number(lenText) <= this.maxBody ? Number(lenText) : undefined
      if (declared !== undefined) {
        const trailerStart = bodyStart + declared
        if (buf.length >= trailerStart + 7 && isTrailer(buf, trailerStart)) {
          this.take(frames, trailerStart + 7)
          continue
        }
        if (buf.length < trailerStart + 7) {
          // Not all here yet, or BodyLength overstates the frame: cut it early only on evidence
          // (its trailer is followed by the next frame, or ends the data with a right CheckSum).
          const end = this.findEnd(buf, bodyStart)
          if (typeof end === 'number' && (startsFrame(buf, end) || (end === buf.length && checksumMatches(buf, end)))) {
            this.take(frames, end)
            continue
          }
          // Otherwise wait for the declared length (at most maxBodyLength): a data field may hold
          // what looks like a trailer or a frame start.
          return frames
        }
      }
      // BodyLength is wrong (or not a usable number): delimit the frame by its own trailer.
      const end = this.findEnd(buf, bodyStart)
      if (typeof end === 'number') {
        this.take(frames, end)
        continue
      }
      if (end === 'garbled' || buf.length - bodyStart > this.maxRecover) {
        this.skip(`BodyLength (9) "${lenText.slice(0, 12)}" does not match the message, which has no trailer in reach`)
        continue
      }
      return frames
    }
  }

  reset (): void {
    this.pending = Buffer.alloc(0)
    this.searched = 0
  }

  /** The bytes received but not yet part of a whole frame (for handing a stream over to another reader). */
  rest (): Buffer {
    return Buffer.from(this.pending)
  }

  /**
   * The end (after its SOH) of the first `<SOH>10=nnn<SOH>` after `bodyStart`; 'garbled' when a
   * next "8=FIX" comes first, the first 10= is not three digits, or nothing is found within
   * maxRecoverLength; 'wait' when more bytes are needed. Resumes where the last call stopped.
   */
  private findEnd (buf: Buffer, bodyStart: number): number | 'garbled' | 'wait' {
    const limit = Math.min(buf.length, bodyStart + this.maxRecover + 7)
    let from = Math.max(bodyStart - 1, this.searched)
    for (;;) {
      const at = buf.indexOf(SOH, from)
      if (at < 0 || at >= limit) {
        // Everything before the last few bytes is searched (a trailer or frame start may straddle them).
        this.searched = Math.max(bodyStart - 1, buf.length - 8)
        return buf.length - bodyStart > this.maxRecover ? 'garbled' : 'wait'
      }
      if (at + 7 >= buf.length) {
        this.searched = at
        return 'wait'
      }
      if (buf[at + 1] === 0x31 && buf[at + 2] === 0x30 && buf[at + 3] === EQ) {
        return isTrailer(buf, at + 1) ? at + 8 : 'garbled'
      }
      if (startsFrame(buf, at + 1)) return 'garbled'
      from = at + 1
    }
  }

  private take (frames: Buffer[], end: number): void {
    frames.push(Buffer.from(this.pending.subarray(0, end)))
    this.pending = this.pending.subarray(end)
    this.searched = 0
  }

  /** Drops the broken frame start and resynchronises on the next "8=FIX". */
  private skip (reason: string): void {
    const buf = this.pending
    const next = buf.indexOf('8=FIX', 1)
    const cut = next < 0 ? buf.length : next
    this.garbled(buf.subarray(0, cut), reason)
    this.pending = buf.subarray(cut)
    this.searched = 0
  }

  private garbled (bytes: Buffer, reason: string): void {
    if (bytes.length > 0) this.options.onGarbled?.(Buffer.from(bytes), reason)
  }
}

/** `10=nnn<SOH>` at `at`, after an SOH. */
function isTrailer (buf: Buffer, at: number): boolean {
  return buf[at - 1] === SOH && buf[at] === 0x31 && buf[at + 1] === 0x30 && buf[at + 2] === EQ &&
    isDigit(buf[at + 3]) && isDigit(buf[at + 4]) && isDigit(buf[at + 5]) && buf[at + 6] === SOH
}

function isDigit (b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39
}

/** "8=FIX" at `at`. */
function startsFrame (buf: Buffer, at: number): boolean {
  return (
    buf.length >= at + 5 &&
    buf[at] === ASCII_8 &&
    buf[at + 1] === EQ &&
    buf.toString('latin1', at + 2, at + 5) === 'FIX'
  )
}

/** The CheckSum of the frame ending at `end` (after its SOH) is right. */
function checksumMatches (buf: Buffer, end: number): boolean {
  return Number(buf.toString('latin1', end - 4, end - 1)) === checksumOf(buf, end - 7)
}

/** A field whose value is longer than a cap: its tag as received (at most 12 characters) and its value's length. */
export interface LongField { tag: string, length: number }

/**
 * The first field of `frame` whose value is longer than `max` bytes, or undefined. One pass of
 * indexOf over the bytes and no string made of them: it runs before any parse or regular
 * expression touches the frame, so an oversized field costs linear time and no copy.
 */
export function longFieldOf (frame: Buffer, max: number): LongField | undefined {
  if (frame.length <= max) return undefined
  let pos = 0
  while (pos < frame.length) {
    let end = frame.indexOf(SOH, pos)
    if (end < 0) end = frame.length
    if (end - pos > max) {
      const eq = frame.indexOf(EQ, pos)
      const tagEnd = eq >= 0 && eq < end ? eq : pos
      if (end - (tagEnd + 1) > max) {
        return { tag: frame.toString('latin1', pos, Math.min(tagEnd, pos + 12)), length: end - tagEnd - 1 }
      }
    }
    pos = end + 1
  }
  return undefined
}

/**
 * Splits a message into [tag, value] pairs without trusting it; undefined when it is not
 * tag=value text at all (garbled). Values may be empty (the validator reports that).
 */
export function scanFields (raw: string): Array<[number, string]> | undefined {
  const out: Array<[number, string]> = []
  const parts = raw.split(SOH_CHAR)
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
