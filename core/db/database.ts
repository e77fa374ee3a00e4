/**
 * The database seen by the rest of the pack. Two implementations share it: a real PostgreSQL
 * server through `pg`, and embedded PGlite. All SQL in the pack is written once against this
 * interface; only connection set-up and LISTEN differ between the two.
 *
 * Values are always bound parameters ($1, $2 ...). Names from configuration go through
 * `identifiers.ts` before they are written into SQL text.
 *
 * Types that must keep their precision come back as text on both engines: bigint, numeric,
 * money, xid8, and the date/time types (as ISO 8601 in UTC). JSON comes back parsed.
 */
import type { SleepMarker } from './sleep-marker'

export interface QueryResult<R = Record<string, unknown>> {
  rows: R[]
  /** Rows affected by INSERT/UPDATE/DELETE, or returned by SELECT. */
  rowCount: number
}

export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>
}

export type DatabaseKind = 'pg' | 'pglite'

export interface ListenHandlers {
  /** A NOTIFY arrived on the channel. */
  onNotify: (payload: string) => void
  /**
   * The listening connection was lost and is back. Notifications sent meanwhile are gone,
   * so a listener should re-read whatever it was waiting for.
   */
  onReconnect?: () => void
}

/** One statement of a batch: SQL text and its bound parameters. */
export interface Statement {
  text: string
  params?: readonly unknown[]
}

/** A batch failed: `index` is the statement that failed (-1: the transaction itself); nothing was committed. */
export class BatchError extends Error {
  constructor (readonly index: number, cause: unknown) {
    super((cause as Error)?.message ?? String(cause), { cause })
    this.name = 'BatchError'
    // Callers describe it like the database error it wraps (code, detail).
    const c = cause as { code?: unknown }
    if (c?.code !== undefined) (this as { code?: unknown }).code = c.code
  }
}

export interface Database extends Queryable {
  readonly kind: DatabaseKind
  /**
   * Runs a script of one or more statements with no parameters (DDL such as a setup script).
   * Never for values: those go through query() as bound parameters.
   */
  exec(script: string): Promise<void>
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /**
   * Runs the statements in order in one transaction: all commit or none (then it rejects with a
   * BatchError). On a server they go out together, in one write and one round trip.
   */
  batch(statements: readonly Statement[]): Promise<QueryResult[]>
  /** LISTENs on `channel` (a plain identifier) until the returned function is called. */
  listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>>
  /**
   * A reader of `channel` marking itself asleep, so that the pack's audit triggers NOTIFY only
   * while one is (core/db/sleep-marker.ts). PostgreSQL only: in PGlite they notify always.
   */
  sleepMarker?(channel: string): SleepMarker
  /** Ends every connection. Idempotent. */
  close(): Promise<void>
  readonly closed: boolean
  /**
   * A connection of its own, outside the pool, for statements that must never wait for a pooled
   * connection (lease renewals, core/ha): it reconnects after a loss and follows the server the
   * pool uses. PostgreSQL only: PGlite is one connection in one process, where nothing competes.
   * `timeoutMs` bounds each connect and statement; closed with the database.
   */
  dedicated?(timeoutMs: number): DedicatedConnection
}

/** See Database.dedicated. */
export interface DedicatedConnection extends Queryable {
  /** Drops the current connection (when nothing needs it for a while); the next statement reconnects. */
  drop(): void
}

/** Runs a batch's statements one after another on `tx` (inside a transaction the caller owns). */
export async function runInOrder (tx: Queryable, statements: readonly Statement[]): Promise<QueryResult[]> {
  const results: QueryResult[] = []
  for (let i = 0; i < statements.length; i++) {
    try {
      results.push(await tx.query(statements[i].text, statements[i].params ?? []))
    } catch (err) {
      throw new BatchError(i, err)
    }
  }
  return results
}

/** PostgreSQL type OIDs that are returned as text to keep their precision. */
export const TEXT_TYPES = {
  int8: 20,
  numeric: 1700,
  money: 790,
  xid8: 5069,
  date: 1082,
  time: 1083,
  timetz: 1266,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186
} as const

/** Date/time text in UTC from PostgreSQL ('2024-01-02 03:04:05.123+00') to ISO 8601 ('...T...Z'). */
export function isoTimestamp (text: string): string {
  if (text === 'infinity' || text === '-infinity') return text
  return text.replace(' ', 'T').replace(/\+00(:00)?$/, 'Z')
}

/** The parser applied to each text-kept type, shared by both engines so results match exactly. */
export function textTypeParser (oid: number): ((value: string) => string) | undefined {
  switch (oid) {
    case TEXT_TYPES.timestamp:
    case TEXT_TYPES.timestamptz:
      return isoTimestamp
    case TEXT_TYPES.int8:
    case TEXT_TYPES.numeric:
    case TEXT_TYPES.money:
    case TEXT_TYPES.xid8:
    case TEXT_TYPES.date:
    case TEXT_TYPES.time:
    case TEXT_TYPES.timetz:
    case TEXT_TYPES.interval:
      return (v: string) => v
    default:
      return undefined
  }
}
