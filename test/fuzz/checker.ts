/**
 * The fuzz run's oracle for what the engine sends: every frame well formed (FrameReader checks
 * BodyLength and CheckSum; here 8, 9, 35 first, the standard header before the body, 10 last, the
 * engine's CompIDs, a SendingTime near the clock), only MsgTypes the situation allows (a Logon
 * only in answer to one, nothing but Logon or Logout before the Logon answer), Rejects with a
 * RefSeqNum and a SessionRejectReason the version defines, and the engine's MsgSeqNum continuous
 * across the whole run: each new message exactly the next number, resent ones (43=Y) below it, a
 * Logon with 141=Y starting over at 1, and a gap found at logon filled by the ResendRequest
 * answer. The engine's store is durable, so the numbers carry over from one connection to the next,
 * with one exception: a Logon with 141=Y the fuzzer wrote may have reached the engine and reset both
 * sequences while its 141=Y answer was lost with the connection (the fuzzer pulled it, or the
 * engine read the Logon after the fuzzer's FIN and could no longer write). The engine then numbers
 * from 1 on the next connection, as QuickFIX does: its store was reset when the Logon was read
 * (what it wrote after the reset and lost is a gap from 1, resent when asked).
 */
import { Field, fieldsOf, parseUtcText, show } from '../conformance/wire'

const HEADER = new Set([34, 35, 43, 49, 50, 52, 56, 57, 97, 115, 116, 122, 128, 129, 142, 143, 144, 145, 1128, 1129])
const ECHOED = new Set(['D', 'd', 'B'])
const ADMIN = new Set(['0', '1', '2', '3', '4', '5', 'A', 'j'])
const CLOCK_MS = 30_000

export interface CheckerOptions {
  beginString: string
  engineCompID: string
  fuzzerCompID: string
  /** Largest SessionRejectReason (373) the version defines, 99 aside. */
  maxRejectReason: number
}

/** What the fuzzer must do about a frame, beyond the checks. */
export interface Checked {
  fields: Field[]
  msgType: string
  seq: number
  possDup: boolean
}

export class AnswerChecker {
  readonly problems: string[] = []
  /** The engine's next new MsgSeqNum, once known. */
  private nextIn: number | undefined
  private awaitingLogonAnswer = true
  private logonSent = false
  /** A Logon with 141=Y was written and no 141=Y answer seen: the engine may have reset unheard. */
  private resetUnanswered = false
  private gap: { next: number, to: number } | undefined
  gapsFound = 0
  gapsFilled = 0
  /** Connections whose first answer showed the engine had taken an unanswered Logon with 141=Y. */
  unansweredResets = 0

  constructor (private readonly o: CheckerOptions) {}

  /** The engine's next new MsgSeqNum as far as seen (1 before anything was). */
  get engineNext (): number {
    return this.nextIn ?? 1
  }

  /** A new connection: the next frame must be the Logon answer (or a Logout). */
  newConnection (): void {
    this.awaitingLogonAnswer = true
    this.logonSent = false
  }

  /** The fuzzer wrote these bytes, a Logon (35=A) or what may have become one; with 141=Y, a reset. */
  logonWritten (bytes: Buffer): void {
    this.logonSent = true
    if (bytes.includes('\x01141=Y\x01')) this.resetUnanswered = true
  }

  /** The engine's messages found missing and not yet resent, if any. */
  openGap (): { from: number, to: number } | undefined {
    return this.gap === undefined ? undefined : { from: this.gap.next, to: this.gap.to }
  }

