/**
 * The session's durable memory, as in QuickFIX's MessageStore: the next sequence numbers in
 * both directions, the outbound journal (for resend and exactly-once), and the inbound
 * message table. Every method that changes state resolves only after its commit.
 */

export interface SequenceState {
  nextSenderSeq: number
  nextTargetSeq: number
  /** Counts resets; journal entries of an earlier epoch are never resent. */
  epoch: number
  /** When the current sequence period began (set on every reset). */
  createdAt: Date
}

/** Where an outbound message came from: the streamer client and the row's stream position. */
export interface StreamOrigin {
  client: string
  /** The position as text (JSON of the position array). */
  position: string
}

/** recordSentBatch was given an origin that is journaled already: nothing was written. */
export class DuplicateOriginError extends Error {
  constructor (cause?: unknown) {
    super('a stream origin in this batch is journaled already')
    this.name = 'DuplicateOriginError'
    this.cause = cause
  }
}

/** Map key of an origin. */
export function originKey (o: StreamOrigin): string {
  return `${o.client}\u0000${o.position}`
}

export interface OutboundRecord {
  seq: number
  msgType: string
  clOrdID?: string
  sentAt: Date
  /** The body alone (what resend re-frames) and the complete frame, SOH-delimited. */
  body: string
  raw: string
  origin?: StreamOrigin
}

export interface JournalEntry {
  seq: number
  msgType: string
  sentAt: Date
  body: string
}

export interface InboundRecord {
  seq: number
  msgType: string
  senderCompID: string
  targetCompID: string
  clOrdID?: string
  origClOrdID?: string
  possDup: boolean
  sendingTime?: Date
  raw: string
  /** The decoded body as JSON text (fix_in.message, jsonb); null when the session stores raw only. */
  message: string | null
}

export interface MessageStore {
  /** Reads the session's state, creating it (1, 1) the first time. */
  load: () => Promise<SequenceState>
  /**
   * Reads one side's number afresh (after a write whose COMMIT was lost) and keeps it, the other
   * side's as last committed here: that side's write may be in flight meanwhile.
   */
  reload: (side: 'sender' | 'target') => Promise<SequenceState>
  /** The sequence number under which `origin` was already sent, or undefined. */
  findSent: (origin: StreamOrigin) => Promise<number | undefined>
  /**
   * Journals one application message and moves the next sender seq past it, in one commit.
   * Resolves false (and changes nothing) when its origin is already journaled.
   */
  recordSent: (record: OutboundRecord) => Promise<boolean>
  /**
   * Journals consecutive application messages (seq = next sender seq, +1 ...) and moves the next
   * sender seq past the last, in one commit. Rejects, writing nothing, if the sequence numbers
   * moved, and with DuplicateOriginError if any origin is already journaled (the caller then
   * looks the duplicates up with findSentMany and journals the rest).
   */
  recordSentBatch: (records: OutboundRecord[]) => Promise<void>
  /** Which of these origins are journaled already: key `client\u0000position` -> seq. */
  findSentMany: (origins: StreamOrigin[]) => Promise<Map<string, number>>
  /** Moves the next sender seq (after an admin message is framed, before it is written). */
  advanceSender: (next: number) => Promise<void>
  /**
   * Writes inbound application messages (consecutive, in sequence order) to fix_in and moves the
   * next target seq past the last, in one commit; resolves with their receive sequences.
   */
  recordReceived: (records: InboundRecord[], nextTarget: number) => Promise<string[]>
  /** Moves the next target seq (admin messages, gap fills, rejects). */
  advanceTarget: (next: number) => Promise<void>
  /** Sets either or both next sequence numbers (operator control). */
  setNext: (sender?: number, target?: number) => Promise<SequenceState>
  /** Both sequence numbers back to 1, a new epoch and creation time. */
  reset: () => Promise<SequenceState>
  /**
   * Journaled application messages of the current epoch with begin <= seq <= end, in seq order; at most
   * `limit` when given.
   */
  sentRange: (begin: number, end: number, limit?: number) => Promise<JournalEntry[]>
}
