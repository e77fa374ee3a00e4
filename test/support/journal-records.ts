import type { InboundRecord, OutboundRecord } from '../../core/fix-session/message-store'

/**
 * Rows for the session store's journals, as the session writes them, for the specs that drive a
 * DatabaseMessageStore directly: an order sent from the `orders` client at `position`.
 */
export function sentOrder (seq: number, clOrdID: string, position: string): OutboundRecord {
  return {
    seq,
    msgType: 'D',
    clOrdID,
    sentAt: new Date(),
    body: `11=${clOrdID}\x01`,
    raw: `raw ${clOrdID}`,
    origin: { client: 'orders', position: `["${position}"]` }
  }
}

/** An ExecutionReport received from B, stored raw only. */
export function receivedReport (seq: number): InboundRecord {
  return {
    seq,
    msgType: '8',
    senderCompID: 'B',
    targetCompID: 'A',
    possDup: false,
    raw: `8=FIX.4.4\x0134=${seq}\x01`,
    message: null
  }
}
