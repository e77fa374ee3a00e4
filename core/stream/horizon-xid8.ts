import type { Queryable } from '../db/database'
import { StreamConfigError } from './errors'
import type { Horizon } from './horizon'
import { afterPosition, limitedCount, SourcePlan, where } from './source'
import type { Position } from './types'

/** Rows whose transaction id is below the xmin of the reading snapshot: every older writer has ended. */
const BELOW = (tx: string): string => `${tx} < pg_snapshot_xmin(pg_current_snapshot())`

/**
 * The xid8 horizon, for a position (transaction id, sequence): a row is readable once its
 * transaction id is below the xmin of the reading snapshot. The horizon is read inside each
 * statement, from that statement's own snapshot, so there is no state to keep between reads.
 */
export class Xid8Horizon implements Horizon {
  readonly mode = 'xid8' as const
  readonly moving = false
  private readonly readAfter: string
  private readonly readFirst: string
  private readonly countAfter: string
  private readonly countAll: string
  private readonly headSql: string
  private readonly heldAfter: string
  private readonly heldFirst: string
  private readonly xidCheck: string

  constructor (private readonly plan: SourcePlan) {
    const s = plan.sql
    const w = plan.width
    const horizon = BELOW(s.positions[0])
    const notYet = `${s.positions[0]} >= pg_snapshot_xmin(pg_current_snapshot())`
    const after = afterPosition(s, 1)
    this.readAfter = `SELECT ${s.list} FROM ${s.from} ${where(s, [after, horizon])} ORDER BY ${s.order} LIMIT $${w + 1}`
    this.readFirst = `SELECT ${s.list} FROM ${s.from} ${where(s, [horizon])} ORDER BY ${s.order} LIMIT $1`
    // Every statement that carries the filter binds a value (here the limit), so node-postgres
    // sends it through the extended protocol, which runs one statement only: a filter that got
    // past checkFilter still cannot start a second statement (issue 22).
    this.countAfter = limitedCount(`${s.from} ${where(s, [after, horizon])}`, w + 1)
    this.countAll = limitedCount(`${s.from} ${where(s, [horizon])}`, 1)
    this.headSql = `SELECT ${s.positionText} FROM ${s.from} WHERE ${horizon} ORDER BY ${s.orderDesc} LIMIT 1`
    this.heldAfter = `SELECT 1 AS held FROM ${s.from} ${where(s, [after, notYet])} LIMIT $${w + 1}::bigint`
    this.heldFirst = `SELECT 1 AS held FROM ${s.from} ${where(s, [notYet])} LIMIT $1::bigint`
    this.xidCheck = `SELECT (SELECT ${s.positions[0]} FROM ${s.from} ORDER BY ${s.positions[0]} DESC LIMIT 1)::text ` +
      'AS max_tx, pg_snapshot_xmax(pg_current_snapshot())::text AS next_tx'
  }

  /**
   * After a logical restore into a new cluster, transaction ids start lower than the stored
   * ones and new rows would sort before old checkpoints. That is refused here, never skipped.
   */
  async checkDatabase (db: Queryable): Promise<void> {
    const r = await db.query<{ max_tx: string | null, next_tx: string }>(this.xidCheck)
    const { max_tx: maxTx, next_tx: nextTx } = r.rows[0]
    if (maxTx !== null && BigInt(maxTx) >= BigInt(nextTx)) {
      const { schema, name } = this.plan.relation
      throw new StreamConfigError(`"${schema}.${name}" holds transaction id ${maxTx} but ` +
        `this database is only at ${nextTx}: ` +
        'it was restored into a new cluster, so new rows would sort before old ones. Re-baseline the stream (see ' +
          'docs/nodes.md)')
    }
  }

  async checkCheckpoint (db: Queryable, position: Position): Promise<void> {
    const next = (await db.query<{ next: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next'))
      .rows[0].next
    if (BigInt(position[0]) >= BigInt(next)) {
      throw new StreamConfigError(
        `the checkpoint's transaction id ${position[0]} is ahead of this database (${next}): ` +
          'the database was restored into a new cluster; reset the checkpoint'
      )
    }
  }

  async read (db: Queryable, after: Position | undefined, limit: number): Promise<Array<Record<string, unknown>>> {
    return after === undefined
      ? (await db.query(this.readFirst, [limit])).rows
      : (await db.query(this.readAfter, [...after, limit])).rows
  }

  async count (db: Queryable, after: Position | undefined, limit?: number): Promise<number> {
    const cap = limit === undefined ? null : String(limit) // NULL: LIMIT ALL
    const r = after === undefined
      ? await db.query<{ n: string }>(this.countAll, [cap])
      : await db.query<{ n: string }>(this.countAfter, [...after, cap])
    return Number(r.rows[0].n)
  }

  async countForReplay (db: Queryable, after: Position | undefined): Promise<number> {
    return await this.count(db, after)
  }

  async head (db: Queryable): Promise<Position | undefined> {
    const r = await db.query<Record<string, string>>(this.headSql)
    return r.rows.length === 0 ? undefined : Array.from({ length: this.plan.width }, (_, i) => r.rows[0][`p${i}`])
  }

  async heldBack (db: Queryable, after: Position | undefined): Promise<boolean> {
    const r = after === undefined
      ? await db.query(this.heldFirst, ['1'])
      : await db.query(this.heldAfter, [...after, '1'])
    return r.rows.length > 0
  }

  async advance (): Promise<void> {}
}
