import type { FieldList } from '../fix/field-list'
import { parseUtc, Tag } from './fields'
import type { InboundProblem } from './inbound-validation'
import { RejectReason } from './inbound-validation'

/** The standard header fields the session reads of every inbound message (the first of each tag). */
export interface Header {
  beginString?: string
  msgType?: string
  seqText?: string
  seq?: number
  sender?: string
  target?: string
  sendingTimeText?: string
  possDup: boolean
  origSendingTime?: string
}

// The header tags as plain constants: a `case Tag.X` would read the Tag object for every field of every message.
const BEGIN_STRING = Tag.BeginString
const MSG_TYPE = Tag.MsgType
const MSG_SEQ_NUM = Tag.MsgSeqNum
const SENDER = Tag.SenderCompID
const TARGET = Tag.TargetCompID
const SENDING_TIME = Tag.SendingTime
const POSS_DUP = Tag.PossDupFlag
const ORIG_SENDING_TIME = Tag.OrigSendingTime
const SEQ_NUM = /^[1-9]\d{0,15}$/

/**
 * The header of a message's fields; a MsgSeqNum that is not a positive integer leaves `seq` undefined.
 * The first of each tag counts: a field already set is not overwritten (no Set of seen tags, so the
 * only allocation is the result; this runs for every inbound message).
 */
export function headerOf (fields: FieldList): Header {
  const h: Header = { possDup: false }
  let possDupSeen = false
  const { tags, values } = fields
  for (let i = 0; i < tags.length; i++) {
    const v = values[i]
    switch (tags[i]) {
      case BEGIN_STRING: if (h.beginString === undefined) h.beginString = v; break
      case MSG_TYPE: if (h.msgType === undefined) h.msgType = v; break
      case MSG_SEQ_NUM:
        if (h.seqText === undefined) {
          h.seqText = v
          h.seq = SEQ_NUM.test(v) ? Number(v) : undefined
        }
        break
      case SENDER: if (h.sender === undefined) h.sender = v; break
      case TARGET: if (h.target === undefined) h.target = v; break
      case SENDING_TIME: if (h.sendingTimeText === undefined) h.sendingTimeText = v; break
      case POSS_DUP:
        if (!possDupSeen) {
          possDupSeen = true
          h.possDup = v === 'Y'
        }
        break
      case ORIG_SENDING_TIME: if (h.origSendingTime === undefined) h.origSendingTime = v; break
    }
  }
  return h
}

/**
 * The header problems that make a message a session Reject: MsgSeqNum, CompIDs and SendingTime
 * missing or malformed, and SendingTime (or a PossDup's OrigSendingTime) too far from `now`.
 * Both SendingTime accuracy problems end the session (Reject, then Logout), as QuickFIX does.
 */
export function checkHeader (h: Header, now: Date, maxClockSkewMs: number): InboundProblem | undefined {
  if (h.seqText === undefined) return missing(Tag.MsgSeqNum, 'MsgSeqNum')
  if (h.seq === undefined) return badFormat(Tag.MsgSeqNum, 'MsgSeqNum')
  if (h.sender === undefined) return missing(Tag.SenderCompID, 'SenderCompID')
  if (h.target === undefined) return missing(Tag.TargetCompID, 'TargetCompID')
  if (h.sendingTimeText === undefined) return missing(Tag.SendingTime, 'SendingTime')
  const sent = parseUtc(h.sendingTimeText)
  if (sent === undefined) return badFormat(Tag.SendingTime, 'SendingTime')
  // Both SendingTime problems end the session (Reject, then Logout), as QuickFIX does.
  if (Math.abs(sent.getTime() - now.getTime()) > maxClockSkewMs) {
    return { reason: RejectReason.SendingTimeAccuracyProblem, text: 'SendingTime accuracy problem' }
  }
  if (h.origSendingTime !== undefined) {
    const orig = parseUtc(h.origSendingTime)
    if (orig === undefined) return badFormat(Tag.OrigSendingTime, 'OrigSendingTime')
    if (h.possDup && orig.getTime() > sent.getTime()) {
      return {
        reason: RejectReason.SendingTimeAccuracyProblem,
        text: 'SendingTime accuracy problem (OrigSendingTime later than SendingTime)'
      }
    }
  }
  return undefined
}

/** Reject 373=1 for a header field that is not there. */
function missing (tag: number, name: string): InboundProblem {
  return { reason: RejectReason.RequiredTagMissing, refTag: tag, text: `Required tag missing (${tag} ${name})` }
}

/** Reject 373=6 for a header field whose value is not of its type. */
function badFormat (tag: number, name: string): InboundProblem {
  const text = `Incorrect data format for value (${tag} ${name})`
  return { reason: RejectReason.IncorrectDataFormat, refTag: tag, text }
}
