import type { NodeStatus } from 'node-red'
import type { ClientPhase } from '../../core/client'
import { status } from '../shared/status'
import { problem, waitingForDatabase } from '../shared/status-text'

export interface ClientLabels { connecting: string, detached: string, stopped: string, failed: string }

/** What the client node knows when it draws its status. */
export interface ClientView {
  db?: { state: string, error?: string, needsOperator?: boolean }
  /** Undefined until the client exists (its database acquired). */
  phase?: ClientPhase
  /** The client's state error, and whether only a person can fix its cause. */
  error?: string
  needsAction?: boolean
  /** The client retries a database that refuses for a reason only a person can clear. */
  needsOperator?: boolean
  /** A configuration or wiring problem of the node. */
  problem?: string
  stats?: { rate: number, inFlight: number, failed: number, health: { health: string } }
  lag?: number
  /** The lag count stops here ("100,000+"). */
  lagLimit: number
  /**
   * The reason of the outage in progress: the database node tries again through 'connecting' and
   * 'retrying', and a 'connecting' in between neither ends the outage nor hides its reason.
   */
  outage?: string
}

const DELIVERY = 'delivery failed: '

/**
 * The database's message while the client waits for it, undefined when it does not: the
 * database node retrying, or the subscription retrying a read (not a missing table, which waits
 * for a person, nor a refused delivery).
 */
export function clientOutage (
  v: Pick<ClientView, 'db' | 'phase' | 'error' | 'needsAction' | 'outage'>
): string | undefined {
  if (v.db?.state === 'retrying') return v.db.error ?? ''
  if (v.db?.state === 'connecting' && v.outage !== undefined) return v.outage
  if (v.phase !== 'retrying' || v.needsAction === true || v.error === undefined) return undefined
  return v.error.startsWith(DELIVERY) ? undefined : v.error
}

/**
 * Whether the outage's present reason (clientOutage) is one only a person can clear, a refused login
 * or a full disk: the log names such a reason when it comes, even in an outage that began as
 * something else. After the database node has connected, the client's subscription is the one to see it.
 */
export function clientOutageNeedsPerson (v: Pick<ClientView, 'db' | 'needsOperator' | 'outage'>): boolean {
  if (v.db?.state === 'retrying') return v.db.needsOperator === true
  if (v.db?.state === 'connecting' && v.outage !== undefined) return false
  return v.needsOperator === true
}

/**
 * What is wrong with the client, in the pack's status format ("waiting for database: connection
 * refused", "failed: <reason>", the streamer's reason while it retries), whole: the status label
 * cuts it short, the FIX sidebar shows it all. Undefined while nothing is wrong.
 */
export function clientProblem (v: ClientView, labels: ClientLabels): string | undefined {
  const down = clientOutage(v)
  if (down !== undefined) return waitingForDatabase(down)
  if (v.db?.state === 'connecting') return undefined
  if (v.phase === undefined || v.stats === undefined) return v.problem
  // Whole: a stop names the position it stopped before.
  if (v.phase === 'stopped' || v.phase === 'failed') return `${labels[v.phase]}: ${v.error ?? v.problem ?? ''}`
  if (v.phase === 'retrying' && v.error !== undefined) {
    return v.error.startsWith(DELIVERY) ? problem('delivery failed', v.error.slice(DELIVERY.length)) : v.error
  }
  return undefined
}

/**
 * The client's status: while something is wrong, what and why (clientProblem); otherwise its
 * phase and figures ("live · lag 0 · 120/s · 3 in flight"), numbers and the phase word only, short
 * enough for the label and the same in any language.
 */
export function clientStatus (v: ClientView, labels: ClientLabels): NodeStatus | undefined {
  const wrong = clientProblem(v, labels)
  if (wrong !== undefined) return status.error(wrong)
  if (v.db?.state === 'connecting') return status.waiting(labels.connecting)
  if (v.phase === undefined || v.stats === undefined) return undefined
  if (v.phase === 'detached') return status.idle(v.problem ?? labels.detached)
  const s = v.stats
  const lag = v.lag === undefined
    ? '?'
    : v.lag >= v.lagLimit ? `${v.lagLimit.toLocaleString('en-US')}+` : v.lag.toLocaleString('en-US')
  const text = `${v.phase} · lag ${lag} · ${Math.round(s.rate).toLocaleString('en-US')}/s · ${s.inFlight} in ` +
    `flight${s.failed > 0 ? ` · ${s.failed} failed` : ''}`
  if (s.health.health === 'ERROR') return status.error(text)
  if (s.health.health === 'WARNING') return status.warn(text)
  return v.phase === 'live' ? status.ok(text) : status.busy(text)
}
