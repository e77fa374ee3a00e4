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
 * Tags whose values are secrets: Password (554), NewPassword (925), EncryptedPassword (1402),
 * EncryptedNewPassword (1404), and the data fields venues carry logon credentials in: SecureData
 * (91) and RawData (96). A Logon carries them in clear text; no log line, event or trace may.
 */
const SECRET_TAGS = new Set(['554', '925', '1402', '1404', '91', '96'])

/**
 * Any text that may hold FIX fields (SOH or '|' delimited, possibly cut short, as in an error
 * message or a garbled frame) with the values of secret tags replaced by '***'. One pass.
 */
export function maskSecretFields (text: string): string {
  let out = ''
  let start = 0
  while (start < text.length) {
    let end = start
    while (end < text.length && text[end] !== '\x01' && text[end] !== '|') end++
    const field = text.slice(start, end)
    const eq = field.indexOf('=')
    // The tag is the digits just before '=' (a field may follow other text in a message).
    let t = eq
    while (t > 0 && field.charCodeAt(t - 1) >= 48 && field.charCodeAt(t - 1) <= 57) t--
    out +=
      eq > 0 && SECRET_TAGS.has(field.slice(t, eq)) && (t === 0 || !isTagChar(field.charCodeAt(t - 1)))
        ? `${field.slice(0, eq)}=***`
        : field
    if (end < text.length) out += text[end]
    start = end + 1
  }
  return out
}

/** A letter or digit before the digits would make them part of a word, not a tag. */
function isTagChar (c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

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
