/**
 * The one status format of the pack's nodes, kept pure so that each node's texts can be tested
 * without Node-RED:
 * - progress: a state word and its figures ("live", "logged on out 548 in 1079", "3 statements");
 * - something wrong: what, then the short reason ("waiting for database: connection refused",
 *   "connection refused; retry in 9 s", "failed: table or view does not exist").
 * A status is a short label under the node (it ran under the neighbouring node at 60 characters):
 * the reason is cut to its first clause, the full message goes to the log, details to the sidebar.
 */

const NODE_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EADDRINUSE: 'port in use',
  ENOENT: 'file not found',
  EACCES: 'permission denied'
}

/** pg's messages for a connection that went away, in the same plain words. */
const LOST =
  /^(Connection terminated( unexpectedly)?|Client has encountered a connection error.*|the connection was lost)$/i

/** Longer reasons than this are cut to their first clause. */
const SHORT = 40

/**
 * A reason in a few words: a Node.js socket code in plain words ("connect ECONNREFUSED
 * 127.0.0.1:9876" reads as "connection refused", pg's "Connection terminated unexpectedly" as
 * "connection lost"); a long message up to its advice or detail
 * ("connection refused: is the server running ...?", "the server is shutting down (terminating
 * connection due to administrator command)" keep the part before ": " or " (").
 */
export function shortReason (message: string): string {
  const code = /\b(E[A-Z_]{3,})\b/.exec(message)
  if (code !== null && NODE_ERRORS[code[1]] !== undefined) return NODE_ERRORS[code[1]]
  const one = message.replace(/\s+/g, ' ').trim()
  if (LOST.test(one)) return 'connection lost'
  if (one.length <= SHORT) return one
  // A detail in brackets goes; after ": " only advice goes (a question), not the cause itself
  // ("setup SQL failed: syntax error ..." keeps its cause).
  const colon = one.indexOf(': ')
  const cuts = [one.indexOf(' ('), colon > 0 && one.endsWith('?') ? colon : -1].filter(i => i > 0)
  return cuts.length > 0 ? one.slice(0, Math.min(...cuts)) : one
}

/**
 * A Node.js socket error inside a longer text in plain words ("listener error: listen
 * EADDRINUSE: address already in use 127.0.0.1:9876" reads as "listener error: port in use").
 */
export function plainErrors (text: string): string {
  return text.replace(
    /(?:(?:connect|listen) )?\b(E[A-Z_]{3,})\b[^;]*/,
    (whole: string, code: string) => NODE_ERRORS[code] ?? whole
  )
}

/** The text every node shows while the database is away: "waiting for database: <reason>". */
export const WAITING_FOR_DATABASE = 'waiting for database'

export function waitingForDatabase (reason: string): string {
  return `${WAITING_FOR_DATABASE}: ${shortReason(reason)}`
}

/** "<what>: <short reason>", the form of every fault shown in a status. */
export function problem (what: string, reason: string): string {
  return `${what}: ${shortReason(reason)}`
}
