import type { Queryable } from '../db/database'
import { StreamConfigError } from './errors'
import type { Horizon, HorizonRead } from './horizon'
import { afterPosition, endKey, limitedCount, SourcePlan, where } from './source'
import type { Position } from './types'

/** Rows whose transaction id is below the xmin of the reading snapshot: every older writer has ended. */
const BELOW = (tx: string): string => `${tx} < pg_snapshot_xmin(pg_current_snapshot())`

/**
 * A read that also says how far it looked, in one statement (so from one snapshot): the horizon
 * (the snapshot's xmin) is taken once, the newest row after the position below it is the scan's
 * end, and the read (filter included, at most $limit rows) runs below the same horizon. Rows below
 * an xmin are final (every transaction that could add one has ended), so when the read returns
 * fewer rows than its limit no row up to the end can pass the filter later. The read is a LATERAL
 * subquery of a one-row relation: a nested loop, which returns the read's rows in its ORDER BY.
 * Every name of the outer query starts with __fs_, so a filter cannot bind to one by mistake.
 */
function scanningRead (plan: SourcePlan, cond: string[], limitParam: number): string {
  const s = plan.sql
  const below = `${s.positions[0]} < h.__fs_horizon`
  const ends = s.positions.map((p, i) => `${p}::text AS ${endKey(i)}`).join(', ')
  const endCond = [...cond, below].join(' AND ')
  return `SELECT r.*, ${s.positions.map((_, i) => `e.${endKey(i)}`).join(', ')} ` +
    'FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS __fs_horizon) AS h ' +
    `LEFT JOIN LATERAL (SELECT ${ends} FROM ${s.from} WHERE ${endCond} ORDER BY ${s.orderDesc} LIMIT 1) AS e ON true ` +
    `LEFT JOIN LATERAL (SELECT ${s.list} FROM ${s.from} ${where(s, [...cond, below])} ORDER BY ${s.order} ` +
    `LIMIT $${limitParam}) AS r ON true`
}

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
  private readonly endKeys: string[]

  constructor (private readonly plan: SourcePlan) {
    const s = plan.sql
    const w = plan.width
    const tx = s.positions[0]
    const horizon = BELOW(tx)
    // Each condition on the transaction id is stated as a range of it (a lower and an upper bound
    // of the first column), which changes no result: the row comparison implies the lower bound,
    // and a row the snapshot sees has a transaction id below its xmax. Two bounds are what the
    // planner estimates as a narrow range (0.5%) without statistics; a row comparison and a bound
    // on a function are each a third of the table to it. On a table never analysed (a new
    // journal) it then scanned the whole index of a column the filter names (fix_in's msg_type)
    // instead of the few entries after the position (docs/performance.md, 4 December 2026).
    // A held-back check follows a read that returned fewer rows than its limit, so every row it
    // finds was beyond that read's horizon. It asks for rows committed now, not only for rows still
    // beyond the horizon: when the older transaction ends between the read and the check, the row
    // is readable and the tail must read it at once, not nap as if nothing were there.
    // With no position the range starts at the first transaction id, so it is still a range.
    const committed = `${tx} < pg_snapshot_xmax(pg_current_snapshot())`
    const after = plan.width === 1 ? afterPosition(s, 1) : `${afterPosition(s, 1)} AND ${tx} >= $1::${s.casts[0]}`
    this.endKeys = s.positions.map((_, i) => endKey(i))
    this.readAfter = scanningRead(plan, [after], w + 1)
    this.readFirst = scanningRead(plan, [], 1)
    // Every statement that carries the filter binds a value (here the limit), so node-postgres
    // sends it through the extended protocol, which runs one statement only: a filter that got
    // past checkFilter still cannot start a second statement (issue 22).
    this.countAfter = limitedCount(`${s.from} ${where(s, [after, horizon])}`, w + 1)
    this.countAll = limitedCount(`${s.from} ${where(s, [horizon])}`, 1)
    this.headSql = `SELECT ${s.positionText} FROM ${s.from} WHERE ${horizon} ORDER BY ${s.orderDesc} LIMIT 1`
    this.heldAfter = `SELECT 1 AS held FROM ${s.from} ${where(s, [after, committed])} LIMIT $${w + 1}::bigint`
    this.heldFirst = `SELECT 1 AS held FROM ${s.from} ${where(s, [`${tx} >= '0'::xid8`, committed])} LIMIT $1::bigint`
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
          'the audit-streamer help, "A restored database")')
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

  async read (db: Queryable, after: Position | undefined, limit: number): Promise<HorizonRead> {
    const rows = after === undefined
      ? (await db.query(this.readFirst, [limit])).rows
      : (await db.query(this.readAfter, [...after, limit])).rows
    // Every row carries the scan's end (the newest row below the horizon, filter or not) in its last
    // columns, removed here newest first (V8 then keeps the row a fast object). No row passed the
    // filter: the one row left has NULL in every column of the read.
    const keys = this.endKeys
    const first = rows[0] as Record<string, unknown> | undefined
    const end = first === undefined || first[keys[0]] === null ? undefined : keys.map(k => String(first[k]))
    for (const r of rows) for (let i = keys.length - 1; i >= 0; i--) delete r[keys[i]]
    const found = first !== undefined && first[this.plan.positionKeys[0]] !== null ? rows : []
    // A full batch may stop short of the end: the next read goes on from its last row.
    return found.length < limit ? { rows: found, through: end } : { rows: found }
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
