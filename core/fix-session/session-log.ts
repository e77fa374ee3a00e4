/** The FIX message log (QuickFIX's Log): raw text in and out, and session events as lines. */
export interface SessionLog {
  incoming: (raw: string) => void
  outgoing: (raw: string) => void
  event: (text: string) => void
}

export const nullLog: SessionLog = { incoming: () => {}, outgoing: () => {}, event: () => {} }

/** Logs every message and event to each of the given logs. */
export function teeLog (...logs: SessionLog[]): SessionLog {
  if (logs.length === 1) return logs[0]
  return {
    incoming: raw => { for (const l of logs) l.incoming(raw) },
    outgoing: raw => { for (const l of logs) l.outgoing(raw) },
    event: text => { for (const l of logs) l.event(text) }
  }
}

/**
 * Tags whose values are secrets: Password (554), NewPassword (925), EncryptedPassword (1402) and
 * EncryptedNewPassword (1404). A Logon carries them in clear text; no log line may.
 */
const SECRET_TAGS = new Set(['554', '925', '1402', '1404'])

/** A frame as one readable log line: SOH shown as '|', secret values replaced by '***'. */
export function printableFix (raw: string): string {
  let out = ''
  let start = 0
  while (start < raw.length) {
    let end = raw.indexOf('\x01', start)
    if (end < 0) end = raw.length
    const field = raw.slice(start, end)
    const eq = field.indexOf('=')
    out += eq > 0 && SECRET_TAGS.has(field.slice(0, eq)) ? `${field.slice(0, eq)}=***` : field
    if (end < raw.length) out += '|'
    start = end + 1
  }
  return out
}
