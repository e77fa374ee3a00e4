import type { ParsedMessage } from './codec-port'
import type { InboundMessage } from './application'
import { parseUtc, Tag } from './fields'
import { headerOf } from './inbound-header'
import type { MessageStore } from './message-store'
import type { Header } from './inbound-header'
import type { FieldList } from '../fix/field-list'

/**
 * A message to commit: a HeldMessage of the full path (its fields and parse kept), or one the fast
 * path checked, which keeps only its text, header and ids. Its fields are not held until the
 * commit: at 1,000 round trips a second they outlived two scavenges and were promoted
 * (docs/performance.md, 4 December 2026, session 16); its body is parsed again from `raw` if
 * fix_in.message or the application asks for it.
 */
export interface JournalEntry {
  seq: number
  msgType: string
  raw: string
  header?: Header
  fields?: FieldList
  parsed?: ParsedMessage
  /** When there are no `fields`: ClOrdID (11) and OrigClOrdID (41), read by the checks. */
  clOrdID?: string
  origClOrdID?: string
}

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
    private readonly storeDecoded: boolean,
    /** Parses a message's text again for a JournalEntry without `parsed`. */
    private readonly parse: (raw: string) => ParsedMessage
  ) {}

  /**
   * Commits `batch` (consecutive messages from the expected seq on) and the next target seq after
   * its last; resolves with what the application gets, in order.
   */
  async record (batch: JournalEntry[]): Promise<InboundMessage[]> {
    const prepared = batch.map(m => ({
      m,
      h: m.header ?? headerOf(m.fields ?? this.parse(m.raw).fields),
      decoded: this.storeDecoded ? decode(m.parsed ?? this.parse(m.raw)) : undefined
    }))
    const last = batch[batch.length - 1].seq
    const receiveSeqs = await this.store.recordReceived(prepared.map(({ m, h, decoded }) => ({
      seq: m.seq,
      msgType: m.msgType,
      senderCompID: h.sender ?? '',
      targetCompID: h.target ?? '',
      clOrdID: m.fields !== undefined ? m.fields.first(Tag.ClOrdID) : m.clOrdID,
      origClOrdID: m.fields !== undefined ? m.fields.first(Tag.OrigClOrdID) : m.origClOrdID,
      possDup: h.possDup,
      sendingTime: parseUtc(h.sendingTimeText),
      raw: m.raw,
      message: decoded === undefined ? null : jsonText(decoded.body)
    })), last + 1)
    return prepared.map(({ m, h, decoded }, i) => inboundMessage(m, h.possDup, receiveSeqs[i], decoded, this.parse))
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

/**
 * What the application gets: one object per message, its body and header decoded on first read by
 * getters on the prototype. An object literal with two getters over a closure made five objects per
 * message (the literal, its context, the closure, two accessor functions) and kept the whole
 * JournalEntry (its header, ids) for the closure: about 0.6 KB a round trip that outlived a scavenge
 * at 1,000 round trips a second (docs/performance.md, 4 December 2026, session 17).
 */
class JournaledMessage implements InboundMessage {
  #decoded: Decoded | undefined
  /** The full path's parse, if any: the body is decoded from it rather than from `raw` again. */
  readonly #parsed: ParsedMessage | undefined
  readonly #parse: (raw: string) => ParsedMessage

  constructor (
    readonly msgType: string,
    readonly seq: number,
    readonly possDup: boolean,
    readonly receiveSeq: string,
    readonly raw: string,
    decoded: Decoded | undefined,
    parsed: ParsedMessage | undefined,
    parse: (raw: string) => ParsedMessage
  ) {
    this.#decoded = decoded
    this.#parsed = parsed
    this.#parse = parse
  }

  get body (): Record<string, unknown> { return this.#decode().body }
  get header (): Record<string, unknown> { return this.#decode().header }

  #decode (): Decoded {
    return (this.#decoded ??= decode(this.#parsed ?? this.#parse(this.raw)))
  }
}

function inboundMessage (
  m: JournalEntry,
  possDup: boolean,
  receiveSeq: string,
  decoded: Decoded | undefined,
  parse: (raw: string) => ParsedMessage
): InboundMessage {
  return new JournaledMessage(m.msgType, m.seq, possDup, receiveSeq, m.raw, decoded, m.parsed, parse)
}