  check (frame: Buffer): Checked | undefined {
    const fail = (text: string): undefined => {
      this.problems.push(`${text}: ${show(frame).slice(0, 300)}`)
      return undefined
    }
    // SOH only: wire.ts's fieldsOf also splits on '|', which may be text (a Reject quoting bytes).
    const fields = fieldsOf(frame.toString('latin1').replace(/\|/g, '\x7f'))
      .map(([t, v]): Field => [t, v.replace(/\x7f/g, '|')])
    const tags = fields.map(([t]) => t)
    if (tags[0] !== 8 || tags[1] !== 9 || tags[2] !== 35) return fail('8, 9, 35 are not the first three fields')
    if (fields[0][1] !== this.o.beginString) return fail('wrong BeginString')
    if (tags[tags.length - 1] !== 10 || tags.indexOf(10) !== tags.length - 1) return fail('10 is not the last field')
    if (tags.some(t => Number.isNaN(t))) return fail('a field that is not tag=value')
    const firstBody = tags.findIndex((t, i) => i > 2 && !HEADER.has(t))
    const late = firstBody > 0 && tags.slice(firstBody, -1).some(t => HEADER.has(t))
    if (late) return fail('a header field after the body')
    const get = (tag: number): string | undefined => fields.find(([t]) => t === tag)?.[1]
    if (get(49) !== this.o.engineCompID || get(56) !== this.o.fuzzerCompID) return fail('wrong CompIDs')
    const sent = parseUtcText(get(52) ?? '')
    if (sent === undefined || Math.abs(sent.getTime() - Date.now()) > CLOCK_MS) return fail('SendingTime missing/off')
    const seq = Number(get(34))
    if (!Number.isSafeInteger(seq) || seq < 1) return fail('MsgSeqNum missing or not positive')
    const msgType = fields[2][1]
    const possDup = get(43) === 'Y'
    const reset = msgType === 'A' && get(141) === 'Y'

    if (!ADMIN.has(msgType) && !ECHOED.has(msgType)) return fail(`MsgType ${msgType} is not a legal answer`)
    if (this.awaitingLogonAnswer && msgType !== 'A' && msgType !== '5') return fail('the first answer is no Logon')
    if (msgType === 'A') {
      if (!this.awaitingLogonAnswer && !reset) return fail('a Logon that answers no Logon')
      if (!this.logonSent) return fail('a Logon before the counterparty sent one')
      this.logonSent = false
    }
    if (msgType === '3') {
      const reason = get(373)
      if (!/^\d+$/.test(get(45) ?? '')) return fail('a Reject without RefSeqNum')
      if (reason !== undefined && !(Number(reason) <= this.o.maxRejectReason || reason === '99')) {
        return fail(`SessionRejectReason ${reason} is not defined for ${this.o.beginString}`)
      }
    }
    if (msgType === 'j' && (get(45) === undefined || get(380) === undefined)) return fail('a BusinessReject, no 45/380')

    const out: Checked = { fields, msgType, seq, possDup }
    const first = this.awaitingLogonAnswer
    this.awaitingLogonAnswer = false
    if (possDup) {
      if (this.nextIn !== undefined && seq >= this.nextIn) return fail(`a resent message (43=Y) from ${this.nextIn} on`)
      this.fill(seq, msgType === '4' ? Number(get(36)) : seq + 1)
      return out
    }
    // Below the old numbers only after such a reset; above 1 when what the engine wrote after it
    // (its 141=Y answer first) was lost with the connection: a gap from 1, asked for at logon.
    const unheardReset = first && this.resetUnanswered && this.nextIn !== undefined && seq < this.nextIn
    // The first answer of a connection, or a 141=Y answer, settles whether the engine took the reset.
    if (first || reset) this.resetUnanswered = false
    if (reset) {
      if (seq !== 1) return fail('a Logon with 141=Y not numbered 1')
      this.gap = undefined
    } else if (unheardReset) {
      this.unansweredResets++
      this.gap = seq > 1 ? { next: 1, to: seq - 1 } : undefined
      if (seq > 1) this.gapsFound++
    } else if (this.nextIn !== undefined && seq !== this.nextIn) {
      if (!first || seq < this.nextIn) return fail(`MsgSeqNum ${seq} where ${this.nextIn} was next`)
      // Messages sent just before a connection ended may never have arrived: the Logon shows the gap.
      this.gapsFound++
      this.gap = { next: Math.min(this.gap?.next ?? this.nextIn, this.nextIn), to: seq - 1 }
    }
    this.nextIn = seq + 1
    if (msgType === '4') {
      const to = Number(get(36))
      if (!Number.isSafeInteger(to) || to <= seq) return fail('a SequenceReset that does not move forward')
      this.nextIn = to
    }
    return out
  }

  private fill (from: number, to: number): void {
    const g = this.gap
    if (g === undefined || from > g.next || !Number.isSafeInteger(to)) return
    g.next = Math.max(g.next, to)
    if (g.next > g.to) {
      this.gap = undefined
      this.gapsFilled++
    }
  }
}
