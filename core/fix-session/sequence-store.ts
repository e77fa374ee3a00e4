import { Database, Queryable } from '../db/database'
import { claimRow, refused } from '../ha/fence'
import type { Fence } from '../ha/lease'
import type { SequenceState } from './message-store'
import { SessionOwnershipError, StoreTables } from './store-guard'

interface StateRow { next_sender_seq: string, next_target_seq: string, epoch: number, created_at: string }

/**
 * The sequence-number part of the session store (fix_session_state): both next numbers, the
 * epoch and its start. It keeps the last committed state in memory (`state()`); the journals
 * read it to name the values their statements replace and update it after their commit.
 * Invariant: `current` equals the row as of this process's last committed statement.
 *
 * With a fence (several instances, core/ha) every write also requires the row's lease_token to be
 * this holder's token, and load claims the row first: once a newer holder loaded, this one's
 * writes are refused (LeaseLostError), so it can neither journal nor send.
 */
export class SequenceStore {
  private current: SequenceState | undefined

  constructor (
    private readonly db: Database,
    private readonly t: StoreTables,
    readonly sessionName: string,
    private readonly fence?: Fence
  ) {}

  /** Reads the session's state, creating it (1, 1) the first time; claims it when fenced. */
  async load (): Promise<SequenceState> {
    await this.db.query(
      `INSERT INTO ${this.t.state} (session_name) VALUES ($1) ON CONFLICT (session_name) DO NOTHING`,
      [this.sessionName]
    )
    if (this.fence !== undefined) {
      await claimRow(this.db, this.fence,
        { table: this.t.state, keyColumn: 'session_name', key: this.sessionName, leases: this.t.leases })
    }
    return this.remember(await this.read(this.db))
  }

  /**
   * The fencing condition of a statement that updates the state row: adds this holder's token to
   * `params` and returns the SQL to put in the UPDATE's WHERE ('' and nothing added when unfenced,
   * so a single instance runs the same statements as before).
   */
  guard (params: unknown[]): string {
    if (this.fence === undefined) return ''
    params.push(this.fence.token)
    return ` AND lease_token = $${params.length}::bigint`
  }

  /**
   * A write was refused as if the numbers moved: when fenced and a newer holder claimed the row,
   * that is what happened (LeaseLostError, told to the fence's owner); otherwise `err` as it is.
   */
  async explain (err: unknown): Promise<never> {
    if (this.fence !== undefined && err instanceof SessionOwnershipError) {
      const r = await this.db.query<{ lease_token: string | null }>(
        `SELECT lease_token FROM ${this.t.state} WHERE session_name = $1`, [this.sessionName]).catch(() => undefined)
      const token = r?.rows[0]?.lease_token
      if (token !== undefined && token !== this.fence.token) {
        throw refused(this.fence, `session "${this.sessionName}" was claimed by a newer holder (token ${token})`)
      }
    }
    throw err
  }

  /** Moves the next sender seq, only from the value this process last committed. */
  async advanceSender (next: number): Promise<void> {
    const s = this.state()
    await this.move('next_sender_seq', next, s.nextSenderSeq, s.epoch)
    s.nextSenderSeq = next
  }

  /** Moves the next target seq, only from the value this process last committed. */
  async advanceTarget (next: number): Promise<void> {
    const s = this.state()
    await this.move('next_target_seq', next, s.nextTargetSeq, s.epoch)
    s.nextTargetSeq = next
  }

  /** Sets either or both next sequence numbers (operator control: unconditional). */
  async setNext (sender?: number, target?: number): Promise<SequenceState> {
    for (const v of [sender, target]) {
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) {
        throw new RangeError(`a sequence number must be a whole number >= 1, not ${String(v)}`)
      }
    }
    const params: unknown[] = [this.sessionName, sender ?? null, target ?? null]
    const fenced = this.guard(params)
    const r = await this.db.query(
      `UPDATE ${this.t.state} SET next_sender_seq = COALESCE($2, next_sender_seq), next_target_seq = COALESCE($3,
        next_target_seq),
         updated_at = clock_timestamp() WHERE session_name = $1${fenced}`,
      params
    )
    if (r.rowCount !== 1 && this.fence !== undefined) await this.explain(new SessionOwnershipError(this.sessionName))
    return this.remember(await this.read(this.db))
  }

  /** Both sequence numbers back to 1, a new epoch and creation time. */
  async reset (): Promise<SequenceState> {
    const params: unknown[] = [this.sessionName]
    const fenced = this.guard(params)
    const r = await this.db.query(
      `UPDATE ${this.t.state} SET next_sender_seq = 1, next_target_seq = 1, epoch = epoch + 1,
        created_at = clock_timestamp(),
         updated_at = clock_timestamp() WHERE session_name = $1${fenced}`,
      params
    )
    if (r.rowCount !== 1 && this.fence !== undefined) await this.explain(new SessionOwnershipError(this.sessionName))
    return this.remember(await this.read(this.db))
  }

  /** The state as last committed (the journals' statements name these values). */
  state (): SequenceState {
    if (this.current === undefined) throw new Error('the message store was not loaded')
    return this.current
  }

  private remember (s: SequenceState): SequenceState {
    this.current = s
    return { ...s }
  }

  private async read (q: Queryable): Promise<SequenceState> {
    const r = await q.query<StateRow>(
      `SELECT next_sender_seq, next_target_seq, epoch, created_at FROM ${this.t.state} WHERE session_name = $1`,
      [this.sessionName]
    )
    if (r.rows.length === 0) throw new Error(`session "${this.sessionName}" has no state row`)
    const x = r.rows[0]
    return {
      nextSenderSeq: Number(x.next_sender_seq),
      nextTargetSeq: Number(x.next_target_seq),
      epoch: Number(x.epoch),
      createdAt: new Date(x.created_at)
    }
  }

  private async move (column: 'next_sender_seq' | 'next_target_seq', next: number, from: number, epoch: number):
  Promise<void> {
    const params: unknown[] = [this.sessionName, next, from, epoch]
    const fenced = this.guard(params)
    const r = await this.db.query(
      `UPDATE ${this.t.state} SET ${column} = $2, updated_at = clock_timestamp()
      WHERE session_name = $1 AND ${column} = $3 AND epoch = $4${fenced}`,
      params
    )
    if (r.rowCount !== 1) await this.explain(new SessionOwnershipError(this.sessionName))
  }
}
