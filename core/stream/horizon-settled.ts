import type { Queryable } from '../db/database'
import { sleep } from '../util/backoff'
import type { Horizon, HorizonRead } from './horizon'
import { SettledWatermark } from './settled'
import { limitedCount, SourcePlan, where } from './source'
import type { Position } from './types'

/**
 * The settled watermark, for a table with one integer sequence column and no transaction id:
 * a row is readable once its sequence value is at or below the watermark (settled.ts), which
 * this horizon keeps between reads and binds into each statement as `$n`.
 */
export class SettledHorizon implements Horizon {
  readonly mode = 'settled' as const
  private readonly watermark: SettledWatermark
  private readonly readAfter: string
  private readonly readFirst: string
  private readonly countAfter: string
  private readonly countAll: string

  constructor (plan: SourcePlan, private readonly pollMs: number) {
    const s = plan.sql
    const seq = s.positions[0]
    const cast = s.casts[0]
    const afterUpTo = `${s.from} ${where(s, [`${seq} > $1::${cast}`, `${seq} <= $2::${cast}`])}`
    const upTo = `${s.from} ${where(s, [`${seq} <= $1::${cast}`])}`
    this.readAfter = `SELECT ${s.list} FROM ${afterUpTo} ORDER BY ${s.order} LIMIT $3`
    this.readFirst = `SELECT ${s.list} FROM ${upTo} ORDER BY ${s.order} LIMIT $2`
    this.countAfter = limitedCount(afterUpTo, 3)
    this.countAll = limitedCount(upTo, 2)
    // max() ignores NULLs and reads one end of an index on the column; ORDER BY ... DESC NULLS LAST
    // does not match a plain index's order, so it read and sorted the whole table at every poll.
    this.watermark = new SettledWatermark(
      `SELECT (SELECT max(${seq}) FROM ${s.from})::text AS l,
        ARRAY(SELECT l.virtualxid::text FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE l.locktype = 'virtualxid' AND l.pid <> pg_backend_pid() AND l.virtualxid IS NOT NULL
                 AND a.datname = current_database()
                 AND a.backend_type NOT IN ('autovacuum worker', 'autovacuum launcher')) AS v`)
  }

  get moving (): boolean {
    return this.watermark.waiting
  }

  async checkDatabase (): Promise<void> {}

  async checkCheckpoint (): Promise<void> {}

  async advance (db: Queryable): Promise<void> {
    await this.watermark.advance(db)
  }

  async read (db: Queryable, after: Position | undefined, limit: number): Promise<HorizonRead> {
    if (this.watermark.safe === undefined) await this.watermark.advance(db)
    if (this.watermark.safe === undefined) return { rows: [] }
    const upTo = this.watermark.safe.toString()
    const rows = after === undefined
      ? (await db.query(this.readFirst, [upTo, limit])).rows
      : (await db.query(this.readAfter, [after[0], upTo, limit])).rows
    // Fewer rows than asked: every row up to the watermark, which is final, has been looked at.
    return rows.length < limit ? { rows, through: [upTo] } : { rows }
  }

  async count (db: Queryable, after: Position | undefined, limit?: number): Promise<number> {
    await this.watermark.advance(db) // one step, shared with the tail: keeps the watermark fresh
    if (this.watermark.safe === undefined) return 0 // nothing is final yet: nothing to be behind
    return await this.countUpTo(db, after, this.watermark.safe, limit)
  }

  async countForReplay (db: Queryable, after: Position | undefined, stop: AbortSignal): Promise<number> {
    if (this.watermark.safe === undefined) await this.head(db, stop)
    const safe = this.watermark.safe
    return safe === undefined ? 0 : await this.countUpTo(db, after, safe)
  }

  private async countUpTo (db: Queryable, after: Position | undefined, safe: bigint, limit?: number): Promise<number> {
    const cap = limit === undefined ? null : String(limit) // NULL: LIMIT ALL
    const upTo = safe.toString()
    const r = after === undefined
      ? await db.query<{ n: string }>(this.countAll, [upTo, cap])
      : await db.query<{ n: string }>(this.countAfter, [after[0], upTo, cap])
    return Number(r.rows[0].n)
  }

  /**
   * Waits until the newest value seen now is final: not until no candidate is pending, since
   * under continuous writes a new candidate is taken as soon as one settles, and that loop
   * would never end (issue 17: a live start delivered nothing for 78-100 s under load).
   */
  async head (db: Queryable, stop: AbortSignal): Promise<Position | undefined> {
    const w = this.watermark
    await w.advance(db)
    const target = w.candidate
    while (target !== undefined && (w.safe === undefined || w.safe < target) && !stop.aborted) {
      await sleep(this.pollMs, stop)
      await w.advance(db)
    }
    return w.safe === undefined ? undefined : [w.safe.toString()]
  }

  async heldBack (): Promise<boolean> {
    return false // the watermark itself waits for older transactions (moving)
  }
}
