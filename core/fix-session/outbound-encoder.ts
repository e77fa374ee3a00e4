import { FixHeader, OutboundValidator, SessionCodec } from './codec-port'
import { body, isAdmin, printable, ROUTING_FIELDS, scanFields, SESSION_TAGS, SOH } from './fields'
import { validateInbound } from './inbound-validation'
import { groupCountProblem, structureProblem } from './message-rules'
import { provenBody, ProvenBody, validatedBody, writtenBody } from '../fix/validation/proof'
import { validateMessage } from '../fix/validation/validate'
import { validateAndWrite } from './validate-and-write'
import type { SessionSettings } from './settings'

/** An outbound application message the session refuses to send (nothing was journaled or written). */
export class OutboundMessageError extends Error {
  constructor (message: string, readonly problems: string[] = []) {
    super(message)
    this.name = 'OutboundMessageError'
  }
}

/** What to encode: an object keyed by field names, or a body already in tag=value form. */
export interface OutboundBody {
  msgType: string
  body?: Record<string, unknown>
  rawBody?: string
}

/**
 * The outbound encoder: application bodies validated and encoded, headers built from the
 * session's settings, frames made. Invariant: a body it returns passes the rules inbound messages
 * are held to (dictionary tags, formats, enums, required fields, group counts, no header tags),
 * so nothing the session would reject from its peer goes on the wire from this side.
 */
export class OutboundEncoder {
  constructor (
    private readonly settings: SessionSettings,
    private readonly codec: SessionCodec,
    private readonly validator?: OutboundValidator
  ) {}

  /** The checked tag=value body of an application message and its fields; throws OutboundMessageError. */
  applicationBody (req: OutboundBody): { text: string, fields: Array<[number, string]> } {
    if (typeof req.msgType !== 'string' || !/^[0-9A-Za-z]{1,4}$/.test(req.msgType)) {
      throw new OutboundMessageError(`invalid MsgType "${String(req.msgType)}"`)
    }
    if (isAdmin(req.msgType)) {
      throw new OutboundMessageError(`MsgType ${req.msgType} is a session message: the session sends those itself`)
    }
    if (req.rawBody === undefined && this.validator === validateAndWrite && req.body !== undefined) {
      const proven = this.proven(req.msgType, req.body)
      if (proven !== undefined) return proven
    }
    if (req.rawBody !== undefined) return { text: req.rawBody, fields: this.check(req.msgType, req.rawBody) }
    const encoded = this.encode(req.msgType, req.body ?? {})
    if (typeof encoded !== 'string') return encoded
    return { text: encoded, fields: this.check(req.msgType, encoded) }
  }

  /**
   * A body the translator validated against this dictionary and that is unchanged since (its proof,
   * core/fix/validation/proof.ts): its validated text and fields, with no second validation. The
   * proof is only taken with the default validator, the check it stands for. Any other body, a
   * changed one, or one with a StandardHeader (routing fields) goes through encode and check.
   */
  private proven (
    msgType: string, obj: Record<string, unknown>
  ): { text: string, fields: Array<[number, string]> } | undefined {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined
    return provenBody(this.codec.definitions, msgType, obj)
  }

  /** The session's header for `seq`; with `possDup`, PossDupFlag=Y and OrigSendingTime. */
  header (seq: number, sendingTime: Date, possDup?: { orig: Date }): FixHeader {
    const s = this.settings
    const h: FixHeader = {
      BeginString: s.beginString,
      SenderCompID: s.senderCompID,
      TargetCompID: s.targetCompID,
      MsgSeqNum: seq,
      SendingTime: sendingTime
    }
    if (s.senderSubID !== undefined && s.senderSubID !== '') h.SenderSubID = s.senderSubID
    if (s.targetSubID !== undefined && s.targetSubID !== '') h.TargetSubID = s.targetSubID
    if (s.senderLocationID !== undefined && s.senderLocationID !== '') h.SenderLocationID = s.senderLocationID
    if (s.targetLocationID !== undefined && s.targetLocationID !== '') h.TargetLocationID = s.targetLocationID
    if (possDup !== undefined) {
      h.PossDupFlag = true
      h.OrigSendingTime = possDup.orig
    }
    return h
  }

  /** A whole frame (BodyLength, CheckSum) of `text` under the session's header. */
  frame (msgType: string, header: FixHeader, text: string): Buffer {
    return this.codec.frame(msgType, header, text)
  }

