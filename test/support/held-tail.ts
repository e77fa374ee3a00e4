import { Client, ClientConfig } from 'pg'
import type { Database } from '../../core/db'
import { Streamer } from '../../core/stream'
import { eventually } from './wait'
import type { SchemaFixture } from './schema-fixture'
import { Collector } from './stream'

/**
 * The two tables of the held-back specs: `src`, the one streamed, and `other`, which an older
 * transaction writes to hold `src`'s rows back. Both are positioned by (xid8 of the inserting
 * transaction, serial), as a managed audit table is.
 */
export async function createHeldTables (f: SchemaFixture<Database>): Promise<void> {
  for (const name of ['src', 'other']) {
    await f.db.query(`CREATE TABLE "${f.schema}".${name} (seq bigserial PRIMARY KEY,
      tx xid8 NOT NULL DEFAULT pg_current_xact_id(), note text)`)
    await f.db.query(`CREATE INDEX ON "${f.schema}".${name} (tx, seq)`)
  }
}

/**
 * A live tail of `src` through `db` (a view of the fixture's database), closed with the fixture:
 * it polls idle only every minute, so what it reads soon comes from a wake-up, and its held-back
 * polls double from 2 ms up to `busyPollMs`.
 */
export async function liveHeldTail (
  f: SchemaFixture<Database>, db: Database, name: string, busyPollMs: number
): Promise<{ streamer: Streamer, c: Collector }> {
  const s = new Streamer({
    name,
    database: db,
    table: `${f.schema}.src`,
    positionColumns: ['tx', 'seq'],
    batchSize: 50,
    pollMs: 60000,
    busyPollMs,
    retryInitialMs: 50
  })
  f.closing.push(s)
  const c = new Collector()
  s.subscribe({ kind: 'live' }, c)
  await eventually(() => c.phase === 'live', 10000, 'live')
  return { streamer: s, c }
}

/**
 * Runs `use` with `n` sessions of their own on the server (other processes, as the streamer sees
 * them: an older transaction, a writer), and ends them whatever happens.
 */
export async function withSessions<T> (
  config: ClientConfig | undefined, n: number, use: (sessions: Client[]) => Promise<T>
): Promise<T> {
  const sessions: Client[] = []
  try {
    for (let i = 0; i < n; i++) {
      const c = new Client(config)
      await c.connect()
      sessions.push(c)
    }
    return await use(sessions)
  } finally {
    for (const c of sessions) await c.end().catch(() => {})
  }
}
