import { isAdmin, Tag } from './fields'
import type { ParsedMessage, SessionCodec } from './codec-port'
import { validateInbound } from './inbound-validation'
import { groupCountProblem, structureProblem } from './message-rules'
import { checkHeader, headerOf } from './inbound-header'
import type { SessionState } from './session-state'
import type { JournalEntry } from './inbound-journal'
import type { SessionLog } from './session-log'
import type { normalizeSettings } from './settings'

/** What the plain-message check reads of its session. */
export interface PlainHost {
  readonly state: SessionState
  readonly settings: ReturnType<typeof normalizeSettings>
  readonly codec: SessionCodec
  readonly log: SessionLog
  now: () => Date
  /** Whether the application takes this MsgType. */
  receives: (msgType: string) => boolean
}

/** Logged on, nothing held and no resend open: the state in which plain messages may be taken. */
export function plainPossible (st: SessionState): boolean {
  return st.phase === 'logged-on' && st.held.size === 0 && st.resend === undefined
}

/**
 * The frame as a message ready to commit when it is the simple case: logged on, nothing held
 * or being resent, an application message with exactly the next seq (after `pending` ones
 * waiting for the same commit), no PossDup, and every check passed. Undefined sends it down the
 * full path. Invariant: it reads the state of the inbound side only (phase, held, resend, target
 * seq) and changes nothing but the receive time, the TestRequest wait and the log, so it may run
 * while an outbound commit is in flight (serial-queue.ts, the inbound lane).
 */
export function plainNext (s: PlainHost, frame: Buffer, pending: number, at: number): JournalEntry | undefined {
  const st = s.state
  if (!plainPossible(st)) return undefined
  let parsed: ParsedMessage
  try {
    parsed = s.codec.parse(frame)
  } catch {
    return undefined
  }
  const fields = parsed.fields
  const h = headerOf(fields)
  const settings = s.settings
  if (h.beginString !== settings.beginString || h.msgType === undefined || isAdmin(h.msgType) || h.possDup) {
    return undefined
  }
  if (h.seq !== st.nextTargetSeq + pending) return undefined
  if (h.sender !== settings.targetCompID || h.target !== settings.senderCompID) return undefined
  if (checkHeader(h, s.now(), settings.maxClockSkewMs) !== undefined) return undefined
  if (structureProblem(fields) !== undefined) return undefined
  if (
    settings.validateInbound &&
    (validateInbound(s.codec.definitions, h.msgType, fields) !== undefined ||
      groupCountProblem(s.codec.definitions, h.msgType, fields) !== undefined)
  ) { return undefined }
  if (!s.receives(h.msgType)) return undefined
  st.lastReceivedAt = at
  st.testRequest = undefined
  s.log.incoming(parsed.raw)
  // Only the text, header and ids wait for the commit (JournalEntry in inbound-journal.ts).
  return {
    seq: h.seq,
    msgType: h.msgType,
    raw: parsed.raw,
    header: h,
    clOrdID: fields.first(Tag.ClOrdID),
    origClOrdID: fields.first(Tag.OrigClOrdID)
  }
}
