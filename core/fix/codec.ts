import {
  AsciiEncoder,
  AsciiParser,
  AsciiParserState,
  AsciiSegmentParser,
  ElasticBuffer,
  FixDefinitions,
  IJsFixConfig,
  MsgView
} from './jspurefix'
import { loadDictionary } from './dictionaries'
import { checkFrame, checksumOf, FixParseError, formatChecksum, frameFields, SOH, SOH_CHAR } from './framing'
import { FieldDecoder, MessageParts } from './decode'
import { FieldList } from './field-list'
import { fullFractions } from './short-fractions'
import { formatUtcTimestamp } from './utc'

export { FixParseError, FrameSplitter, SOH, SOH_CHAR } from './framing'
export { FieldList } from './field-list'

/** Header fields the session sets on each message; the body never carries them. */
export interface FixHeader {
  BeginString: string
  SenderCompID: string
  TargetCompID: string
  MsgSeqNum: number
  SendingTime: Date
  SenderSubID?: string
  TargetSubID?: string
  SenderLocationID?: string
  TargetLocationID?: string
  PossDupFlag?: boolean
  PossResend?: boolean
  OrigSendingTime?: Date
  /** Any further header fields (e.g. OnBehalfOfCompID 115) as [tag, value] pairs. */
  extra?: Array<[number, string]>
}

export class FixEncodeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'FixEncodeError'
  }
}

export interface ParsedFixMessage {
  msgType: string
  beginString: string
  /** The message as received, SOH-delimited. */
  raw: string
  /** Every tag=value in order, header and trailer included (parallel tag and value arrays). */
  fields: FieldList
  /** First value of a tag. */
  get: (tag: number) => string | undefined
  /** Typed object keyed by field names (header under StandardHeader), groups as arrays. */
  toObject: () => Record<string, unknown>
  /** The same object's header (StandardHeader) and the rest without header and trailer. */
  toParts: () => MessageParts
}

export { formatUtcTimestamp }

/**
 * Encoding and parsing of tag=value FIX messages for one dictionary, on jspurefix's encoder and
 * parser. The header and trailer are written here, byte-exact, so the session layer controls
 * MsgSeqNum, PossDupFlag and OrigSendingTime; the body is jspurefix's. It does not validate:
 * callers validate first (core/fix validation) so nothing invalid is encoded.
 */
export class FixCodec {
  private readonly encoder: AsciiEncoder
  private readonly encodeBuffer: ElasticBuffer
  /** jspurefix's parser, made at the first message the fast decode does not read (its buffers are 0.5 MB). */
  private jspurefixParser: AsciiParser | undefined
  private readonly decoder = new FieldDecoder()
  private stampMs = NaN
  private stampText = ''

  private constructor (readonly dictionaryRef: string, readonly definitions: FixDefinitions) {
    this.encodeBuffer = new ElasticBuffer(64 * 1024)
    // SOH as both delimiters: the buffer then holds wire bytes directly.
    this.encoder = new AsciiEncoder(this.encodeBuffer, definitions, undefined, SOH, SOH)
  }

  private get parser (): AsciiParser {
    this.jspurefixParser ??= makeParser(this.definitions)
    return this.jspurefixParser
  }

  /** A codec for a dictionary id ('FIX.4.4') or absolute QuickFIX XML path; definitions are shared. */
  static async create (dictionaryRef: string): Promise<FixCodec> {
    return new FixCodec(dictionaryRef, await loadDictionary(dictionaryRef))
  }

  /** The body as SOH-delimited tag=value text (ends with SOH), from an object keyed by field names. */
  encodeBody (msgType: string, body: object): string {
    const def = this.definitions.message.get(msgType)
    if (def === undefined) throw new FixEncodeError(`message type "${msgType}" is not in the dictionary`)
    this.encoder.reset()
    try {
      this.encoder.encodeSet(body as Record<string, unknown>, def)
    } catch (err) {
      this.encoder.reset()
      throw new FixEncodeError(`${def.name} (${def.msgType}) cannot be encoded: ${(err as Error).message}`)
    }
    // latin1, not jspurefix's 'ascii' toString: raw data (EncodedText as UTF-8) keeps its high bytes.
    return this.encodeBuffer.slice().toString('latin1')
  }

