/**
 * How a session answers its counterparty (QuickFIX's Responder): it writes bytes and it ends the
 * connection, nothing else. The session owns no socket; a Connection (connection.ts) is the
 * responder over a TCP or TLS socket.
 */
export interface Responder {
  /** Writes one or more whole frames. Ignored once the connection is closed. */
  write: (bytes: Buffer) => void
  /** Ends the connection (the session sends a Logout first when the protocol wants one). */
  disconnect: () => void
  /** Still able to take writes. */
  readonly writable: boolean
  /** The peer has closed its side (what it sent is still being worked through). */
  readonly closing: boolean
  /**
   * Resolves true once what was written has been taken by the peer (at once when little is
   * waiting) or the connection closed; false when nothing was taken for `ms`.
   */
  drained: (ms: number) => Promise<boolean>
}
