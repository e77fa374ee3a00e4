/**
 * The insert-only table the streamer-client tests stream through the real Streamer:
 * `<schema>.src (id bigserial, at timestamptz, sym text, qty int)`, positioned by `id` alone
 * (the settled watermark), with `at` as the time column for rewinds to a timestamp.
 */
import { Database, Streamer, StreamerOptions } from '../../core'

/** Creates `<schema>.src` and returns its quoted name. */
export async function createSourceTable (db: Database, schema: string, table = 'src'): Promise<string> {
  await db.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
  await db.query(`CREATE TABLE "${schema}"."${table}" (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT ` +
    'clock_timestamp(), sym text, qty int)')
  return `"${schema}"."${table}"`
}

export async function insertRows (
  db: Database,
  table: string,
  rows: Array<{ sym: string; qty: number; at?: string }>
): Promise<void> {
  for (const r of rows) {
    await db.query(
      `INSERT INTO ${table} (sym, qty, at) VALUES ($1, $2, COALESCE($3::timestamptz, clock_timestamp()))`,
      [r.sym, r.qty, r.at ?? null]
    )
  }
}

/** A real streamer over `<schema>.src`, polling fast so tests do not wait. */
export function sourceStreamer (db: Database, schema: string, options: Partial<StreamerOptions> = {}): Streamer {
  return new Streamer({
    name: 'test-stream',
    database: db,
    table: `${schema}.src`,
    positionColumns: ['id'],
    timeColumn: 'at',
    batchSize: 100,
    pollMs: 50,
    busyPollMs: 10,
    retryInitialMs: 50,
    ...options
  })
}

/** The fields of an `audit-streamer` node over `<schema>.src`, for node tests. */
export function streamerNodeFields (schema: string): Record<string, unknown> {
  return {
    table: `${schema}.src`,
    positionColumns: 'id',
    timeColumn: 'at',
    batchSize: 100,
    listen: false,
    pollInterval: 50,
    output: 'row'
  }
}
