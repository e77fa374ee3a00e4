import { Database, Queryable } from '../db/database'
import { claimRow, refused } from '../ha/fence'
import type { Fence } from '../ha/lease'
import type { SequenceState } from './message-store'
import { ownershipAbort, rethrowStoreError, SessionOwnershipError, StoreTables } from './store-guard'

interface StateRow { next_sender_seq: string, next_target_seq: string, epoch: number, created_at: string }

/**
 * The sequence-number part of the session store: both next numbers, the epoch and its start, in
 * one row per side (migration 72): fix_session_target (target seq, epoch, start, lease token)
 * and fix_session_sender (sender seq, the same epoch, lease token), read together through the
 * view fix_session_state. A commit of inbound messages moves only the target row and one of
 * outbound messages only the sender row, so the two never wait for each other's row lock; a
 * reset or an operator's change moves both in one statement. It keeps the last committed state in
 * memory (`state()`); the journals read it to name the values their statements replace and update
 * their own side's number after their commit. Invariant: each side's number in `current` equals
 * its row as of this process's last committed statement on that side.
 *
 * With a fence (several instances, core/ha) every write also requires its row's lease_token to be
 * this holder's token, and load claims both rows first: once a newer holder loaded, this one's
 * writes are refused on either side (LeaseLostError), so it can neither journal nor send.
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
      `INSERT INTO ${this.t.target} (session_name) VALUES ($1) ON CONFLICT (session_name) DO NOTHING`,
      [this.sessionName]
    )
    await this.db.query(
      `INSERT INTO ${this.t.sender} (session_name, epoch)
       SELECT session_name, epoch FROM ${this.t.target} WHERE session_name = $1 ON CONFLICT (session_name) DO NOTHING`,
      [this.sessionName]
    )
    if (this.fence !== undefined) {
      for (const table of [this.t.target, this.t.sender]) {
        await claimRow(this.db, this.fence,
          { table, keyColumn: 'session_name', key: this.sessionName, leases: this.t.leases })
      }
    }
    return this.remember(await this.read(this.db))
  }

  /**
   * Reads one side's number afresh (after a write whose COMMIT was lost, retrying-store.ts) and
   * keeps it; the other side's stays as this process last committed it, since that side may have
   * a write in flight meanwhile.
   */
  async reload (side: 'sender' | 'target'): Promise<SequenceState> {
    const s = this.state()
    const fresh = await this.read(this.db)
    if (side === 'sender') s.nextSenderSeq = fresh.nextSenderSeq
    else s.nextTargetSeq = fresh.nextTargetSeq
    return { ...s }
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
      // Either row may be the one claimed first (load claims the target row, then the sender row).
      const r = await this.db.query<{ lease_token: string | null }>(
        `SELECT lease_token FROM ${this.t.target} WHERE session_name = $1
         UNION ALL SELECT lease_token FROM ${this.t.sender} WHERE session_name = $1`, [this.sessionName])
        .catch(() => undefined)
      const token = r?.rows.map(x => x.lease_token).find(t => t !== null && t !== this.fence!.token)
      if (token !== undefined && token !== null) {
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
    // Both rows in one statement: both move or (refused on either) neither.
    return await this.moveBoth(
      `WITH t AS (
         UPDATE ${this.t.target} SET next_target_seq = COALESCE($3, next_target_seq), updated_at = clock_timestamp()
         WHERE session_name = $1${fenced} RETURNING 1),
       s AS (
         UPDATE ${this.t.sender} SET next_sender_seq = COALESCE($2, next_sender_seq), updated_at = clock_timestamp()
         WHERE session_name = $1${fenced} RETURNING 1)
       SELECT CASE WHEN EXISTS (SELECT 1 FROM t) AND EXISTS (SELECT 1 FROM s) THEN 1
         ELSE ${ownershipAbort('s', 'integer')} END AS moved`,
      params
    )
  }

  /** Both sequence numbers back to 1, a new epoch and creation time. */
  async reset (): Promise<SequenceState> {
    const params: unknown[] = [this.sessionName]
    const fenced = this.guard(params)
    // Both rows in one statement, the epoch of both moved together (each side's writes check it).
    return await this.moveBoth(
      `WITH t AS (
         UPDATE ${this.t.target} SET next_target_seq = 1, epoch = epoch + 1, created_at = clock_timestamp(),
           updated_at = clock_timestamp() WHERE session_name = $1${fenced} RETURNING epoch),
       s AS (
         UPDATE ${this.t.sender} SET next_sender_seq = 1, epoch = (SELECT epoch FROM t),
           updated_at = clock_timestamp() WHERE session_name = $1${fenced} AND EXISTS (SELECT 1 FROM t) RETURNING 1)
       SELECT CASE WHEN EXISTS (SELECT 1 FROM s) THEN 1 ELSE ${ownershipAbort('s', 'integer')} END AS moved`,
      params
    )
  }

  /**
   * Runs a statement that moves both rows (or, refused on either, neither) and returns the state it
   * left: a refusal is named (SessionOwnershipError, or with a fence LeaseLostError when a newer holder
   * claimed the session).
   */
  private async moveBoth (text: string, params: unknown[]): Promise<SequenceState> {
    await this.db.query(text, params).catch(async err => {
      try {
        rethrowStoreError(err, this.sessionName)
      } catch (e) {
        if (this.fence !== undefined) await this.explain(e)
        throw e
      }
    })
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
    const table = column === 'next_sender_seq' ? this.t.sender : this.t.target
    const r = await this.db.query(
      `UPDATE ${table} SET ${column} = $2, updated_at = clock_timestamp()
      WHERE session_name = $1 AND ${column} = $3 AND epoch = $4${fenced}`,
      params
    )
    if (r.rowCount !== 1) await this.explain(new SessionOwnershipError(this.sessionName))
  }
}
