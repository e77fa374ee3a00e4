import { arrayLiteral } from '../db/array-literal'
import { Database } from '../db/database'
import { journaledBody, storedBody } from './journal-body'
import { JournalEntry, originKey, OutboundRecord, StreamOrigin } from './message-store'
import type { SequenceStore } from './sequence-store'
import { ownershipAbort, rethrowStoreError, StoreTables } from './store-guard'

/** A row of sentRange: the body in its own column (rows before migration 33) or its length in raw. */
interface JournalRow {
  msg_seq_num: string
  msg_type: string
  sent_at: string
  body: string | null
  body_length: number | null
  raw: string
}

/**
 * The outbound journal (fix_out): what resend reads and what makes a stream position go out
 * once. Invariant: a journal row and the sender seq past it commit in one statement, and only
 * from the sender seq this process last committed (else the statement aborts: SessionOwnershipError);
 * an origin (streamer client, stream position) is journaled at most once per session (unique key).
 */
export class OutboundJournalStore {
  constructor (
    private readonly db: Database,
    private readonly t: StoreTables,
    private readonly seq: SequenceStore
  ) {}

  private get sessionName (): string { return this.seq.sessionName }

  /** The sequence number under which `origin` was already sent, or undefined. */
  async findSent (origin: StreamOrigin): Promise<number | undefined> {
    const r = await this.db.query<{ msg_seq_num: string }>(
      `SELECT msg_seq_num FROM ${this.t.out} WHERE session_name = $1 AND client_name = $2 AND stream_position = $3`,
      [this.sessionName, origin.client, origin.position])
    return r.rows.length > 0 ? Number(r.rows[0].msg_seq_num) : undefined
  }

  /** Journals one message and moves the sender seq past it; false (nothing written) if its origin is journaled. */
  async recordSent (rec: OutboundRecord): Promise<boolean> {
    const state = this.seq.state()
    // One statement, so one round trip and atomic on its own: the journal row, and the sender
    // seq only if the row went in. If the seq was moved by someone else, the failing cast aborts
    // the whole statement (journal row included); so does a newer lease holder's claim (fenced).
    const stored = storedBody(rec.body, rec.raw)
    const params: unknown[] = [this.sessionName, state.epoch, rec.seq, rec.msgType, rec.clOrdID ?? null,
      rec.sentAt.toISOString(), stored.body, rec.raw, rec.origin?.client ?? null, rec.origin?.position ?? null,
      stored.bodyLength]
    const fenced = this.seq.guard(params)
    const r = await this.db.query<{ inserted: boolean }>(
      `WITH ins AS (
         INSERT INTO ${this.t.out} (session_name, epoch, msg_seq_num, msg_type, cl_ord_id, sent_at, body, raw,
           client_name, stream_position, body_length)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (session_name, client_name, stream_position) DO NOTHING RETURNING 1),
       upd AS (
         UPDATE ${this.t.sender} SET next_sender_seq = $3 + 1, updated_at = clock_timestamp()
         WHERE session_name = $1 AND next_sender_seq = $3 AND epoch = $2${fenced} AND EXISTS (SELECT 1 FROM ins)
         RETURNING 1)
       SELECT CASE WHEN EXISTS (SELECT 1 FROM ins) AND NOT EXISTS (SELECT 1 FROM upd)
         THEN ${ownershipAbort('upd', 'integer')} = 0 ELSE EXISTS (SELECT 1
           FROM ins) END AS inserted`,
      params)
      .catch(err => rethrowStoreError(err, this.sessionName))
    const inserted = r.rows[0]?.inserted === true
    if (inserted) state.nextSenderSeq = rec.seq + 1
    return inserted
  }

