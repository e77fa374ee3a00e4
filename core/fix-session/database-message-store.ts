import { Database, Queryable } from '../db/database'
import { quoteIdent } from '../db/identifiers'
import {
  DuplicateOriginError,
  InboundRecord,
  JournalEntry,
  MessageStore,
  originKey,
  OutboundRecord,
  SequenceState,
  StreamOrigin
} from './message-store'

interface StateRow { next_sender_seq: string, next_target_seq: string, epoch: number, created_at: string }

/** Text of the deliberate cast error that aborts a statement when the state row moved under us. */
const OWNERSHIP_MARK = 'fix session state changed by another process'

function rethrow (err: unknown, session: string): never {
  if (String((err as Error)?.message ?? '').includes(OWNERSHIP_MARK)) throw new SessionOwnershipError(session)
  const e = err as { code?: string, constraint?: string, message?: string }
  // unique_violation on the journal's origin key (PGlite may not name the constraint: its message does).
  if (
    e?.code === '23505' &&
    (e.constraint === 'fix_out_stream_position' || String(e.message ?? '').includes('fix_out_stream_position'))
  ) { throw new DuplicateOriginError(err) }
  throw err
}

/** Raised when another process moved this session's sequence numbers under us. */
export class SessionOwnershipError extends Error {
  constructor (session: string) {
    super(`the sequence numbers of session "${session}" were changed by someone else (is the session running twice?)`)
    this.name = 'SessionOwnershipError'
  }
}

/**
 * MessageStore on the pack's tables (migrations 30-32): fix_session_state, fix_in, fix_out.
 * The session runs its calls one at a time; the state updates also check the value they
 * replace, so a second process driving the same session fails loudly instead of interleaving.
 */
export class DatabaseMessageStore implements MessageStore {
  private readonly t: { state: string, in: string, out: string }
  private current: SequenceState | undefined

  constructor (private readonly db: Database, schema: string, readonly sessionName: string) {
    const s = quoteIdent(schema, 'schema')
    this.t = { state: `${s}.fix_session_state`, in: `${s}.fix_in`, out: `${s}.fix_out` }
  }

  async load (): Promise<SequenceState> {
    await this.db.query(
      `INSERT INTO ${this.t.state} (session_name) VALUES ($1) ON CONFLICT (session_name) DO NOTHING`,
      [this.sessionName]
    )
    return this.remember(await this.read(this.db))
  }

  async findSent (origin: StreamOrigin): Promise<number | undefined> {
    const r = await this.db.query<{ msg_seq_num: string }>(
      `SELECT msg_seq_num FROM ${this.t.out} WHERE session_name = $1 AND client_name = $2 AND stream_position = $3`,
      [this.sessionName, origin.client, origin.position])
    return r.rows.length > 0 ? Number(r.rows[0].msg_seq_num) : undefined
  }

  async recordSent (rec: OutboundRecord): Promise<boolean> {
    const state = this.state()
    // One statement, so one round trip and atomic on its own: the journal row, and the sender
    // seq only if the row went in. If the seq was moved by someone else, the failing cast aborts
    // the whole statement (journal row included); concat() keeps the planner from folding it early.
    const r = await this.db.query<{ inserted: boolean }>(
      `WITH ins AS (
         INSERT INTO ${this.t.out} (session_name, epoch, msg_seq_num, msg_type, cl_ord_id, sent_at, body, raw,
           client_name, stream_position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (session_name, client_name, stream_position) DO NOTHING RETURNING 1),
       upd AS (
         UPDATE ${this.t.state} SET next_sender_seq = $3 + 1, updated_at = clock_timestamp()
         WHERE session_name = $1 AND next_sender_seq = $3 AND epoch = $2 AND EXISTS (SELECT 1 FROM ins) RETURNING 1)
       SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) AND NOT EXISTS (SELECT 1 FROM upd)
         THEN CAST(concat('${OWNERSHIP_MARK} ', (SELECT count(*) FROM upd)) AS integer) = 0 ELSE EXISTS (SELECT 1
           FROM ins) END AS inserted`,
      [this.sessionName, state.epoch, rec.seq, rec.msgType, rec.clOrdID ?? null, rec.sentAt.toISOString(), rec.body,
        rec.raw,
        rec.origin?.client ?? null, rec.origin?.position ?? null]).catch(err => rethrow(err, this.sessionName))
    const inserted = r.rows[0]?.inserted === true
    if (inserted) state.nextSenderSeq = rec.seq + 1
    return inserted
  }

