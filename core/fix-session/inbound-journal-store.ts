import { Database } from '../db/database'
import type { InboundRecord } from './message-store'
import type { SequenceStore } from './sequence-store'
import { ownershipAbort, rethrowStoreError, StoreTables } from './store-guard'

/**
 * The inbound journal (fix_in): inbound application messages, each with its receive sequence.
 * Invariant: the rows and the target seq past them commit in one statement, and only from the
 * target seq this process last committed (else nothing is written: SessionOwnershipError), so a
 * message is handed on only once it is stored, and stored once.
 */
export class InboundJournalStore {
  constructor (
    private readonly db: Database,
    private readonly t: StoreTables,
    private readonly seq: SequenceStore
  ) {}

  /** Writes consecutive messages (in sequence order) and moves the target seq to `nextTarget`; their receive seqs. */
  async recordReceived (recs: InboundRecord[], nextTarget: number): Promise<string[]> {
    if (recs.length === 0) return []
    const state = this.seq.state()
    const sessionName = this.seq.sessionName
    const params: unknown[] = [sessionName, nextTarget, state.nextTargetSeq, state.epoch]
    const rows: string[] = []
    for (const rec of recs) {
      const p = params.length
      rows.push(`($1::text, $${p + 1}::bigint, $${p + 2}::text, $${p + 3}::text, $${p + 4}::text, $${p + 5}::text, ` +
        `$${p + 6}::text, $${p + 7}::boolean, $${p + 8}::timestamptz, $${p + 9}::text, $${p + 10}::jsonb, ` +
        `${rows.length})`)
      params.push(
        rec.seq,
        rec.msgType,
        rec.senderCompID,
        rec.targetCompID,
        rec.clOrdID ?? null,
        rec.origClOrdID ?? null,
        rec.possDup,
        rec.sendingTime?.toISOString() ?? null,
        rec.raw,
        rec.message
      )
    }
    const fenced = this.seq.guard(params)
    // One statement: the fix_in rows (receive_seq in message order) and the target seq commit
    // together; if the state row moved under us (or a newer lease holder claimed it) the failing
    // cast aborts all of it.
    const r = await this.db.query<{ receive_seq: string | number }>(
      `WITH v (session_name, msg_seq_num, msg_type, sender_comp_id, target_comp_id, cl_ord_id, orig_cl_ord_id,
        poss_dup, sending_time, raw, message, ord)
         AS (VALUES ${rows.join(', ')}),
       upd AS (
         UPDATE ${this.t.state} SET next_target_seq = $2, updated_at = clock_timestamp()
         WHERE session_name = $1 AND next_target_seq = $3 AND epoch = $4${fenced} RETURNING 1),
       ins AS (
         INSERT INTO ${this.t.in} (session_name, msg_seq_num, msg_type, sender_comp_id, target_comp_id, cl_ord_id,
           orig_cl_ord_id,
           poss_dup, sending_time, raw, message)
         SELECT session_name, msg_seq_num, msg_type, sender_comp_id, target_comp_id, cl_ord_id, orig_cl_ord_id,
           poss_dup, sending_time, raw, message
         FROM v ORDER BY ord RETURNING receive_seq)
       SELECT CASE WHEN EXISTS (SELECT 1 FROM upd) THEN receive_seq
         ELSE ${ownershipAbort('upd', 'bigint')} END AS receive_seq
       FROM ins ORDER BY receive_seq`,
      params).catch(err => rethrowStoreError(err, sessionName))
    state.nextTargetSeq = nextTarget
    return r.rows.map(x => String(x.receive_seq))
  }
}
