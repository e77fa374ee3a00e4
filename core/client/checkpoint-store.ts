import { Queryable } from '../db/database'
import { quoteIdent } from '../db/identifiers'
import { claimRow, refused } from '../ha/fence'
import type { Fence } from '../ha/lease'
import { Position, StartAt } from '../stream/types'
import { isStartAt } from './position'

export interface StoredCheckpoint {
  stream: string
  /** Where the client resumes: after its confirmed position, or a pending rewind target. */
  start: StartAt
  updatedAt: string
}

/**
 * The pack's `checkpoints` table, one row per client name. A row holds either the last
 * confirmed position (start_at NULL) or, after a rewind to a point that is not a position yet, the
 * start to use (start_at). Every write is a single committed statement, so a resolved save is
 * durable.
 *
 * With a fence (several instances, core/ha) the client's lease token goes with every write: load
 * claims the row first, and a write to a row claimed by a newer holder is refused with
 * LeaseLostError, so an instance that lost the client can no longer move its checkpoint.
 */
export class CheckpointStore {
  private readonly table: string
  private readonly leases: string

  constructor (private readonly db: Queryable, schema: string, private readonly fence?: Fence) {
    this.table = `${quoteIdent(schema, 'schema')}.checkpoints`
    this.leases = `${quoteIdent(schema, 'schema')}.leases`
  }

  async load (client: string): Promise<StoredCheckpoint | undefined> {
    if (this.fence !== undefined) {
      const target = { table: this.table, keyColumn: 'client_name', key: client, leases: this.leases }
      await claimRow(this.db, this.fence, target)
    }
    const r = await this.db.query<{ stream_name: string, position: unknown, start_at: unknown, updated_at: string }>(
      `SELECT stream_name, position, start_at, updated_at FROM ${this.table} WHERE client_name = $1`, [client])
    if (r.rows.length === 0) return undefined
    const row = r.rows[0]
    let start: StartAt
    if (row.start_at !== null && row.start_at !== undefined) {
      if (!isStartAt(row.start_at)) {
        throw new Error(`checkpoint of client "${client}" has an unreadable start_at: ${JSON.stringify(row.start_at)}`)
      }
      start = row.start_at
    } else {
      const p = row.position
      if (!Array.isArray(p) || !p.every(v => typeof v === 'string')) {
        throw new Error(`checkpoint of client "${client}" has an unreadable position: ${JSON.stringify(p)}`)
      }
      start = { kind: 'after', position: p }
    }
    return { stream: row.stream_name, start, updatedAt: row.updated_at }
  }

  /** Records a confirmed position. */
  async savePosition (client: string, stream: string, position: Position): Promise<void> {
    await this.save(client, stream, position, null)
  }

  /** Records where the client must start next (a rewind, or a first start). */
  async saveStart (client: string, stream: string, start: StartAt): Promise<void> {
    if (start.kind === 'after') return await this.savePosition(client, stream, start.position)
    await this.save(client, stream, [], start)
  }

  /** Forgets the client's checkpoint (a reset). Returns whether one existed. */
  async delete (client: string): Promise<boolean> {
    const token = this.fence?.token ?? null
    const r = await this.db.query(
      `DELETE FROM ${this.table} WHERE client_name = $1 AND ($2::bigint IS NULL OR lease_token IS NULL OR
       lease_token <= $2::bigint)`, [client, token])
    if (r.rowCount === 0 && this.fence !== undefined) await this.checkNotFenced(client)
    return r.rowCount > 0
  }

  private async save (client: string, stream: string, position: Position, start: StartAt | null): Promise<void> {
    // Fenced: the row must carry no token above ours (a newer holder's claim); the row keeps ours.
    const r = await this.db.query(
      `INSERT INTO ${this.table} AS c (client_name, stream_name, position, start_at, updated_at, lease_token)
       VALUES ($1, $2, $3::jsonb, $4::jsonb, clock_timestamp(), $5::bigint)
       ON CONFLICT (client_name) DO UPDATE
       SET stream_name = EXCLUDED.stream_name, position = EXCLUDED.position,
           start_at = EXCLUDED.start_at, updated_at = EXCLUDED.updated_at,
           lease_token = COALESCE(EXCLUDED.lease_token, c.lease_token)
       WHERE EXCLUDED.lease_token IS NULL OR c.lease_token IS NULL OR c.lease_token <= EXCLUDED.lease_token`,
      [client, stream, JSON.stringify(position), start === null ? null : JSON.stringify(start),
        this.fence?.token ?? null])
    if (r.rowCount === 0 && this.fence !== undefined) {
      throw refused(this.fence, `checkpoint of client "${client}" not written: a newer holder claimed it`)
    }
  }

  /** A fenced delete changed nothing: was the row there, claimed by a newer holder? */
  private async checkNotFenced (client: string): Promise<void> {
    const r = await this.db.query<{ lease_token: string | null }>(
      `SELECT lease_token FROM ${this.table} WHERE client_name = $1`, [client])
    if (r.rows.length > 0 && this.fence !== undefined) {
      throw refused(this.fence, `checkpoint of client "${client}" not reset: a newer holder claimed it`)
    }
  }
}
