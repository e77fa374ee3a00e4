// The streamer client's contract: what an adapter (the Node-RED node, a bench) gives it and gets back.
// Plain types and the client's error class, so the code that uses a client need not load the client.
import type { Position, StartAt, StreamRow, SubscriptionState } from '../stream/types'
import type { CheckpointStore } from './checkpoint-store'
import type { HealthReport, Range } from './health'

/** What the adapter decided for one row, after its filter and transform ran. */
export type Disposition =
  /** Hand the row to the target. `confirmed`: needs no confirmation ("confirm on send"). */
  | { action: 'send', send: () => void, confirmed?: boolean }
  /** Filtered out: counts as confirmed. */
  | { action: 'skip' }
  /**
   * The filter or transform failed: `report` raises the error and sends the row to the error output;
   * counts as confirmed.
   */
  | { action: 'reject', report: () => void }
  /** The filter or transform failed and the client must stop before this row (terminate on error). */
  | { action: 'stop', error: Error, report: () => void }

export type ClientPhase = 'detached' | 'stopped' | SubscriptionState['phase']

export interface ClientState {
  phase: ClientPhase
  error?: string
  /** Retrying a cause only a person can remove (a missing table or privilege), not a database away. */
  needsAction?: boolean
  /** Retrying a database that refuses for a reason only a person can clear (a refused login, a full disk). */
  needsOperator?: boolean
}

export interface StreamerClientOptions {
  /** The client name: the key of its checkpoint. */
  name: string
  /** Off: live rows only, nothing stored. */
  replayable: boolean
  /** Required when replayable. */
  store?: CheckpointStore
  /** Most unconfirmed rows out at once (default 50). At the limit, deliver() waits. */
  inFlightLimit?: number
  /**
   * The flush window of checkpoint writes: once this many rows have been confirmed since the last
   * write (default FLUSH_WINDOW.rows = 500), or this long after the first unwritten one (default
   * FLUSH_WINDOW.ms = 200), and on close.
   */
  checkpointEvery?: number
  checkpointIntervalMs?: number
  sendRange?: Range
  confirmRange?: Range
  prepare: (row: StreamRow) => Promise<Disposition> | Disposition
  onState?: (state: ClientState) => void
  /** Something went wrong that does not stop the client (a checkpoint write failed and will be retried). */
  onProblem?: (error: unknown) => void
  onCheckpoint?: (position: Position) => void
  /**
   * Times a row may be reported failed by its target (fail()) before the client gives up on it
   * (default 5). Until then each failure sends the unconfirmed rows again, in order, from the
   * checkpoint, after a backoff (0.5 s doubling, at most 10 s).
   */
  maxAttempts?: number
  /**
   * After maxAttempts: true moves the checkpoint past the row (it counts as failed, the target's
   * error output has it); false (default) stops the client before it, checkpoint held.
   */
  skipAfterFailures?: boolean
  /** The client is about to send the unconfirmed rows again after a failure. */
  onRedeliver?: (from: StartAt, failed: Position, error: string) => void
}

/** What fail() did with a row its target reported failed. */
export type FailOutcome = 'redeliver' | 'skipped' | 'stopped' | 'unknown'

export interface ClientStats {
  phase: ClientPhase
  stream: string | undefined
  inFlight: number
  limit: number
  sent: number
  confirmed: number
  /** Rows given up after maxAttempts failures (skipped, or the one the client stopped before). */
  failed: number
  /** Last row handed on (sent, filtered or rejected). */
  position: Position | undefined
  /** Last confirmed position (what the checkpoint holds, or will after the next batch write). */
  checkpoint: Position | undefined
  rate: number
  health: HealthReport
}

/**
 * Lag is counted exactly up to this many rows; beyond, the status says "10,000+". Measured
 * (bench/client.ts): a count of 10k rows costs about 2 ms on PostgreSQL and 6 ms on PGlite, whose
 * queries run on Node-RED's own thread; 100k cost 24 and 64 ms, too much to ask every second.
 */
export const LAG_COUNT_LIMIT = 10000

export class ClientError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ClientError'
  }
}