  /** A complete message: 8, 9 (exact, unpadded), 35, header, body, 10. */
  frame (msgType: string, header: FixHeader, body: string): Buffer {
    // Concatenated, not joined from an array of template strings: a batch frames each of its
    // messages here, and the array and its pieces were most of this function's allocation.
    let rest = '35=' + msgType + SOH_CHAR + '49=' + header.SenderCompID + SOH_CHAR +
      '56=' + header.TargetCompID + SOH_CHAR + '34=' + String(header.MsgSeqNum) + SOH_CHAR
    if (header.SenderSubID !== undefined && header.SenderSubID !== '') rest += '50=' + header.SenderSubID + SOH_CHAR
    if (header.SenderLocationID !== undefined && header.SenderLocationID !== '') {
      rest += '142=' + header.SenderLocationID + SOH_CHAR
    }
    if (header.TargetSubID !== undefined && header.TargetSubID !== '') rest += '57=' + header.TargetSubID + SOH_CHAR
    if (header.TargetLocationID !== undefined && header.TargetLocationID !== '') {
      rest += '143=' + header.TargetLocationID + SOH_CHAR
    }
    if (header.PossDupFlag === true) rest += '43=Y' + SOH_CHAR
    if (header.PossResend === true) rest += '97=Y' + SOH_CHAR
    rest += '52=' + this.stamp(header.SendingTime) + SOH_CHAR
    if (header.OrigSendingTime !== undefined) rest += '122=' + formatUtcTimestamp(header.OrigSendingTime) + SOH_CHAR
    for (const [tag, value] of header.extra ?? []) rest += `${tag}=${value}` + SOH_CHAR
    rest += body
    // One buffer, written once: latin1 is a byte per character, so the text's length is BodyLength.
    const head = '8=' + header.BeginString + SOH_CHAR + '9=' + String(rest.length) + SOH_CHAR
    const end = head.length + rest.length
    const frame = Buffer.allocUnsafe(end + 7)
    frame.write(head, 0, 'latin1')
    frame.write(rest, head.length, 'latin1')
    frame.write('10=' + formatChecksum(checksumOf(frame, end)) + SOH_CHAR, end, 'latin1')
    return frame
  }

  /**
   * SendingTime's text: a batch's messages share one time, so the last one is kept (by its
   * milliseconds, which are all the text shows; an invalid date is formatted each time).
   */
  private stamp (t: Date): string {
    const ms = t.getTime()
    if (ms !== this.stampMs) {
      this.stampText = formatUtcTimestamp(t)
      this.stampMs = ms
    }
    return this.stampText
  }

  /**
   * A checked frame decoded by jspurefix's own parser and view: the reference the fast decode
   * (decode.ts) is held to, and what toObject() falls back on.
   */
  jspurefixObject (frame: Buffer): Record<string, unknown> {
    const p = this.parse(frame)
    return viewOf(this.parser, Buffer.from(p.raw, 'latin1'), p.msgType)
  }

  encode (msgType: string, header: FixHeader, body: object): Buffer {
    return this.frame(msgType, header, this.encodeBody(msgType, body))
  }

  /**
   * Parses one complete message, SOH- or '|'-delimited. Checks the frame (BeginString first,
   * BodyLength, CheckSum) and throws FixParseError with the reason and tag otherwise.
   */
  parse (input: Buffer | string): ParsedFixMessage {
    let buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input
    // Log-style input: '|' for SOH (only when the text has no SOH at all).
    if (!buf.includes(SOH) && buf.includes(0x7c)) {
      buf = Buffer.from(buf.toString('latin1').replace(/\|/g, SOH_CHAR), 'latin1')
    }
    const layout = checkFrame(buf)
    if (layout.length !== buf.length && buf.subarray(layout.length).some(b => b !== 0x0a && b !== 0x0d && b !== 0x20)) {
      throw new FixParseError('garbled', 'extra bytes after CheckSum (10)', 10)
    }
    const frame = layout.length === buf.length ? buf : buf.subarray(0, layout.length)
    const raw = frame.toString('latin1')
    // One pass over the bytes: every check, the header read, the journal and the decode reuse these fields.
    const fields = frameFields(frame, raw, frame.length, layout.sohCount)
    // MsgType is the third field (checkFrame made sure).
    return new ParsedFrame(this, frame, raw, fields, fields.values[2], layout.beginString)
  }

  /** objectOf's object as its header and the rest without header and trailer. */
  partsOf (frame: Buffer, msgType: string, fields: FieldList): MessageParts {
    const padded = this.withFullFractions(fields)
    if (padded !== undefined) return asSent(this.partsOf(padded.frame, msgType, padded.fields), fields)
    const def = this.definitions.message.get(msgType)
    const fast = def !== undefined ? this.decoder.decodeParts(def, frame, fields) : undefined
    if (fast !== undefined) return fast
    const obj = viewOf(this.parser, frame, msgType)
    // The body copied without the header and trailer, not `delete`d from the decoded object: a
    // delete turns an object into a hash table (an ExecutionReport's payload then keeps about
    // 1.1 KB instead of 0.4 while it waits in a flow, and every read of it is a lookup).
    const body: Record<string, unknown> = {}
    for (const key in obj) if (key !== 'StandardHeader' && key !== 'StandardTrailer') body[key] = obj[key]
    return { header: obj.StandardHeader as Record<string, unknown> | undefined, body }
  }

