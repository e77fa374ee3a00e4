/**
 * fix_out keeps an outbound message once, in `raw`. The body resend frames again under a new
 * header is the text just before the CheckSum field (core/fix/codec.ts `frame`: header, body,
 * `10=NNN<SOH>`), so a row stores the body's length, not the body a second time: a quarter of a
 * row (an ExecutionReport's: 391 -> 292 bytes), a tenth of its WAL (docs/performance.md, session 36).
 *
 * Invariant: a length is stored only when `raw` ends with exactly this body and a CheckSum field,
 * checked when the row is written; any other record (a caller's own raw text) keeps its body in
 * full, as every row written before migration 33 does. Either way the body read back is, character
 * for character, the one written.
 */

/** `10=NNN<SOH>`: CheckSum is always three digits. */
const CHECKSUM_FIELD = /^10=\d{3}\x01$/
const CHECKSUM_FIELD_LENGTH = 7

/** A fix_out row with neither its body nor its length: nothing can resend it. */
export class JournalBodyMissingError extends Error {
  constructor (readonly seq: number) {
    super(`fix_out row of MsgSeqNum ${seq} has neither a body nor a body length`)
    this.name = 'JournalBodyMissingError'
  }
}

/** What fix_out stores for a record: the body's length when raw holds it, else the body itself. */
export function storedBody (body: string, raw: string): { body: string | null, bodyLength: number | null } {
  const at = raw.length - CHECKSUM_FIELD_LENGTH - body.length
  if (at >= 0 && raw.startsWith(body, at) && CHECKSUM_FIELD.test(raw.slice(at + body.length))) {
    return { body: null, bodyLength: body.length }
  }
  return { body, bodyLength: null }
}

/** The body of a fix_out row, from its column or from its raw text and length. */
export function journaledBody (seq: number, body: string | null, bodyLength: number | null, raw: string): string {
  if (body !== null) return body
  if (bodyLength === null) throw new JournalBodyMissingError(seq)
  const end = raw.length - CHECKSUM_FIELD_LENGTH
  return raw.slice(end - bodyLength, end)
}
