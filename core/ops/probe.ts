import type { EventEmitter } from 'events'

/**
 * Small, defensive readers for the operator console: a value that cannot be read in time or at
 * all becomes a problem text, never an exception that takes the whole picture down.
 */
export class ProbeTimeoutError extends Error {
  constructor (what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`)
    this.name = 'ProbeTimeoutError'
  }
}

/** `p`, or a ProbeTimeoutError after `ms` (the promise itself keeps running and is ignored). */
export async function within<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new ProbeTimeoutError(what, ms)), ms)
      })
    ])
  } finally {
    clearTimeout(timer)
  }
}

export function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

export interface PoolStats { total: number, idle: number, waiting: number }

/** A pg Pool's counters, read from an open database that has one (PGlite has none). */
export function poolStats (db: unknown): PoolStats | undefined {
  const pool = (db as { pool?: { totalCount?: unknown; idleCount?: unknown; waitingCount?: unknown } } | undefined)
    ?.pool
  if (pool === undefined || typeof pool.totalCount !== 'number') return undefined
  return { total: pool.totalCount, idle: Number(pool.idleCount ?? 0), waiting: Number(pool.waitingCount ?? 0) }
}

const errorCounts = new WeakMap<EventEmitter, { n: number }>()

/**
 * Counts a database connection's failures from the moment it is first watched: each 'retrying'
 * state is one failed connect. Watching twice is harmless.
 */
export function watchConnectionErrors (connection: EventEmitter | undefined): number {
  if (connection === undefined) return 0
  let c = errorCounts.get(connection)
  if (c === undefined) {
    const counter = { n: 0 }
    c = counter
    errorCounts.set(connection, counter)
    connection.on('state', (s: { state?: string }) => { if (s?.state === 'retrying') counter.n++ })
  }
  return c.n
}
