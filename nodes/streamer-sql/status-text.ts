import type { NodeStatus } from 'node-red'
import { status } from '../shared/status'
import { shortReason, waitingForDatabase } from '../shared/status-text'

export interface SqlLabels {
  ready: string
  connecting: string
  /** "1 statement", "2 statements": the count decides the word. */
  ran: (n: number) => string
  /** "SQL failed: <reason>" */
  failed: (reason: string) => string
}

/** The status for the database node's state; undefined leaves the current one (an outage being shown). */
export function sqlDatabaseStatus (
  s: { state: string, error?: string },
  statements: number,
  inOutage: boolean,
  labels: SqlLabels
): NodeStatus | undefined {
  if (s.state === 'connected') {
    if (inOutage) return undefined
    return status.ok(statements > 0 ? labels.ran(statements) : labels.ready)
  }
  if (s.state === 'retrying') return status.error(waitingForDatabase(s.error ?? ''))
  if (s.state === 'connecting') return status.waiting(labels.connecting)
  return undefined
}

/**
 * While a message waits for the database (On error: retry): yellow for an outage that ends by
 * itself, red for a cause a person must remove (a refused login, a full disk, a missing right).
 */
export function sqlWaitingStatus (reason: string, needsOperator = false): NodeStatus {
  const text = waitingForDatabase(reason)
  return needsOperator ? status.error(text) : status.waiting(text)
}

/** A message failed: the reason in a few words (the catchable error and the log have it whole). */
export function sqlFailedStatus (reason: string, labels: Pick<SqlLabels, 'failed'>): NodeStatus {
  return status.error(labels.failed(shortReason(reason)))
}
