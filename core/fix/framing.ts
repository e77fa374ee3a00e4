/**
 * FIX tag=value framing, byte-exact: BodyLength (9) counts the bytes after the SOH that ends
 * field 9 up to and including the SOH before 10=; CheckSum (10) is the byte sum of everything
 * before 10=, modulo 256, as three digits.
 */
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

/** Where each part of a frame is, after checking its structure, length and checksum. */
export interface FrameLayout {
  /** Offset of the first byte after `9=<n><SOH>` (where 35= starts). */
  bodyStart: number
  /** Offset of `10=`. */
  trailerStart: number
  /** Total length of the frame including the final SOH. */
  length: number
  beginString: string
}

const ASCII_8 = 0x38
const ASCII_9 = 0x39
const EQ = 0x3d

/**
 * Checks one complete frame in `buf` starting at 0: 8= first, 9= second, 35= third, BodyLength
 * matching, 10= with three digits and the right checksum. Throws FixParseError with the reason.
 */
export function checkFrame (buf: Buffer): FrameLayout {
  if (buf.length < 20 || buf[0] !== ASCII_8 || buf[1] !== EQ) throw new FixParseError('garbled', 'message does not start with 8=', 8)
  const soh1 = buf.indexOf(SOH, 2)
  if (soh1 < 0) throw new FixParseError('truncated', 'message ends inside BeginString (8)', 8)
  const beginString = buf.toString('latin1', 2, soh1)
  if (!/^FIXT?\.\d\.\d$/.test(beginString)) throw new FixParseError('beginstring', `BeginString (8) "${beginString.slice(0, 20)}" is not a FIX version`, 8)
  if (buf[soh1 + 1] !== ASCII_9 || buf[soh1 + 2] !== EQ) throw new FixParseError('garbled', 'second field is not BodyLength (9)', 9)
  const soh2 = buf.indexOf(SOH, soh1 + 3)
  if (soh2 < 0) throw new FixParseError('truncated', 'message ends inside BodyLength (9)', 9)
  const lenText = buf.toString('latin1', soh1 + 3, soh2)
  if (!/^\d{1,7}$/.test(lenText)) throw new FixParseError('bodylength', `BodyLength (9) "${lenText.slice(0, 10)}" is not a number`, 9)
  const bodyStart = soh2 + 1
  if (buf.toString('latin1', bodyStart, bodyStart + 3) !== '35=') throw new FixParseError('msgtype', 'third field is not MsgType (35)', 35)
  const trailerStart = bodyStart + Number(lenText)
  if (trailerStart + 7 > buf.length) {
    // Either the message was cut short, or BodyLength overstates it.
    const real = buf.lastIndexOf('\x0110=')
    if (real > bodyStart) throw new FixParseError('bodylength', `BodyLength (9) is ${lenText} but the body has ${real + 1 - bodyStart} bytes`, 9)
    throw new FixParseError('truncated', 'message is shorter than its BodyLength (9)', 9)
  }
  if (buf.toString('latin1', trailerStart, trailerStart + 3) !== '10=' || buf[trailerStart - 1] !== SOH) {
    const real = buf.indexOf('\x0110=', bodyStart)
    const actual = real >= 0 ? ` but the body has ${real + 1 - bodyStart} bytes` : ''
    throw new FixParseError('bodylength', `BodyLength (9) is ${lenText}${actual}`, 9)
  }
  const sumText = buf.toString('latin1', trailerStart + 3, trailerStart + 6)
  if (!/^\d{3}$/.test(sumText) || buf[trailerStart + 6] !== SOH) throw new FixParseError('checksum', 'CheckSum (10) must be three digits followed by SOH', 10)
  const expected = checksumOf(buf, trailerStart)
  if (Number(sumText) !== expected) throw new FixParseError('checksum', `CheckSum (10) is ${sumText}, expected ${formatChecksum(expected)}`, 10)
  return { bodyStart, trailerStart, length: trailerStart + 7, beginString }
}

/**
 * Checks that every field of a checked frame is `<tag>=<value>` (tag: digits, no leading zero)
 * without splitting it into strings; throws FixParseError('garbled') naming the first bad field.
 */
