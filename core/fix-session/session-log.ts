/** The FIX message log (QuickFIX's Log): raw text in and out, and session events as lines. */
export interface SessionLog {
  incoming: (raw: string) => void
  outgoing: (raw: string) => void
  event: (text: string) => void
}

export const nullLog: SessionLog = { incoming: () => {}, outgoing: () => {}, event: () => {} }
