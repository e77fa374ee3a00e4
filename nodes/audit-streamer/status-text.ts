import type { NodeStatus } from 'node-red'
import type { SubscriptionState } from '../../core/stream/types'
import { status } from '../shared/status'

const count = (n: number): string => n.toLocaleString('en-US')

/**
 * One status for all the streamer's subscriptions: the worst one wins (failed, retrying,
 * replaying with progress, starting, live).
 */
export function streamerStatus (
  states: SubscriptionState[],
  labels: { live: string, idle: string, starting: string, replaying: string, retrying: string }
): NodeStatus {
  const failed = states.find(s => s.phase === 'failed')
  if (failed?.phase === 'failed') return status.error(failed.error)
  const retrying = states.find(s => s.phase === 'retrying')
  if (retrying?.phase === 'retrying') return status.error(`${labels.retrying}: ${retrying.error}`)
  let behind: Extract<SubscriptionState, { phase: 'replaying' }> | undefined
  for (const s of states) {
    if (s.phase === 'replaying' &&
      (behind === undefined || (s.remaining ?? Infinity) > (behind.remaining ?? Infinity))) {
      behind = s
    }
  }
  if (behind !== undefined) {
    const total = behind.remaining === undefined ? '?' : count(behind.delivered + behind.remaining)
    return status.busy(`${labels.replaying} ${count(behind.delivered)} / ${total}`)
  }
  if (states.some(s => s.phase === 'starting')) return status.waiting(labels.starting)
  if (states.some(s => s.phase === 'live')) return status.ok(labels.live)
  return status.idle(labels.idle)
}