  /**
   * The body validated and written; with the default validator and no routing fields, also its
   * fields when the proof's strict walk (validatedBody) writes the same text: the check the proof
   * stands for has then just run here, so check() is not run a second time, exactly as for a body
   * the translator proved. Otherwise the text alone, which check() then decides on.
   */
  private encode (msgType: string, obj: Record<string, unknown>): string | ProvenBody {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new OutboundMessageError('the message body must be an object')
    }
    const written = this.written(msgType, obj)
    if (written !== undefined) return written
    const { StandardHeader, StandardTrailer, ...rest } = obj as Record<string, unknown>
    let toEncode: Record<string, unknown> = rest
    let encoded: string | undefined
    if (this.validator !== undefined) {
      const check = this.validator(this.codec.definitions, msgType, rest)
      if (!check.ok) {
        const problems = check.problems.map(p =>
          typeof p === 'string'
            ? p
            : `${p.path ?? p.field ?? ''}${p.tag !== undefined ? ` (${p.tag})` : ''}: ${p.problem}`
        )
        throw new OutboundMessageError(`invalid ${msgType}: ${problems.join('; ')}`, problems)
      }
      if (check.body !== undefined) toEncode = check.body
      encoded = check.encoded
    }
    let text: string
    try {
      text = encoded ?? this.codec.encodeBody(msgType, toEncode)
    } catch (err) {
      throw new OutboundMessageError(`cannot encode ${msgType}: ${(err as Error).message}`)
    }
    if (text === '' || !text.endsWith(SOH)) throw new OutboundMessageError(`cannot encode ${msgType}: empty body`)
    const routing = routingOf(StandardHeader)
    if (routing.length === 0 && this.validator === validateAndWrite && encoded !== undefined) {
      const proven = validatedBody(this.codec.definitions, msgType, toEncode, encoded)
      if (proven !== undefined) return proven
    }
    return body(routing) + text
  }

  /**
   * What encode() gives for a valid body with no StandardHeader or StandardTrailer under the default
   * validator, in one walk after the validation instead of three (writeBody, the strict walk of
   * validatedBody over its text, and the copies between them: about 3 µs of a counterparty's 6.6 µs
   * per ExecutionReport, docs/performance.md, 4 December 2026, session 18); undefined for anything
   * else (a refused body, routing fields, a value the strict walk refuses, another validator), which
   * then takes encode()'s full path. Invariant: a result is the one the full path gives: the same
   * validateMessage, and writtenBody is validatedBody of writeBody's text (proof.ts).
   */
  private written (msgType: string, obj: Record<string, unknown>): ProvenBody | undefined {
    // null and undefined are what the full path leaves out too (the object rest drops the keys,
    // routingOf finds no routing fields, and validateMessage skips such values).
    if (this.validator !== validateAndWrite || obj.StandardHeader != null || obj.StandardTrailer != null) {
      return undefined
    }
    const check = validateMessage(this.codec.definitions, msgType, obj)
    return check.ok ? writtenBody(this.codec.definitions, msgType, check.body) : undefined
  }

  /**
   * The encoded body checked with the inbound rules: catches what jspurefix's encoder gets wrong
   * silently (a number in a string field swallowing a delimiter, SOH inside a value) and bad raw input.
   */
  private check (msgType: string, text: string): Array<[number, string]> {
    const fields = scanFields(text)
    if (fields === undefined) throw new OutboundMessageError(`${msgType}: the encoded body is not tag=value text`)
    // jspurefix writes a number given for a string field without the delimiter after it, so the
    // next field ends up inside the value ("11=21=1"): a value that starts like a field is refused.
    const swallowed = fields.find(([, v]) => /^\d{1,6}=/.test(v))
    if (swallowed !== undefined) {
      throw new OutboundMessageError(`invalid ${msgType}: the value of ` +
      `tag ${swallowed[0]} contains a field ("${printable(swallowed[1], 30)}"): a number given for a text field?`)
    }
    const header = fields.find(([t]) => SESSION_TAGS.has(t))
    if (header !== undefined) {
      throw new OutboundMessageError(
        `${msgType}: tag ${header[0]} belongs to the session header and cannot be in the body`
      )
    }
    const problem =
      validateInbound(this.codec.definitions, msgType, fields) ??
      structureProblem(fields) ??
      groupCountProblem(this.codec.definitions, msgType, fields)
    if (problem !== undefined) throw new OutboundMessageError(`invalid ${msgType}: ${problem.text}`, [problem.text])
    return fields
  }
}

/** Routing header fields a user may set in the body's StandardHeader (the rest of a header is the session's own). */
function routingOf (StandardHeader: unknown): Array<[number, string]> {
  const routing: Array<[number, string]> = []
  if (StandardHeader !== null && typeof StandardHeader === 'object') {
    for (const [name, tag] of Object.entries(ROUTING_FIELDS)) {
      const v = (StandardHeader as Record<string, unknown>)[name]
      if (typeof v === 'string' && /^[\x20-\x7e]+$/.test(v)) routing.push([tag, v])
    }
  }
  return routing
}