  async recordSentBatch (recs: OutboundRecord[]): Promise<void> {
    if (recs.length === 0) return
    const state = this.state()
    const first = recs[0].seq
    const last = recs[recs.length - 1].seq
    if (first !== state.nextSenderSeq || recs.some((r, i) => r.seq !== first + i)) {
      throw new Error('journal batch is not consecutive from the next sender seq')
    }
    const params: unknown[] = [this.sessionName, state.epoch, first, last + 1]
    const rows: string[] = []
    for (const rec of recs) {
      const p = params.length
      rows.push(`($1, $2, $${p + 1}::bigint, $${p + 2}::text, $${p + 3}::text, $${p + 4}::timestamptz, ` +
        `$${p + 5}::text, $${p + 6}::text, $${p + 7}::text, $${p + 8}::text)`)
      params.push(
        rec.seq,
        rec.msgType,
        rec.clOrdID ?? null,
        rec.sentAt.toISOString(),
        rec.body,
        rec.raw,
        rec.origin?.client ?? null,
        rec.origin?.position ?? null
      )
    }
    // One statement (atomic): the journal rows and the sender seq; a repeated origin is a unique
    // violation and a moved state row the failing cast, either way nothing is written.
    await this.db.query(
      `WITH upd AS (
         UPDATE ${this.t.state} SET next_sender_seq = $4, updated_at = clock_timestamp()
         WHERE session_name = $1 AND next_sender_seq = $3 AND epoch = $2 RETURNING 1),
       ins AS (
         INSERT INTO ${this.t.out} (session_name, epoch, msg_seq_num, msg_type, cl_ord_id, sent_at, body, raw,
           client_name, stream_position)
         VALUES ${rows.join(', ')} RETURNING 1)
       SELECT CASE WHEN EXISTS (SELECT 1 FROM upd) THEN (SELECT count(*) FROM ins)
         ELSE CAST(concat('${OWNERSHIP_MARK} ', (SELECT count(*) FROM upd)) AS bigint) END AS n`,
      params).catch(err => rethrow(err, this.sessionName))
    state.nextSenderSeq = last + 1
  }

  async findSentMany (origins: StreamOrigin[]): Promise<Map<string, number>> {
    const found = new Map<string, number>()
    if (origins.length === 0) return found
    // Two array parameters and an index lookup per pair: the statement text is the same for any
    // batch, and planning stays cheap (an IN list of hundreds of pairs took PostgreSQL longer to
    // plan than the batch took to send).
    const r = await this.db.query<{ client_name: string, stream_position: string, msg_seq_num: string }>(
      `SELECT f.client_name, f.stream_position, f.msg_seq_num
         FROM unnest($2::text[], $3::text[]) AS o (client_name, stream_position)
         JOIN ${this.t.out} f ON f.session_name = $1 AND f.client_name = o.client_name
           AND f.stream_position = o.stream_position`,
      [this.sessionName, origins.map(o => o.client), origins.map(o => o.position)])
    for (const x of r.rows) {
      found.set(originKey({ client: x.client_name, position: x.stream_position }), Number(x.msg_seq_num))
    }
    return found
  }

  async advanceSender (next: number): Promise<void> {
    await this.moveSender(this.db, next)
    this.state().nextSenderSeq = next
  }