  /** The object of a parsed frame: the fast decode, or jspurefix's parser where it steps aside. */
  objectOf (frame: Buffer, msgType: string, fields: FieldList): Record<string, unknown> {
    const padded = this.withFullFractions(fields)
    if (padded !== undefined) {
      const obj = this.objectOf(padded.frame, msgType, padded.fields)
      asSent({ header: obj.StandardHeader as Record<string, unknown> | undefined, body: obj }, fields)
      return obj
    }
    const def = this.definitions.message.get(msgType)
    const fast = def !== undefined ? this.decoder.decode(def, frame, fields) : undefined
    return fast ?? viewOf(this.parser, frame, msgType)
  }

  /** The frame again with a time's one- or two-digit fraction made three (short-fractions.ts); undefined if none. */
  private withFullFractions (list: FieldList): { frame: Buffer, fields: FieldList } | undefined {
    const again = fullFractions(list, this.definitions)
    if (again === undefined) return undefined
    const fields = frameFields(again, again.toString('latin1'), again.length, checkFrame(again).sohCount)
    return { frame: again, fields }
  }
}

/**
 * A parsed message. A class, not an object literal with two closures: it is held from the parse
 * until the journal commit, and each closure with its context was about 150 bytes more to promote.
 */
class ParsedFrame implements ParsedFixMessage {
  constructor (
    private readonly codec: FixCodec,
    private readonly frame: Buffer,
    readonly raw: string,
    readonly fields: FieldList,
    readonly msgType: string,
    readonly beginString: string
  ) {}

  get (tag: number): string | undefined {
    return this.fields.first(tag)
  }

  toObject (): Record<string, unknown> {
    return this.codec.objectOf(this.frame, this.msgType, this.fields)
  }

  toParts (): MessageParts {
    return this.codec.partsOf(this.frame, this.msgType, this.fields)
  }
}

/**
 * A decode of the frame made again with full fractions: its BodyLength and CheckSum as the frame
 * came (what the decode of the original would have said), not the padded frame's.
 */
function asSent (parts: MessageParts, fields: FieldList): MessageParts {
  const { header, body } = parts
  if (header !== undefined && header.BodyLength !== undefined) header.BodyLength = Number(fields.values[1])
  const trailer = body.StandardTrailer as Record<string, unknown> | undefined
  if (trailer !== undefined && trailer.CheckSum !== undefined) trailer.CheckSum = fields.values[fields.length - 1]
  return parts
}

function viewOf (parser: AsciiParser, frame: Buffer, msgType: string): Record<string, unknown> {
  let result: Record<string, unknown> | undefined
  const onMsg = (_t: string, view: MsgView): void => { result = view.toObject() as Record<string, unknown> }
  parser.reset()
  parser.on('msg', onMsg)
  try {
    parser.parseBuffer(frame)
  } finally {
    parser.removeListener('msg', onMsg)
  }
  if (result === undefined) throw new FixParseError('garbled', `message ${msgType} could not be decoded`)
  return result
}

/** The parse buffer jspurefix's session container gives its parser (runtime/session-container.js). */
const PARSE_BUFFER_BYTES = 160 * 1024
const PIPE = 0x7c

/**
 * jspurefix's parser, built as its session container builds it (a segment parser over the
 * definitions, a parser state on the parse buffer the parser writes into: the same instance) but
 * without the container, whose module loads all of jspurefix (transports, the generated types of
 * every FIX version). The parser asks its config's container for those two classes only.
 */
function makeParser (definitions: FixDefinitions): AsciiParser {
  const buffer = new ElasticBuffer(PARSE_BUFFER_BYTES)
  const sessionContainer = {
    resolve (token: unknown): unknown {
      if (token === AsciiSegmentParser) return new AsciiSegmentParser(definitions)
      if (token === AsciiParserState) return new AsciiParserState(buffer)
      throw new Error(`jspurefix's parser asked for ${String((token as { name?: string })?.name ?? token)}`)
    }
  }
  const config = { definitions, delimiter: SOH, logDelimiter: PIPE, sessionContainer } as unknown as IJsFixConfig
  return new AsciiParser(config, null, buffer)
}
