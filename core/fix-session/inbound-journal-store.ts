import { announceCommit } from '../db/commit-wake'
import { arrayLiteral } from '../db/array-literal'
import { Database } from '../db/database'
import type { InboundRecord } from './message-store'
import type { SequenceStore } from './sequence-store'
import { ownershipAbort, rethrowStoreError, StoreTables } from './store-guard'

/**
 * The inbound journal (fix_in): inbound application messages, each with its receive sequence.
 * Invariant: the rows and the target seq past them commit in one statement, and only from the
 * target seq this process last committed (else nothing is written: SessionOwnershipError), so a
 * message is handed on only once it is stored, and stored once. Each commit is announced to this
 * process's readers of fix_in (core/db/commit-wake.ts) after it resolves.
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
    // One text array per column, so the statement's text is the same for every batch size: the
    // server parses and plans one short statement instead of a VALUES list of ten parameters a row
    // (docs/performance.md, 4 December 2026). Text arrays on both engines; cast in the statement.
    const n = recs.length
    const seqs = new Array<string>(n)
    const types = new Array<string>(n)
    const senders = new Array<string>(n)
    const targets = new Array<string>(n)
    const clOrdIDs = new Array<string | null>(n)
    const origClOrdIDs = new Array<string | null>(n)
    const possDups = new Array<string>(n)
    const times = new Array<string | null>(n)
    const raws = new Array<string>(n)
    const messages = new Array<string | null>(n)
    for (let i = 0; i < n; i++) {
      const rec = recs[i]
      seqs[i] = String(rec.seq)
      types[i] = rec.msgType
      senders[i] = rec.senderCompID
      targets[i] = rec.targetCompID
      clOrdIDs[i] = rec.clOrdID ?? null
      origClOrdIDs[i] = rec.origClOrdID ?? null
      possDups[i] = rec.possDup ? 't' : 'f'
      times[i] = rec.sendingTime?.toISOString() ?? null
      raws[i] = rec.raw
      messages[i] = rec.message
    }
    const params: unknown[] = [sessionName, nextTarget, state.nextTargetSeq, state.epoch,
      // Each column as one array literal (core/db/array-literal.ts: node-postgres's text, made in one pass).
      ...[seqs, types, senders, targets, clOrdIDs, origClOrdIDs, possDups, times, raws, messages].map(arrayLiteral)]
    const fenced = this.seq.guard(params)
    // One statement: the fix_in rows (receive_seq in message order) and the target seq commit
    // together; if the state row moved under us (or a newer lease holder claimed it) the failing
    // cast aborts all of it.
    const r = await this.db.query<{ receive_seq: string | number }>(
      `WITH v AS (
         SELECT * FROM unnest($5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
           $11::boolean[], $12::timestamptz[], $13::text[], $14::jsonb[]) WITH ORDINALITY
           AS v (msg_seq_num, msg_type, sender_comp_id, target_comp_id, cl_ord_id, orig_cl_ord_id, poss_dup,
             sending_time, raw, message, ord)),
       upd AS (
         UPDATE ${this.t.target} SET next_target_seq = $2, updated_at = clock_timestamp()
         WHERE session_name = $1 AND next_target_seq = $3 AND epoch = $4${fenced} RETURNING 1),
       ins AS (
         INSERT INTO ${this.t.in} (session_name, msg_seq_num, msg_type, sender_comp_id, target_comp_id, cl_ord_id,
           orig_cl_ord_id,
           poss_dup, sending_time, raw, message)
         SELECT $1::text, msg_seq_num, msg_type, sender_comp_id, target_comp_id, cl_ord_id, orig_cl_ord_id,
           poss_dup, sending_time, raw, message
         FROM v ORDER BY ord RETURNING receive_seq)
       SELECT CASE WHEN EXISTS (SELECT 1 FROM upd) THEN receive_seq
         ELSE ${ownershipAbort('upd', 'bigint')} END AS receive_seq
       FROM ins ORDER BY receive_seq`,
      params).catch(err => rethrowStoreError(err, sessionName))
    state.nextTargetSeq = nextTarget
    // Committed (one statement, outside any transaction): this process's fix_in streams read now
    // instead of at their next poll.
    announceCommit(this.db, this.t.inName)
    return r.rows.map(x => String(x.receive_seq))
  }
}
