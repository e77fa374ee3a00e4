/**
 * Status texts of a FIX session, kept pure so that they can be tested without a session: the
 * transport's texts combined so that the reason stays visible, and which of them are logged quietly.
 */

const NODE_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EADDRINUSE: 'port in use'
}

/**
 * The session's transport reports a failed connect, then "reconnecting in N s": the second text
 * would hide the first. One text carries both, the reason first ("connection refused; retry in 9 s").
 * `previous` is the text shown before `text`.
 */
export function withReason (previous: string | undefined, text: string): string {
  const wait = /^reconnecting in (.+)$/.exec(text)
  const failed = previous === undefined ? null : /^connect failed: (.+)$/.exec(previous)
  if (wait === null || failed === null) return text
  return `${shortReason(failed[1])}; retry in ${wait[1]}`
}

/** "connect ECONNREFUSED 127.0.0.1:9876" reads as "connection refused"; other messages as they are. */
export function shortReason (message: string): string {
  const code = /\b(E[A-Z_]{3,})\b/.exec(message)
  if (code !== null && NODE_ERRORS[code[1]] !== undefined) return NODE_ERRORS[code[1]]
  // "connection refused: is the server running ...?": the part before the advice.
  const colon = message.indexOf(': ')
  return message.length > 40 && colon > 0 ? message.slice(0, colon) : message
}

/**
 * A status is a short label under the node: a Node.js socket error inside a text reads in plain words
 * ("listener error: listen EADDRINUSE: address already in use 127.0.0.1:9876" reads as
 * "listener error: port in use"); the full message is in the log.
 */
export function plainErrors (text: string): string {
  return text.replace(
    /(?:(?:connect|listen) )?\b(E[A-Z_]{3,})\b[^;]*/,
    (whole: string, code: string) => NODE_ERRORS[code] ?? whole
  )
}

/** A flow's own acceptor may start after its initiator: a failed connect this soon is not news. */
export const STARTUP_GRACE_MS = 5000

/**
 * Whether a status text is logged at debug rather than info: connect failures in the first seconds
 * after the session started, before it ever logged on (a demo's acceptor is still opening its port).
 */
export function quietAtStart (text: string, msSinceStart: number, everLoggedOn: boolean): boolean {
  return !everLoggedOn && msSinceStart < STARTUP_GRACE_MS && /^connect failed: |; retry in /.test(text)
}
