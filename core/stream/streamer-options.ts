import type { Database } from '../db/database'
import { StreamConfigError } from './errors'
import type { SourceSpec } from './source'
import type { StartAt } from './types'

/** What a Streamer is configured with: the source (SourceSpec), its name and database, and the pacing of reads. */
export interface StreamerOptions extends SourceSpec {
  /** Stream name: msg.topic and StreamRow.stream. */
  name: string
  /** The database, or a function that resolves it (waits while the config node connects). */
  database: Database | (() => Promise<Database>)
  /** Rows per read, for replay and for the live tail (default 500). */
  batchSize?: number
  /** LISTEN on this channel and read at once on each notification (a hint only; polling stays). */
  listenChannel?: string
  /** Poll interval when nothing happens (default 1000 ms); after rows arrive it polls faster. */
  pollMs?: number
  /** Poll interval right after rows arrived or while rows are held back (default 20 ms). */
  busyPollMs?: number
  /** Backoff after a database error (default 1 s doubling to 30 s). */
  retryInitialMs?: number
  retryMaxMs?: number
  /**
   * Rows a live subscriber may have waiting before it leaves the shared live tail and catches
   * up on its own (default 4 x batchSize). This bounds memory per subscriber and keeps a slow
   * subscriber from holding back the others.
   */
  liveQueueLimit?: number
  /** Count the rows a replay will deliver, for progress (default true). */
  countReplay?: boolean
  /**
   * Where a subscriber with no checkpoint of its own starts (default live). The streamer does
   * not apply it: subscribe() always takes an explicit start; clients read it from here.
   */
  initialStart?: StartAt
}

/** `v` when it is a whole number above 0, `dflt` when unset; anything else is a configuration error. */
export function positiveInt (v: number | undefined, dflt: number, what: string): number {
  if (v === undefined) return dflt
  if (!Number.isInteger(v) || v < 1) throw new StreamConfigError(`${what} must be a whole number above 0`)
  return v
}
