/**
 * The work the database does per order, which does not depend on how loaded the machine is: commits
 * (pg_stat_database.xact_commit), WAL flushes (pg_stat_wal.wal_sync) and, where the server loaded
 * pg_stat_statements, statements by text.
 * Measured from the start of the sustained phase until its backlog has drained, so every order of the
 * phase has completed its whole path (the inbound half of the round trip included) and nothing else.
 * The bench's own polling (the lowest unfilled order every 0.2 s, bench/_filled.ts) is in the figures
 * and named in the list.
 */
import type { Client } from 'pg'

export interface WorkMark {
  commits: number
  /** The server's WAL flushes so far (all databases, the WAL writer's included); undefined before PostgreSQL 14. */
  walSyncs?: number
  /**
   * The time those flushes took so far (pg_stat_wal.wal_sync_time, ms), when the reading session has
   * track_wal_io_timing on: the server counts a flush's time only when the backend that flushes has it on.
   */
  walSyncMs?: number
  /** When the mark was taken (ms). */
  at: number
  statements?: Map<string, number>
}

async function hasStatements (db: Client): Promise<boolean> {
  try {
    await db.query('SELECT 1 FROM pg_stat_statements LIMIT 1')
    return true
  } catch {
    return false
  }
}

async function walSyncs (db: Client): Promise<{ n?: number, ms?: number }> {
  try {
    const r = await db.query<{ n: string, ms: string, timed: string }>(
      "SELECT wal_sync::text AS n, wal_sync_time::text AS ms, current_setting('track_wal_io_timing') AS timed " +
      'FROM pg_stat_wal')
    const row = r.rows[0]
    return { n: Number(row.n), ms: row.timed === 'on' ? Number(row.ms) : undefined }
  } catch {
    return {}
  }
}

/**
 * WAL flushes per order between two marks, and per second: each is an fdatasync of the WAL that a
 * committing transaction waits for (with synchronous_commit=on), so their rate is the load on the
 * disk that a commit's latency depends on. Undefined where the server has no pg_stat_wal. Each backend
 * hands its counts to pg_stat_wal when idle, at most once a second, so a mark can miss about the last
 * second of a busy backend's flushes: read over a phase and its drain, that is a few percent.
 * Where both marks have the flushes' time, also how long one took and the share of the interval the
 * server spent flushing: every commit of a fixed-rate phase waits for whole flushes, so its latency
 * moves with that time, which differs from run to run and is mostly not the device's own on the
 * bench's virtual machine (docs/performance.md, sessions 35 and 36).
 */
export function walFlushes (a: WorkMark, b: WorkMark, orders: number): string | undefined {
  if (a.walSyncs === undefined || b.walSyncs === undefined) return undefined
  const n = b.walSyncs - a.walSyncs
  const secs = Math.max(0.001, (b.at - a.at) / 1000)
  const count = `${(n / Math.max(1, orders)).toFixed(2)} per order (${Math.round(n / secs).toLocaleString('en-US')}/s`
  if (a.walSyncMs === undefined || b.walSyncMs === undefined) {
    return `${count}; their time not counted: track_wal_io_timing off)`
  }
  if (n === 0) return `${count})`
  const ms = b.walSyncMs - a.walSyncMs
  return `${count}, ${(ms / n).toFixed(2)} ms each, flushing ${(ms / (secs * 10)).toFixed(0)}% of the time)`
}

/** Where the database's counters stand now. */
export async function workMark (db: Client): Promise<WorkMark> {
  const c = await db.query<{ n: string }>(
    'SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()')
  const wal = await walSyncs(db)
  const mark: WorkMark = { commits: Number(c.rows[0].n), walSyncs: wal.n, walSyncMs: wal.ms, at: Date.now() }
  if (await hasStatements(db)) {
    const r = await db.query<{ q: string, n: string }>(
      'SELECT query AS q, sum(calls)::text AS n FROM pg_stat_statements ' +
        'WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY query')
    mark.statements = new Map(r.rows.map(x => [x.q, Number(x.n)]))
  }
  return mark
}

/** Commits and statements per order between two marks, with the statements that ran most often. */
export function workLines (a: WorkMark, b: WorkMark, orders: number, top = 12): string[] {
  const per = (n: number): string => (n / Math.max(1, orders)).toFixed(3)
  const lines = [`commits per order: ${per(b.commits - a.commits)} (all sessions of the database)`]
  if (a.statements === undefined || b.statements === undefined) {
    lines.push('statements per order: - (the server has no pg_stat_statements loaded)')
    return lines
  }
  const deltas = [...b.statements]
    .map(([q, n]) => [q, n - (a.statements!.get(q) ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort((x, y) => y[1] - x[1])
  const all = deltas.reduce((s, [, n]) => s + n, 0)
  lines.push(`statements per order: ${per(all)}; the most frequent:`)
  for (const [q, n] of deltas.slice(0, top)) {
    lines.push(`  ${per(n)}  ${q.replace(/\s+/g, ' ').slice(0, 110)}`)
  }
  return lines
}