  /** Journals consecutive messages from the next sender seq and moves it past the last, in one commit. */
  async recordSentBatch (recs: OutboundRecord[]): Promise<void> {
    if (recs.length === 0) return
    const state = this.seq.state()
    const first = recs[0].seq
    const last = recs[recs.length - 1].seq
    if (first !== state.nextSenderSeq || recs.some((r, i) => r.seq !== first + i)) {
      throw new Error('journal batch is not consecutive from the next sender seq')
    }
    // One text array per column, so the statement's text is the same for every batch size: it is
    // prepared once per connection (core/db/statement-cache.ts) instead of a VALUES list of eight
    // parameters a row parsed and planned on every call (docs/performance.md, 4 December 2026).
    const n = recs.length
    const seqs = new Array<string>(n)
    const types = new Array<string>(n)
    const clOrdIDs = new Array<string | null>(n)
    const times = new Array<string>(n)
    const bodies = new Array<string | null>(n)
    const bodyLengths = new Array<string | null>(n)
    const raws = new Array<string>(n)
    const clients = new Array<string | null>(n)
    const positions = new Array<string | null>(n)
    // A batch's messages share one SendingTime (the outbox frames them together): written once.
    let at: number | undefined
    let atText = ''
    for (let i = 0; i < n; i++) {
      const rec = recs[i]
      seqs[i] = String(rec.seq)
      types[i] = rec.msgType
      clOrdIDs[i] = rec.clOrdID ?? null
      const ms = rec.sentAt.getTime()
      if (ms !== at) {
        atText = rec.sentAt.toISOString()
        at = ms
      }
      times[i] = atText
      const stored = storedBody(rec.body, rec.raw)
      bodies[i] = stored.body
      bodyLengths[i] = stored.bodyLength === null ? null : String(stored.bodyLength)
      raws[i] = rec.raw
      clients[i] = rec.origin?.client ?? null
      positions[i] = rec.origin?.position ?? null
    }
    const params: unknown[] = [this.sessionName, state.epoch, first, last + 1,
      // Each column as one array literal (core/db/array-literal.ts: node-postgres's text, made in one pass).
      ...[seqs, types, clOrdIDs, times, bodies, raws, clients, positions, bodyLengths].map(arrayLiteral)]
    // One statement (atomic): the journal rows (ids in sequence order) and the sender seq; a
    // repeated origin is a unique violation and a moved (or newer-claimed) state row the failing
    // cast, either way nothing is written.
    const fenced = this.seq.guard(params)
    await this.db.query(
      `WITH v AS (
         SELECT * FROM unnest($5::bigint[], $6::text[], $7::text[], $8::timestamptz[], $9::text[], $10::text[],
           $11::text[], $12::text[], $13::integer[]) WITH ORDINALITY
           AS v (msg_seq_num, msg_type, cl_ord_id, sent_at, body, raw, client_name, stream_position, body_length,
             ord)),
       upd AS (
         UPDATE ${this.t.sender} SET next_sender_seq = $4, updated_at = clock_timestamp()
         WHERE session_name = $1 AND next_sender_seq = $3 AND epoch = $2${fenced} RETURNING 1),
       ins AS (
         INSERT INTO ${this.t.out} (session_name, epoch, msg_seq_num, msg_type, cl_ord_id, sent_at, body, raw,
           client_name, stream_position, body_length)
         SELECT $1::text, $2::integer, msg_seq_num, msg_type, cl_ord_id, sent_at, body, raw, client_name,
           stream_position, body_length
         FROM v ORDER BY ord RETURNING 1)
       SELECT CASE WHEN EXISTS (SELECT 1 FROM upd) THEN (SELECT count(*) FROM ins)
         ELSE ${ownershipAbort('upd', 'bigint')} END AS n`,
      params).catch(err => rethrowStoreError(err, this.sessionName))
    state.nextSenderSeq = last + 1
  }

  /** Which of these origins are journaled already: key `client\u0000position` -> seq. */
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

  /** Journaled messages of the current epoch with begin <= seq <= end, in seq order; at most `limit`. */
  async sentRange (begin: number, end: number, limit?: number): Promise<JournalEntry[]> {
    const page = limit !== undefined && Number.isSafeInteger(limit) && limit > 0 ? limit : null
    const r = await this.db.query<JournalRow>(
      `SELECT msg_seq_num, msg_type, sent_at, body, body_length, raw FROM ${this.t.out}
       WHERE session_name = $1 AND epoch = $2 AND msg_seq_num BETWEEN $3 AND $4 ORDER BY msg_seq_num, id LIMIT $5`,
      [this.sessionName, this.seq.state().epoch, begin, end, page])
    return r.rows.map(x => {
      const seq = Number(x.msg_seq_num)
      const body = journaledBody(seq, x.body, x.body_length, x.raw)
      return { seq, msgType: x.msg_type, sentAt: new Date(x.sent_at), body }
    })
  }
}
