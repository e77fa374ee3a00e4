/** What the session tells its owner (QuickFIX's Application): logons, logouts, inbound messages, events. */

export interface InboundMessage {
  msgType: string
  seq: number
  possDup: boolean
  /** Receive sequence of the fix_in row (committed before this callback). */
  receiveSeq: string
  raw: string
  /**
   * Body as an object keyed by field names (no StandardHeader/StandardTrailer); decoded on first read
   * when fix_in stores raw only.
   */
  readonly body: Record<string, unknown>
  readonly header: Record<string, unknown>
}

export type SessionEvent =
  | { type: 'state', phase: string, nextSenderSeq: number, nextTargetSeq: number }
  | { type: 'connected', remote: string }
  | { type: 'disconnected', reason: string }
  | { type: 'logon', resetSeqNum: boolean, heartBtInt: number }
  | { type: 'logout', text: string, initiatedBy: 'us' | 'peer' }
  | { type: 'logon-refused', text: string }
  | { type: 'reject-sent', refSeqNum: number, reason?: number, refTag?: number, refMsgType?: string, text: string }
  | { type: 'business-reject-sent', refSeqNum: number, refMsgType: string, reason: number, text: string }
  | { type: 'reject-received', refSeqNum?: number, reason?: string, text?: string, msgType: string }
  | { type: 'resend-request-sent', begin: number, end: number }
  | { type: 'resend', begin: number, end: number, resent: number, gapFills: number }
  | { type: 'gap-filled', begin: number, end: number }
  | { type: 'sequence-reset', newSeqNo: number, gapFill: boolean }
  | { type: 'sequence-numbers', nextSenderSeq: number, nextTargetSeq: number, reason: string }
  | { type: 'duplicate-dropped', seq: number, msgType: string }
  | { type: 'garbled', text: string }
  | { type: 'test-request-sent', id: string }
  | { type: 'error', text: string }

export interface SessionApplication {
  /** An inbound application message, after its fix_in row and the target seq are committed. */
  fromApp: (message: InboundMessage) => void
  onEvent?: (event: SessionEvent) => void
}
