/**
 * A small, real, table-backed StreamSource for tests, until the audit-table streamer (issue 3)
 * is merged: keyset reads over a bigint `id` of a table with an `at timestamptz` column, polled.
 * It is only as gap-free as single-writer tests need (no xid horizon); never ship it.
 */
import { Database, Position, StartAt, StreamRow, StreamSource, Subscriber, Subscription } from '../../core'

export interface TableStreamOptions {
  name?: string
  batch?: number
  pollMs?: number
  initialStart?: StartAt
}

export class TableStream implements StreamSource {
  readonly name: string
  readonly initialStart: StartAt | undefined
  /** Rows read from the table, over all subscriptions (shows back-pressure in tests). */
  read = 0
  private readonly subs = new Set<{ close: () => Promise<void> }>()

  constructor (private readonly db: Database, private readonly table: string, private readonly opts: TableStreamOptions = {}) {
    this.name = opts.name ?? 'test-stream'
    this.initialStart = opts.initialStart
  }

  async head (): Promise<Position | undefined> {
    const r = await this.db.query<{ id: string | null }>(`SELECT max(id) AS id FROM ${this.table}`)
    return r.rows[0].id === null ? undefined : [r.rows[0].id]
  }

  subscribe (start: StartAt, subscriber: Subscriber): Subscription {
    let stopped = false
    let last: Position | undefined
    let wake: (() => void) | undefined
    const loop = (async () => {
      subscriber.onState?.({ phase: 'starting' })
      let after = await this.startId(start)
      let live = false
      while (!stopped) {
        const r = await this.db.query<Record<string, unknown> & { id: string }>(
          `SELECT * FROM ${this.table} WHERE id > $1 ORDER BY id LIMIT $2`, [after, this.opts.batch ?? 100])
        if (stopped) break
        if (r.rows.length === 0) {
          if (!live) { live = true; subscriber.onState?.({ phase: 'live' }) }
          await new Promise<void>(resolve => { wake = resolve; setTimeout(resolve, this.opts.pollMs ?? 20) })
          continue
        }
        if (!live && after === '0' && start.kind !== 'after') subscriber.onState?.({ phase: 'replaying', delivered: 0, remaining: undefined })
        this.read += r.rows.length
        const rows: StreamRow[] = r.rows.map(row => ({ stream: this.name, position: [row.id], replay: !live, row }))
        await subscriber.deliver(rows)
        after = r.rows[r.rows.length - 1].id
        last = [after]
      }
    })()
    const sub = {
      get position () { return last },
      close: async () => {
        stopped = true
        wake?.()
        this.subs.delete(sub)
        await loop.catch(() => {})
        subscriber.onState?.({ phase: 'closed' })
      }
    }
    this.subs.add(sub)
    loop.catch(err => subscriber.onState?.({ phase: 'failed', error: String(err) }))
    return sub
  }

  /** Closes every subscription, as a redeployed streamer does. */
  async closeAll (): Promise<void> {
    await Promise.all([...this.subs].map(async s => await s.close()))
  }

  private async startId (start: StartAt): Promise<string> {
    switch (start.kind) {
      case 'beginning': return '0'
      case 'after': return start.position[0]
      case 'live': return (await this.head())?.[0] ?? '0'
      case 'timestamp': {
        const r = await this.db.query<{ id: string | null }>(`SELECT min(id) - 1 AS id FROM ${this.table} WHERE at >= $1`, [start.at])
        return r.rows[0].id ?? (await this.head())?.[0] ?? '0'
      }
    }
  }
}

/** Creates `<schema>.src (id bigserial, at timestamptz, sym text, qty int)` and returns its quoted name. */
export async function createSourceTable (db: Database, schema: string, table = 'src'): Promise<string> {
  await db.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
  await db.query(`CREATE TABLE "${schema}"."${table}" (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), sym text, qty int)`)
  return `"${schema}"."${table}"`
}

export async function insertRows (db: Database, table: string, rows: Array<{ sym: string, qty: number, at?: string }>): Promise<void> {
  for (const r of rows) {
    await db.query(`INSERT INTO ${table} (sym, qty, at) VALUES ($1, $2, COALESCE($3::timestamptz, clock_timestamp()))`, [r.sym, r.qty, r.at ?? null])
  }
}
