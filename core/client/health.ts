/**
 * Genesis-style health of a streamer client (sentWarningRange / receiveWarningRange): below the
 * lower bound HEALTHY, between the bounds WARNING, above the upper bound ERROR.
 */
export type Health = 'HEALTHY' | 'WARNING' | 'ERROR'

export interface Range {
  /** Milliseconds. */
  warnAfter: number
  errorAfter: number
}

export const DEFAULT_RANGE: Range = { warnAfter: 5000, errorAfter: 60000 }

export interface HealthInput {
  now: number
  inFlight: number
  limit: number
  /** When the client last sent a row to its target. */
  lastSendAt: number | undefined
  /** When the last confirmation arrived. */
  lastConfirmAt: number | undefined
  /** When the oldest row still unconfirmed was sent. */
  oldestUnconfirmedAt: number | undefined
}

export interface HealthReport {
  health: Health
  /** Which check decided: the send stall (window full) or the confirm stall. */
  reason?: 'send-stalled' | 'confirm-stalled'
  /** How long the deciding stall has lasted, ms. */
  stalledMs?: number
}

function grade (ms: number, range: Range): Health {
  if (ms >= range.errorAfter) return 'ERROR'
  if (ms >= range.warnAfter) return 'WARNING'
  return 'HEALTHY'
}

const rank: Record<Health, number> = { HEALTHY: 0, WARNING: 1, ERROR: 2 }

export function assessHealth (
  input: HealthInput,
  sendRange: Range = DEFAULT_RANGE,
  confirmRange: Range = DEFAULT_RANGE
): HealthReport {
  if (input.inFlight === 0) return { health: 'HEALTHY' }
  let report: HealthReport = { health: 'HEALTHY' }
  // Send stall: the window is full, so nothing can be sent until a confirmation frees a slot.
  if (input.inFlight >= input.limit && input.lastSendAt !== undefined) {
    const ms = input.now - input.lastSendAt
    report = { health: grade(ms, sendRange), reason: 'send-stalled', stalledMs: ms }
  }
  // Confirm stall: rows are out and no confirmation came for a while. Counted from the later of
  // the last confirmation and the oldest open send, so an idle client that sends one row after an
  // hour is not at once an ERROR.
  const since = Math.max(input.lastConfirmAt ?? -Infinity, input.oldestUnconfirmedAt ?? -Infinity)
  if (Number.isFinite(since)) {
    const ms = input.now - since
    const h = grade(ms, confirmRange)
    if (rank[h] > rank[report.health]) report = { health: h, reason: 'confirm-stalled', stalledMs: ms }
  }
  return report
}
