import type { ParsedMessage } from './codec-port'
import type { InboundMessage } from './application'
import { parseUtc, Tag } from './fields'
import { headerOf } from './inbound-header'
import type { MessageStore } from './message-store'
import type { HeldMessage } from './session-state'

/**
 * The inbound journal (fix_in): in-sequence application messages are written there together with
 * the next target sequence number, in one commit, before anything is handed to the application.
 * Invariant: a message reaches the application only after it is committed (a crash after the
 * commit loses nothing, one before it has the peer resend it), and the target sequence number
 * moves past a message only in the same commit that stores it.
 */
export class InboundJournal {
  constructor (
    private readonly store: Pick<MessageStore, 'recordReceived'>,
    /** Also keep each message decoded (fix_in.message) for SQL readers. */
    private readonly storeDecoded: boolean
  ) {}

  /**
   * Commits `batch` (consecutive messages from the expected seq on) and the next target seq after
   * its last; resolves with what the application gets, in order.
   */
  async record (batch: HeldMessage[]): Promise<InboundMessage[]> {
    const prepared = batch.map(m => ({
      m,
      h: m.header ?? headerOf(m.fields),
      decoded: this.storeDecoded ? decode(m.parsed) : undefined
    }))
    const last = batch[batch.length - 1].seq
    const receiveSeqs = await this.store.recordReceived(prepared.map(({ m, h, decoded }) => ({
      seq: m.seq,
      msgType: m.msgType,
      senderCompID: h.sender ?? '',
      targetCompID: h.target ?? '',
      clOrdID: m.fields.first(Tag.ClOrdID),
      origClOrdID: m.fields.first(Tag.OrigClOrdID),
      possDup: h.possDup,
      sendingTime: parseUtc(h.sendingTimeText),
      raw: m.raw,
      message: decoded === undefined ? null : jsonText(decoded.body)
    })), last + 1)
    return prepared.map(({ m, h, decoded }, i) => inboundMessage(m, h.possDup, receiveSeqs[i], decoded))
  }
}

/** The decoded body as JSON text for fix_in.message: Dates as ISO text, Buffers as base64, bigints as text. */
function jsonText (v: unknown): string {
  // jsonb holds no NUL, which the decoder makes of a byte 0x80 (ASCII reading): U+FFFD in the
  // decoded copy only (raw stays exact); an escaped backslash before "u0000" is left alone.
  return JSON.stringify(v, (_k, x) => {
    if (x !== null && typeof x === 'object' && x.type === 'Buffer' && Array.isArray(x.data)) {
      return Buffer.from(x.data).toString('base64')
    }
    if (typeof x === 'bigint') return x.toString()
    return x
  }).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd')
}

interface Decoded { body: Record<string, unknown>, header: Record<string, unknown> }

/** The message as objects keyed by field names: body (no header or trailer) and header. */
function decode (parsed: ParsedMessage | undefined): Decoded {
  let obj: Record<string, unknown>
  try {
    obj = parsed?.toObject() ?? {}
  } catch (err) {
    obj = { parseError: (err as Error).message }
  }
  const { StandardHeader, StandardTrailer, ...body } = obj
  return { body, header: (StandardHeader ?? {}) as Record<string, unknown> }
}

/** What the application gets; body and header are decoded on first use when fix_in did not need them. */
function inboundMessage (
  m: HeldMessage,
  possDup: boolean,
  receiveSeq: string,
  decoded: Decoded | undefined
): InboundMessage {
  let d = decoded
  const get = (): Decoded => (d ??= decode(m.parsed))
  return {
    msgType: m.msgType,
    seq: m.seq,
    possDup,
    receiveSeq,
    raw: m.raw,
    get body () { return get().body },
    get header () { return get().header }
  }
}