  async recordReceived (recs: InboundRecord[], nextTarget: number): Promise<string[]> {
    if (recs.length === 0) return []
    const state = this.state()
    const params: unknown[] = [this.sessionName, nextTarget, state.nextTargetSeq, state.epoch]
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
    // One statement: the fix_in rows (receive_seq in message order) and the target seq commit
    // together; if the state row moved under us the failing cast aborts all of it (see recordSent).
    const r = await this.db.query<{ receive_seq: string | number }>(
      `WITH v (session_name, msg_seq_num, msg_type, sender_comp_id, target_comp_id, cl_ord_id, orig_cl_ord_id,
        poss_dup, sending_time, raw, message, ord)
         AS (VALUES ${rows.join(', ')}),
       upd AS (
         UPDATE ${this.t.state} SET next_target_seq = $2, updated_at = clock_timestamp()
         WHERE session_name = $1 AND next_target_seq = $3 AND epoch = $4 RETURNING 1),
       ins AS (
         INSERT INTO ${this.t.in} (session_name, msg_seq_num, msg_type, sender_comp_id, target_comp_id, cl_ord_id,
           orig_cl_ord_id,
           poss_dup, sending_time, raw, message)
         SELECT session_name, msg_seq_num, msg_type, sender_comp_id, target_comp_id, cl_ord_id, orig_cl_ord_id,
           poss_dup, sending_time, raw, message
         FROM v ORDER BY ord RETURNING receive_seq)
       SELECT CASE WHEN EXISTS (SELECT 1 FROM upd) THEN receive_seq
         ELSE CAST(concat('${OWNERSHIP_MARK} ', (SELECT count(*) FROM upd)) AS bigint) END AS receive_seq
       FROM ins ORDER BY receive_seq`,
      params).catch(err => rethrow(err, this.sessionName))
    state.nextTargetSeq = nextTarget
    return r.rows.map(x => String(x.receive_seq))
  }

  async advanceTarget (next: number): Promise<void> {
    await this.moveTarget(this.db, next)
    this.state().nextTargetSeq = next
  }

  async setNext (sender?: number, target?: number): Promise<SequenceState> {
    for (const v of [sender, target]) {
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) {
        throw new RangeError(`a sequence number must be a whole number >= 1, not ${String(v)}`)
      }
    }
    await this.db.query(
      `UPDATE ${this.t.state} SET next_sender_seq = COALESCE($2, next_sender_seq), next_target_seq = COALESCE($3,
        next_target_seq),
         updated_at = clock_timestamp() WHERE session_name = $1`,
      [this.sessionName, sender ?? null, target ?? null]
    )
    return this.remember(await this.read(this.db))
  }

  async reset (): Promise<SequenceState> {
    await this.db.query(
      `UPDATE ${this.t.state} SET next_sender_seq = 1, next_target_seq = 1, epoch = epoch + 1,
        created_at = clock_timestamp(),
         updated_at = clock_timestamp() WHERE session_name = $1`,
      [this.sessionName]
    )
    return this.remember(await this.read(this.db))
  }

  async sentRange (begin: number, end: number, limit?: number): Promise<JournalEntry[]> {
    const page = limit !== undefined && Number.isSafeInteger(limit) && limit > 0 ? limit : null
    const r = await this.db.query<{ msg_seq_num: string, msg_type: string, sent_at: string, body: string }>(
      `SELECT msg_seq_num, msg_type, sent_at, body FROM ${this.t.out}
       WHERE session_name = $1 AND epoch = $2 AND msg_seq_num BETWEEN $3 AND $4 ORDER BY msg_seq_num, id LIMIT $5`,
      [this.sessionName, this.state().epoch, begin, end, page])
    return r.rows.map(x => ({
      seq: Number(x.msg_seq_num),
      msgType: x.msg_type,
      sentAt: new Date(x.sent_at),
      body: x.body
    }))
  }

  private state (): SequenceState {
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

  private async moveSender (q: Queryable, next: number): Promise<void> {
    const r = await q.query(
      `UPDATE ${this.t.state} SET next_sender_seq = $2, updated_at = clock_timestamp()
      WHERE session_name = $1 AND next_sender_seq = $3 AND epoch = $4`,
      [this.sessionName, next, this.state().nextSenderSeq, this.state().epoch]
    )
    if (r.rowCount !== 1) throw new SessionOwnershipError(this.sessionName)
  }

  private async moveTarget (q: Queryable, next: number): Promise<void> {
    const r = await q.query(
      `UPDATE ${this.t.state} SET next_target_seq = $2, updated_at = clock_timestamp()
      WHERE session_name = $1 AND next_target_seq = $3 AND epoch = $4`,
      [this.sessionName, next, this.state().nextTargetSeq, this.state().epoch]
    )
    if (r.rowCount !== 1) throw new SessionOwnershipError(this.sessionName)
  }
}
