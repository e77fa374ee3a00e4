import { shortReason, waitingForDatabase } from '../shared/status-text'

export { plainErrors, shortReason } from '../shared/status-text'

/**
 * Status texts of a FIX session, kept pure so that they can be tested without a session: the
 * transport's texts combined so that the reason stays visible, and which of them are logged quietly.
 */

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

/**
 * The status for a text of the session's transport or message store: the store's
 * "waiting for database: <the database's whole message>" keeps a short reason (the log has it all),
 * a reconnect keeps the reason of the failed connect.
 */
export function sessionText (previous: string | undefined, text: string): string {
  const db = /^waiting for database: (.+)$/.exec(text)
  return db !== null ? waitingForDatabase(db[1]) : withReason(previous, text)
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
