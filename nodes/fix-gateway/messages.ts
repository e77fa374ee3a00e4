import type { NodeMessage } from 'node-red'
import type { ControlCommand, InboundMessage, SendRequest, SendResult } from '../../core/fix-session'
import { rawToBody } from '../../core/fix-session'
import { withPipes } from '../../core/fix'
import type { StreamMeta } from '../../core/stream'
import type { Translate } from '../shared/i18n'

/** The first output's message for an inbound application message: the body, and msg.fix with the frame. */
export function inboundMessage (m: InboundMessage, session: string): NodeMessage {
  return {
    topic: m.msgType,
    payload: m.body,
    fix: {
      msgType: m.msgType,
      seq: m.seq,
      possDup: m.possDup,
      receiveSeq: m.receiveSeq,
      header: m.header,
      raw: withPipes(m.raw),
      session
    }
  } as NodeMessage
}

/**
 * The session command a control topic asks for; undefined for fix:set-sequence without either
 * number (the caller says why). Only for the topics in CONTROL_TOPICS.
 */
export function controlCommand (topic: string, payload: any): ControlCommand | undefined {
  switch (topic) {
    case 'fix:logon': return { command: 'logon' }
    case 'fix:logout':
      return { command: 'logout', text: typeof payload === 'string' && payload !== '' ? payload : undefined }
    case 'fix:reset-sequence': return { command: 'reset-sequence' }
    default: {
      const sender = payload?.nextSenderSeq
      const target = payload?.nextTargetSeq
      if (sender === undefined && target === undefined) return undefined
      return {
        command: 'set-sequence',
        nextSenderSeq: sender === undefined ? undefined : Number(sender),
        nextTargetSeq: target === undefined ? undefined : Number(target)
      }
    }
  }
}

/** A streamer client's row: its client and position make the send's origin (sent once per origin). */
export function originOf (meta: StreamMeta | undefined): SendRequest['origin'] {
  if (meta === undefined || !Array.isArray(meta.position)) return undefined
  return { client: String(meta.client ?? meta.clientId ?? meta.name ?? ''), position: JSON.stringify(meta.position) }
}

/**
 * A raw message's request (a string or Buffer of tag=value, '|' or SOH): PossResend(97)=Y when
 * msg.fix.possResend asks or the text carries 97=Y. Undefined when the payload is not raw.
 */
export function rawRequest (payload: unknown, origin: SendRequest['origin'], possResend: boolean):
SendRequest | undefined {
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return undefined
  const text = Buffer.isBuffer(payload) ? payload.toString('latin1') : payload
  const { msgType, body } = rawToBody(text)
  return { msgType, rawBody: body, origin, possResend: possResend || /(^|[\x01|])97=Y([\x01|]|$)/.test(text) }
}

/** PossResend(97)=Y of an object message: msg.fix.possResend or the object's StandardHeader. */
export function possResendOf (fix: { possResend?: unknown } | undefined, payload: any): boolean {
  const header = payload?.StandardHeader
  return fix?.possResend === true ||
    (header !== null && typeof header === 'object' && (header.PossResend === true || header.PossResend === 'Y'))
}

/** msg.fix after a send: what it had, and the sequence number, sent or a duplicate of one sent before. */
export function sentFix (fix: Record<string, unknown> | undefined, result: SendResult): Record<string, unknown> {
  // Object.assign, not an object spread: on Node.js 20 (V8 11.3) `{ ...fix }` of the translator's
  // msg.fix took about 5 us per message, Object.assign 0.1 (the same on Node.js 22). Only an own
  // "__proto__" key, which assign would make the prototype, is copied by a spread.
  const out: Record<string, unknown> = fix === undefined || fix === null
    ? {}
    : Object.hasOwn(fix, '__proto__') ? { ...fix } : Object.assign({}, fix)
  out.seq = result.seq
  out.sent = result.status === 'sent'
  out.duplicate = result.status === 'duplicate'
  return out
}

/**
 * The send request for a message: a raw FIX text as is, else an object body with its MsgType
 * (msg.fix.msgType or msg.msgType, a name or a code, looked up in the session's dictionary).
 * Throws with the gateway's own text when the message says too little.
 */
export async function requestOf (
  msg: Record<string, any>, msgTypeOf: (nameOrCode: string) => Promise<string | undefined>, t: Translate
): Promise<SendRequest> {
  const origin = originOf(msg.stream as StreamMeta | undefined)
  const p = msg.payload
  const raw = rawRequest(p, origin, msg.fix?.possResend === true)
  if (raw !== undefined) return raw
  const possResend = possResendOf(msg.fix, p)
  if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new Error(t('fix-gateway.errors.payload'))
  const given = msg.fix?.msgType ?? msg.msgType
  if (typeof given !== 'string' || given === '') throw new Error(t('fix-gateway.errors.msgtype'))
  const msgType = await msgTypeOf(given)
  if (msgType === undefined) throw new Error(t('fix-gateway.errors.unknown-msgtype', { msgType: given }))
  return { msgType, body: p, origin, possResend }
}
