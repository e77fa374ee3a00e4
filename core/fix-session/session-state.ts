import type { InboundProblem } from './inbound-validation'
import type { ParsedMessage } from './codec-port'
import type { FieldList } from '../fix/field-list'
import type { Header } from './inbound-header'

export type SessionPhase =
  | 'disconnected' // no transport
  | 'awaiting-logon' // acceptor: connected, waiting for the peer's Logon
  | 'logon-sent' // initiator: our Logon is out, waiting for the answer
  | 'logged-on'
  | 'logout-sent' // our Logout is out, waiting for the peer's

/** An inbound message that arrived ahead of sequence, kept until the gap before it fills. */
export interface HeldMessage {
  seq: number
  msgType: string
  raw: string
  fields: FieldList
  /** The header the session read of `fields` (the journal reuses it rather than reading it again). */
  header?: Header
  parsed?: ParsedMessage
  problem?: InboundProblem
  /** Admin messages acted on at arrival (ResendRequest, Logon): only their seq is consumed later. */
  handled: boolean
}

/**
 * The in-memory part of a session, as QuickFIX's SessionState: phase, timers' reference points,
 * the outstanding TestRequest and ResendRequest, and messages held ahead of a gap. The durable
 * part (sequence numbers, journal) lives in the MessageStore.
 */
export class SessionState {
  phase: SessionPhase = 'disconnected'
  /** Copies of the store's values (the store is the truth; these are for status and framing). */
  nextSenderSeq = 1
  nextTargetSeq = 1
  lastSentAt = 0
  lastReceivedAt = 0
  phaseSince = 0
  /** HeartBtInt agreed at logon, in seconds. */
  heartBtInt = 30
  testRequest: { id: string, at: number } | undefined
  /** Our outstanding ResendRequest: from `begin` up to at least `end`, sent at `at` (ms since epoch). */
  resend: { begin: number, end: number, at: number } | undefined
  readonly held = new Map<number, HeldMessage>()
  /** Set when we asked for a sequence reset with this logon (141=Y). */
  resetRequested = false

  setPhase (p: SessionPhase, now: number): void {
    this.phase = p
    this.phaseSince = now
  }

  /** Forgets everything that only made sense on the lost connection. */
  clearConnection (): void {
    this.testRequest = undefined
    this.resend = undefined
    this.held.clear()
    this.resetRequested = false
  }

  get loggedOn (): boolean {
    return this.phase === 'logged-on'
  }
}
