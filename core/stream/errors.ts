import { describeDbError, isTransientDbError, needsOperator } from '../db/errors'
import { IdentifierError } from '../db/identifiers'
import type { SubscriptionState } from './types'

/** A problem in the streamer's configuration or in the source table that a retry cannot fix. */
export class StreamConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'StreamConfigError'
  }
}

/**
 * The table or view is not there (or not readable) yet: someone must create it or grant SELECT,
 * and that can happen while the flow runs (a migration, a setup flow). The streamer looks again
 * with backoff instead of failing for good, so no redeploy is needed once it exists.
 */
export class SourceMissingError extends StreamConfigError {
  constructor (message: string) {
    super(message)
    this.name = 'SourceMissingError'
  }
}

/**
 * True when waiting and trying again may help: the connection was lost, the server is
 * restarting, too many connections, a deadlock or a cancelled statement. Everything else (a
 * missing table, a wrong column, a bad filter, no privilege) is a configuration problem.
 */
export function isRetryable (err: unknown): boolean {
  if (err instanceof StreamConfigError || err instanceof IdentifierError) return false
  if (isTransientDbError(err)) return true
  // A read may also retry a system error of the server (class 58: I/O error, undefined file).
  return /^58/.test(String((err as { code?: unknown })?.code ?? ''))
}

/**
 * The source is not there or not readable, whoever noticed: the catalog check (SourceMissingError)
 * or a read that found the table dropped (42P01) or the right revoked (42501). Someone must act;
 * the streamer keeps looking with backoff and resumes once it is fixed.
 */
export function isSourceMissing (err: unknown): boolean {
  if (err instanceof SourceMissingError) return true
  const code = (err as { code?: unknown })?.code
  return code === '42P01' || code === '42501'
}

/** One line for a status or a log: says what failed, never includes secrets. */
export function describeStreamError (err: unknown): string {
  if (err instanceof StreamConfigError || err instanceof IdentifierError) return err.message
  return describeDbError(err)
}

/**
 * A subscription's state while it waits `retryInMs` to try again after `err`, saying who can end the
 * wait: `needsAction` when the source is missing or unreadable (someone must create it or grant a
 * right), `needsOperator` when the database refuses for a reason only a person can clear. The nodes
 * learn of an outage that begins after the database node connected only from this state, so it, and
 * not only the database node's, must carry the second: else a password changed during an outage
 * that began as "terminating connection" never reaches the log.
 */
export function retryingState (err: unknown, retryInMs: number): Extract<SubscriptionState, { phase: 'retrying' }> {
  return {
    phase: 'retrying',
    error: describeStreamError(err),
    retryInMs,
    ...(isSourceMissing(err) ? { needsAction: true } : {}),
    ...(needsOperator(err) ? { needsOperator: true } : {})
  }
}
