import type { NodeStatus } from 'node-red'
import type { FixSessionStatus } from '../fix-session/types'
import { status } from '../shared/status'
import { plainErrors } from '../shared/status-text'

/**
 * The gateway's status, in the one format every node of the pack uses: what is wrong, when
 * something is ("waiting for database: connection refused", "connection refused; retry in 9 s"),
 * otherwise the state, with the sequence numbers only once they are known (a session that has not
 * read its state yet shows no "out 0 in 0", which would read as a sequence reset). Details (last
 * logon, counts) are in the FIX sidebar: a status is a short label under the node.
 */
export function gatewayStatus (s: FixSessionStatus, stateLabel: (phase: string) => string): NodeStatus {
  const state = stateLabel(s.phase)
  const known = s.phase !== 'starting' && s.phase !== 'error' && (s.nextSenderSeq > 0 || s.nextTargetSeq > 0)
  // A database outage holds sends back whatever the FIX link's state: a logged-on session says so too.
  const waitingForDb = s.text?.startsWith('waiting for database') === true
  if (!waitingForDb && (s.phase === 'logged-on' || (s.text === undefined && known))) {
    const text = known ? `${state} out ${s.nextSenderSeq} in ${s.nextTargetSeq}` : state
    return s.phase === 'logged-on' ? status.ok(text) : status.busy(text)
  }
  if (s.phase === 'error') return status.error(plainErrors(s.text ?? state))
  if (s.text === undefined) return s.phase === 'disconnected' ? status.waiting(state) : status.busy(state)
  const text = plainErrors(s.text)
  if (isProblem(text)) return status.error(text)
  return s.phase === 'disconnected' || s.phase === 'starting' ? status.waiting(text) : status.busy(text)
}

const PROBLEM = /in use|failed|error|refused|waiting for database|unreachable|timed out|not found/i

/** A transport or database text that says something is wrong (red), rather than progress (yellow). */
export function isProblem (text: string): boolean {
  return PROBLEM.test(text)
}
