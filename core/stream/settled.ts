import type { Queryable } from '../db/database'

/**
 * The settled watermark for tables with only a sequence column. A candidate is the newest
 * sequence value L together with the virtual transactions running at that moment; once none
 * of them is left, every row with a value <= L is final (committed or rolled back), because any
 * transaction holding such a value had begun before L was read. One statement reads both, so L
 * always comes from a snapshot taken no later than the lock list.
 */
export class SettledWatermark {
  /** Every row at or below this value is final; undefined until the first candidate settles. */
  safe: bigint | undefined
  private pending: { l: bigint, vxids: string[] } | undefined

  /** `candidateSql` reads the newest sequence value (l) and the virtual transactions running now (v). */
  constructor (private readonly candidateSql: string) {}

  /**
   * One step: settles the pending candidate if its transactions have ended, and takes a new
   * candidate when none is pending. Returns true when `safe` moved.
   */
  async advance (db: Queryable): Promise<boolean> {
    // Callers (the live tail, replays, head) share one step at a time.
    if (this.stepping === undefined) this.stepping = this.step(db).finally(() => { this.stepping = undefined })
    return await this.stepping
  }

  private stepping: Promise<boolean> | undefined

  private async step (db: Queryable): Promise<boolean> {
    const before = this.safe
    if (this.pending !== undefined) {
      const r = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'virtualxid' AND virtualxid = ANY($1::text[])",
        [this.pending.vxids]
      )
      if (r.rows[0].n === 0) {
        this.settle(this.pending.l)
        this.pending = undefined
      }
    }
    if (this.pending === undefined) {
      const r = await db.query<{ l: string | null, v: string[] }>(this.candidateSql)
      if (r.rows.length !== 1) {
        throw new Error(
          `settled watermark: expected one row, got ${r.rows.length}: ${JSON.stringify(r.rows).slice(0, 200)}`
        )
      }
      const l = r.rows[0].l === null ? undefined : BigInt(r.rows[0].l)
      const vxids = r.rows[0].v ?? []
      if (l !== undefined && (this.safe === undefined || l > this.safe)) {
        if (vxids.length === 0) this.settle(l)
        else this.pending = { l, vxids }
      }
    }
    return this.safe !== before
  }

  /** The candidate waiting for older transactions to end, if any. */
  get candidate (): bigint | undefined {
    return this.pending?.l
  }

  /** True while a candidate waits for older transactions (poll again soon). */
  get waiting (): boolean {
    return this.pending !== undefined
  }

  private settle (l: bigint): void {
    if (this.safe === undefined || l > this.safe) this.safe = l
  }
}
