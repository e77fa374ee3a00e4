import type { Queryable } from '../db/database'
import type { Position } from './types'

/** One read: its rows, and how far it looked. */
export interface HorizonRead {
  rows: Array<Record<string, unknown>>
  /**
   * The position up to which every row is final and has been looked at, the ones the filter left
   * out included: the next read may start here instead of at the last row returned, so rows the
   * filter refuses are scanned once, not at every poll (a filtered stream whose source grows with
   * rows it never returns would otherwise rescan all of them each time). At or after the last row
   * returned; undefined when the read cannot say (the reader then goes on from its last row).
   */
  through?: Position
}

/**
 * Where a stream may read up to. A row is read only once every row that will ever sort before
 * it is visible, so a row that commits late is never skipped; each horizon proves that its own
 * way and owns the SQL for it (horizon-xid8.ts, horizon-settled.ts). The streamer keeps the
 * subscriptions and the live tail and asks its horizon for rows, counts and the head.
 *
 * Positions passed in are validated (validatePosition) by the caller; every value is bound.
 */
export interface Horizon {
  readonly mode: 'xid8' | 'settled'
  /** Once at start: refuses a database whose rows this horizon would mis-order (a restore, say). */
  checkDatabase: (db: Queryable) => Promise<void>
  /** Refuses a checkpoint this database cannot have given (a subscriber starting after it). */
  checkCheckpoint: (db: Queryable, position: Position) => Promise<void>
  /** Up to `limit` rows after `after` (undefined: from the start), up to the horizon, in stream order. */
  read: (db: Queryable, after: Position | undefined, limit: number) => Promise<HorizonRead>
  /**
   * Rows readable after `after` through the filter: the exact lag of a subscriber standing there,
   * at most `limit` when given. Moves the horizon one step first, so the count is fresh.
   */
  count: (db: Queryable, after: Position | undefined, limit?: number) => Promise<number>
  /** Rows a replay from `after` will deliver (waits, like head(), until the horizon has a value). */
  countForReplay: (db: Queryable, after: Position | undefined, stop: AbortSignal) => Promise<number>
  /** The newest position that is final now: every row at or before it is visible. */
  head: (db: Queryable, stop: AbortSignal) => Promise<Position | undefined>
  /**
   * Asked after a read from `after` that returned fewer rows than its limit: whether a committed row
   * after `after` passes the filter all the same. Such a row was beyond that read's horizon, held
   * back by an older transaction that ends without a NOTIFY (the tail then polls from a few ms up to
   * the busy rate); it may be readable by now, if that transaction ended since the read, and the
   * answer is still yes, so the tail reads again soon instead of napping idle.
   */
  heldBack: (db: Queryable, after: Position | undefined) => Promise<boolean>
  /** Called before each read of the live tail: moves the horizon if it is kept outside the reads. */
  advance: (db: Queryable) => Promise<void>
  /** True while the horizon is about to move (the tail polls at the busy rate). */
  readonly moving: boolean
}