export function checkFieldStructure (buf: Buffer, end = buf.length): void {
  let pos = 0
  while (pos < end) {
    let p = pos
    if (buf[p] < 0x31 || buf[p] > 0x39) throw badField(buf, pos, end)
    while (p < end && buf[p] >= 0x30 && buf[p] <= 0x39) p++
    if (buf[p] !== EQ || p - pos > 7) throw badField(buf, pos, end)
    const next = buf.indexOf(SOH, p)
    pos = next < 0 || next >= end ? end : next + 1
  }
}

function badField (buf: Buffer, pos: number, end: number): FixParseError {
  const stop = buf.indexOf(SOH, pos)
  return new FixParseError('garbled', `field "${buf.toString('latin1', pos, Math.min(stop < 0 ? end : stop, pos + 20))}" is not tag=value`)
}

/** Every tag=value pair of a frame, in order. Throws on a field that is not tag=value. */
export function splitFields (text: string): Array<[number, string]> {
  const out: Array<[number, string]> = []
  let pos = 0
  while (pos < text.length) {
    let end = text.indexOf(SOH_CHAR, pos)
    if (end < 0) end = text.length
    const eq = text.indexOf('=', pos)
    if (eq < 0 || eq > end) throw new FixParseError('garbled', `field "${text.slice(pos, Math.min(end, pos + 20))}" has no =`)
    const tagText = text.slice(pos, eq)
    if (!/^[1-9]\d{0,6}$/.test(tagText)) throw new FixParseError('garbled', `"${tagText.slice(0, 12)}" is not a tag number`)
    out.push([Number(tagText), text.slice(eq + 1, end)])
    pos = end + 1
  }
  return out
}

export interface FrameSplitterOptions {
  /** Frames claiming a larger body are treated as garbage (protects memory). Default 1 MiB. */
  maxBodyLength?: number
  /** Told about bytes that were skipped because they could not start or finish a frame. */
  onGarbled?: (bytes: Buffer, reason: string) => void
}

/**
 * Cuts a TCP byte stream into whole frames by 8=...|9=n|...|10=xxx|. Bytes that cannot begin
 * a frame are skipped up to the next "8=FIX"; a frame whose BodyLength does not land on 10= is
 * reported as garbled and skipped. Checksum is not checked here (the session does it, so it can
 * answer with a Reject).
 */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0)
  private readonly maxBody: number

  constructor (private readonly options: FrameSplitterOptions = {}) {
    this.maxBody = options.maxBodyLength ?? 1024 * 1024
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
      const lenText = buf.toString('latin1', soh1 + 3, soh2)
      if (!/^\d{1,9}$/.test(lenText) || Number(lenText) > this.maxBody) {
        this.skip(`BodyLength (9) "${lenText.slice(0, 12)}" is not acceptable`)
        continue
      }
      const trailerStart = soh2 + 1 + Number(lenText)
      if (buf.length < trailerStart + 7) {
        // Not all here yet: unless another frame already starts inside, which means this one lied.
        const next = buf.indexOf('\x018=FIX', soh2)
        if (next >= 0 && buf.indexOf('\x0110=', soh2) >= 0 && buf.indexOf('\x0110=', soh2) < next) {
          this.skip('BodyLength (9) does not match the message')
          continue
        }
        return frames
      }
      if (buf.toString('latin1', trailerStart, trailerStart + 3) !== '10=' || buf[trailerStart + 6] !== SOH) {
        this.skip('BodyLength (9) does not match the message')
        continue
      }
      frames.push(Buffer.from(buf.subarray(0, trailerStart + 7)))
      this.pending = buf.subarray(trailerStart + 7)
    }
  }

  reset (): void {
    this.pending = Buffer.alloc(0)
  }

  /** Drops the broken frame start and resynchronises on the next "8=FIX". */
  private skip (reason: string): void {
    const buf = this.pending
    const next = buf.indexOf('8=FIX', 1)
    const cut = next < 0 ? buf.length : next
    this.garbled(buf.subarray(0, cut), reason)
    this.pending = buf.subarray(cut)
  }

  private garbled (bytes: Buffer, reason: string): void {
    if (bytes.length > 0) this.options.onGarbled?.(Buffer.from(bytes), reason)
  }
}
