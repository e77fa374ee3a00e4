import type { NodeStatus } from 'node-red'
import type { SubscriptionState } from '../../core/stream'
import { status } from '../shared/status'
import { problem, waitingForDatabase } from '../shared/status-text'

const count = (n: number): string => n.toLocaleString('en-US')

export interface StreamerLabels { live: string, idle: string, starting: string, replaying: string }

type Retrying = Extract<SubscriptionState, { phase: 'retrying' }>
const DELIVERY = 'delivery failed: '

/**
 * A retrying subscription waits for the database, unless it waits for a person (a missing table
 * or privilege: needsAction) or for its subscriber (a delivery that failed).
 */
export function waitsForDatabase (s: SubscriptionState): boolean {
  return s.phase === 'retrying' && s.needsAction !== true && !s.error.startsWith(DELIVERY)
}

/** The status text of a retrying subscription, in the pack's "<what>: <reason>" form. */
export function retryingText (s: Retrying): string {
  if (waitsForDatabase(s)) return waitingForDatabase(s.error)
  if (s.error.startsWith(DELIVERY)) return problem('delivery failed', s.error.slice(DELIVERY.length))
  return s.error // a missing table or privilege: the message names it
}

/**
 * One status for all the streamer's subscriptions: the worst one wins (failed, retrying,
 * replaying with progress, starting, live).
 */
export function streamerStatus (states: SubscriptionState[], labels: StreamerLabels): NodeStatus {
  const failed = states.find(s => s.phase === 'failed')
  if (failed?.phase === 'failed') return status.error(failed.error)
  const retrying = states.find(s => s.phase === 'retrying')
  if (retrying?.phase === 'retrying') return status.error(retryingText(retrying))
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

/** What the streamer node knows when it draws its status. */
export interface StreamerView {
  configError?: string
  connection?: { state: string, error?: string, needsOperator?: boolean }
  states: SubscriptionState[]
  /** Why the streamer could not start (it has no subscriptions then). */
  failed?: string
  /** The reason of the outage in progress: a 'connecting' between two retries does not end it. */
  outage?: string
}

/** The node's status: a configuration error, the database it waits for, or its subscriptions. */
export function auditStreamerStatus (v: StreamerView, labels: StreamerLabels): NodeStatus {
  if (v.configError !== undefined) return status.error(v.configError)
  const down = v.connection?.state === 'retrying'
    ? v.connection.error
    : v.connection?.state === 'connecting' ? v.outage : undefined
  if (down !== undefined && !v.states.some(s => s.phase === 'live')) return status.error(waitingForDatabase(down))
  if (v.states.length === 0) return v.failed !== undefined ? status.error(v.failed) : status.idle(labels.idle)
  return streamerStatus(v.states, labels)
}

/**
 * The database's message while the stream waits for it, undefined when it does not: one outage,
 * logged once, lasts from the first such state until none is left.
 */
export function databaseOutage (v: StreamerView): string | undefined {
  if (v.connection?.state === 'retrying') return v.connection.error ?? ''
  if (v.connection?.state === 'connecting' && v.outage !== undefined) return v.outage
  const s = v.states.find(waitsForDatabase)
  return s?.phase === 'retrying' ? s.error : undefined
}

/**
 * Whether the outage's present reason (databaseOutage) is one only a person can clear, a refused
 * login or a full disk: the log names such a reason when it comes, even in an outage that began as
 * something else. After the database node has connected, the subscriptions are the only ones to see it.
 */
export function outageNeedsPerson (v: StreamerView): boolean {
  if (v.connection?.state === 'retrying') return v.connection.needsOperator === true
  if (v.connection?.state === 'connecting' && v.outage !== undefined) return false
  const s = v.states.find(waitsForDatabase)
  return s?.phase === 'retrying' && s.needsOperator === true
}
