import type { Pool } from 'pg'
import { sleep } from '../support/wait'

/** What the `leases` row went through in one takeover, in ms after the kill on the database's clock. */
export interface TakeoverTrace {
  /** The killed holder's last renewal (negative: before the kill; positive: a renewal landed after it). */
  lastRenewalMs: number | undefined
  /** When the killed holder's lease ran out. */
  expiredMs: number | undefined
  /** When another holder acquired it, and who. */
  acquiredMs: number | undefined
  holder: string | undefined
  /**
   * The longest time between two samples, in ms (about everyMs normally): seconds here mean the harness
   * itself, its database queries or the whole machine stood still, not the instances alone.
   */
  longestGapMs: number
}

interface Row { holder: string, token: string, renewed_at: Date, expires_at: Date, acquired_at: Date }

/**
 * Follows one lease from a kill to its next holder, by sampling its row every `everyMs`: a takeover
 * slower than the lease allows says which part was slow (a renewal after the kill, an expiry later
 * than the lease time, or an acquisition late after the expiry). Timestamps are the database's.
 */
export class LeaseTrace {
  private killedAt: Date | undefined
  private old: Row | undefined
  private taken: Row | undefined
  private stopped = false
  private loop: Promise<void> | undefined
  private longestGapMs = 0

  constructor (private readonly pool: Pool, private readonly table: string, private readonly resource: string,
    private readonly everyMs = 100) {}

  /** Call right before the kill: notes the time and the holder's row, then samples until stop(). */
  async start (): Promise<void> {
    this.killedAt = (await this.pool.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0].t
    this.old = await this.row()
    this.loop = this.sample()
  }

  /** Stops sampling; resolves what was seen. */
  async stop (): Promise<TakeoverTrace> {
    this.stopped = true
    await this.loop
    // The takeover may have come after the last sample: one more look.
    if (this.taken === undefined) this.note(await this.row().catch(() => undefined))
    const since = (d: Date | undefined): number | undefined =>
      d === undefined || this.killedAt === undefined ? undefined : d.getTime() - this.killedAt.getTime()
    return {
      lastRenewalMs: since(this.old?.renewed_at),
      expiredMs: since(this.old?.expires_at),
      acquiredMs: since(this.taken?.acquired_at),
      holder: this.taken?.holder,
      longestGapMs: this.longestGapMs
    }
  }

  private async row (): Promise<Row | undefined> {
    return (await this.pool.query<Row>(
      `SELECT holder, token::text AS token, renewed_at, expires_at, acquired_at FROM ${this.table} WHERE resource = $1`,
      [this.resource])).rows[0]
  }

  private note (r: Row | undefined): void {
    if (r === undefined || this.old === undefined) return
    if (r.token === this.old.token) this.old = r
    else this.taken = r
  }

  private async sample (): Promise<void> {
    let last = Date.now()
    while (!this.stopped && this.taken === undefined) {
      const r = await this.row().catch(() => undefined)
      const now = Date.now()
      this.longestGapMs = Math.max(this.longestGapMs, now - last)
      last = now
      this.note(r)
      await sleep(this.everyMs)
    }
  }
}

/** "lease: last renewal -120 ms, ran out +3880 ms, taken by B +3885 ms (...); samples at most 130 ms apart". */
export function describeTrace (t: TakeoverTrace): string {
  const ms = (x: number | undefined): string => x === undefined ? '?' : `${x >= 0 ? '+' : ''}${x} ms`
  return `lease: last renewal ${ms(t.lastRenewalMs)}, ran out ${ms(t.expiredMs)}, ` +
    `taken by ${t.holder ?? '?'} ${ms(t.acquiredMs)} (from the kill, database clock); ` +
    `samples at most ${t.longestGapMs} ms apart`
}
