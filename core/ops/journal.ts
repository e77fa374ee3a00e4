import type { Queryable, Statement } from '../db/database'
import { quoteIdent } from '../db/identifiers'
import { FIX_OUT_ORIG_CL_ORD_ID } from '../db/migrations/060-journal-indexes'
import { FIX_OUT_HAS_ORIG_CL_ORD_ID } from '../db/migrations/061-journal-partial-indexes'
import { maskSecretFields } from '../fix-session/session-log'

/**
 * Read model of a session's message journal (fix_in, fix_out) for the operator console: newest
 * first, in keyset pages, filtered by MsgType, ClOrdID/OrigClOrdID, MsgSeqNum range and time
 * range. Each direction is ordered by (time, id) and every filter combination is a range of one
 * index of migrations 60 and 61 (fix_in without a MsgType: one range per MsgType, journalStatement),
 * so a page costs the same at row 10 and at row 10,000,000.
 */
export type Direction = 'in' | 'out'

export interface JournalFilter {
  session: string
  /** 'both' merges the two directions by time (a ClOrdID's whole conversation). */
  direction: Direction | 'both'
  msgType?: string
  /** Matches ClOrdID or OrigClOrdID. */
  clOrdId?: string
  seqFrom?: number
  seqTo?: number
  /** ISO 8601; from inclusive, to exclusive. */
  from?: string
  to?: string
  limit: number
  /** The `next` of the previous page. */
  cursor?: string
}

export interface JournalEntry {
  direction: Direction
  /** receive_seq (in) or id (out): with `direction`, opens the message. */
  id: string
  seq: string
  msgType: string
  clOrdId: string | null
  origClOrdId: string | null
  possDup: boolean
  /** received_at or sent_at, as the database's text (microseconds, UTC). */
  at: string
}

export interface JournalPage {
  entries: JournalEntry[]
  /** Cursor of the next (older) page; undefined on the last page. */
  next?: string
}

export interface JournalMessage extends JournalEntry {
  raw: string
}

export class JournalQueryError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'JournalQueryError'
  }
}

export const MAX_PAGE = 200

/** Per direction: the (time, id) of the last row shown, null before the first page, false when exhausted. */
type SideCursor = [string, string] | null | false
interface Cursor { in: SideCursor, out: SideCursor }

const TABLE = {
  in: {
    table: 'fix_in',
    id: 'receive_seq',
    at: 'received_at',
    orig: 'orig_cl_ord_id',
    possDup: 'poss_dup',
    hasOrig: '',
    // No time index since migration 62: a page without a MsgType is read one MsgType at a time.
    pagesByType: true
  },
  out: {
    table: 'fix_out',
    id: 'id',
    at: 'sent_at',
    orig: FIX_OUT_ORIG_CL_ORD_ID,
    possDup: 'false',
    // The partial index of migration 61 serves the OrigClOrdID search only with its condition stated.
    hasOrig: `${FIX_OUT_HAS_ORIG_CL_ORD_ID} AND `,
    // Its time index stays: fix_out's MsgSeqNum index leads with the epoch, so a MsgSeqNum range read
    // one MsgType at a time took the whole session's entries per type (docs/performance.md, session 16).
    pagesByType: false
  }
} as const

function text (v: unknown, what: string, max = 200): string | undefined {
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v !== 'string' || v.length > max) {
    throw new JournalQueryError(`${what} must be text of at most ${max} characters`)
  }
  return v
}

function seqOf (v: unknown, what: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 1) throw new JournalQueryError(`${what} must be a whole number of at least 1`)
  return n
}

function timeOf (v: unknown, what: string): string | undefined {
  const t = text(v, what, 40)
  if (t === undefined) return undefined
  const ms = Date.parse(t)
  if (Number.isNaN(ms)) throw new JournalQueryError(`${what} is not a date and time: ${JSON.stringify(t)}`)
  return new Date(ms).toISOString()
}

/** Checks and normalises a filter from an HTTP query string; throws JournalQueryError for bad input. */
export function parseJournalFilter (q: Record<string, unknown>): JournalFilter {
  const session = text(q.session, 'session')
  if (session === undefined) throw new JournalQueryError('session is required')
  const direction = q.direction === undefined || q.direction === '' ? 'both' : q.direction
  if (direction !== 'in' && direction !== 'out' && direction !== 'both') {
    throw new JournalQueryError("direction must be 'in', 'out' or 'both'")
  }
  const limit = q.limit === undefined || q.limit === '' ? 50 : Number(q.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new JournalQueryError(`limit must be 1 to ${MAX_PAGE}`)
  }
  const f: JournalFilter = {
    session,
    direction,
    msgType: text(q.msgType, 'MsgType', 30),
    clOrdId: text(q.clOrdId, 'ClOrdID'),
    seqFrom: seqOf(q.seqFrom, 'the first MsgSeqNum'),
    seqTo: seqOf(q.seqTo, 'the last MsgSeqNum'),
    from: timeOf(q.from, 'from'),
    to: timeOf(q.to, 'to'),
    limit,
    cursor: text(q.cursor, 'cursor', 1000)
  }
  if (f.cursor !== undefined) decodeCursor(f.cursor) // reject a bad cursor before any query
  return f
}

function decodeCursor (c: string | undefined): Cursor {
  if (c === undefined) return { in: null, out: null }
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Cursor
    const side = (s: unknown): boolean =>
      s === null || s === false || (Array.isArray(s) && s.length === 2 && s.every(x => typeof x === 'string'))
    if (side(v.in) && side(v.out)) return v
  } catch {}
  throw new JournalQueryError('the page cursor is not valid')
}

function encodeCursor (c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url')
}

/**
 * The page query of one direction: bound values only; the schema is quoted. A filter by MsgType or
 * ClOrdID is a range of its own index. Without either, fix_in's page is read through the MsgType
 * index too (migration 62 dropped fix_in's time index, one btree insert less per inbound row): the
 * session's MsgTypes are found one index descent each (a loose index scan), each type's newest
 * `limit` rows are a range of its index (or of the MsgSeqNum index, as the planner finds cheaper),
 * and the newest `limit` of those are the page: the same rows in the same order as one index on
 * (session, time, id), for a few descents and at most `limit` rows per MsgType.
 */
export function journalStatement (
  schema: string,
  direction: Direction,
  f: JournalFilter,
  after: [string, string] | null
): Statement {
  const t = TABLE[direction]
  const params: unknown[] = [f.session]
  const where = ['session_name = $1']
  const bind = (v: unknown): string => {
    params.push(v)
    return `$${params.length}`
  }
  if (f.msgType !== undefined) where.push(`msg_type = ${bind(f.msgType)}`)
  if (f.clOrdId !== undefined) {
    const p = bind(f.clOrdId)
    where.push(`(cl_ord_id = ${p} OR (${t.hasOrig}${t.orig} = ${p}))`)
  }
  if (f.seqFrom !== undefined) where.push(`msg_seq_num >= ${bind(f.seqFrom)}`)
  if (f.seqTo !== undefined) where.push(`msg_seq_num <= ${bind(f.seqTo)}`)
  if (f.from !== undefined) where.push(`${t.at} >= ${bind(f.from)}::timestamptz`)
  if (f.to !== undefined) where.push(`${t.at} < ${bind(f.to)}::timestamptz`)
  if (after !== null) where.push(`(${t.at}, ${t.id}) < (${bind(after[0])}::timestamptz, ${bind(after[1])}::bigint)`)
  const table = `${quoteIdent(schema, 'schema')}.${t.table}`
  const limit = bind(f.limit)
  const select = `SELECT ${t.id} AS id, msg_seq_num AS seq, msg_type, cl_ord_id, ${t.orig} AS orig_cl_ord_id,
      ${t.possDup} AS poss_dup, ${t.at} AS at
      FROM ${table}`
  const order = `ORDER BY ${t.at} DESC, ${t.id} DESC LIMIT ${limit}`
  if (!t.pagesByType || f.msgType !== undefined || f.clOrdId !== undefined) {
    return { text: `${select}\n      WHERE ${where.join(' AND ')}\n      ${order}`, params }
  }
  return {
    text: `WITH RECURSIVE types (msg_type) AS (
        (SELECT msg_type FROM ${table} WHERE session_name = $1 ORDER BY msg_type LIMIT 1)
        UNION ALL
        SELECT (SELECT x.msg_type FROM ${table} x WHERE x.session_name = $1 AND x.msg_type > types.msg_type
          ORDER BY x.msg_type LIMIT 1)
        FROM types WHERE types.msg_type IS NOT NULL)
      SELECT page.* FROM types CROSS JOIN LATERAL (${select}
        WHERE ${[...where, 'msg_type = types.msg_type'].join(' AND ')}
        ${order}) AS page
      ORDER BY page.at DESC, page.id DESC LIMIT ${limit}`,
    params
  }
}

interface Row {
  id: string
  seq: string
  msg_type: string
  cl_ord_id: string | null
  orig_cl_ord_id: string | null
  poss_dup: boolean
  at: string
}

/** A journal row as the console lists it. */
function entryOf (direction: Direction, x: Row): JournalEntry {
  return {
    direction,
    id: String(x.id),
    seq: String(x.seq),
    msgType: x.msg_type,
    clOrdId: x.cl_ord_id,
    origClOrdId: x.orig_cl_ord_id,
    possDup: x.poss_dup === true,
    at: String(x.at)
  }
}

/** Newer first: by time, then id; between directions an inbound row sorts after an outbound one at the same time. */
function newerFirst (a: JournalEntry, b: JournalEntry): number {
  const ta = Date.parse(a.at)
  const tb = Date.parse(b.at)
  if (ta !== tb) return tb - ta
  if (a.at !== b.at) return a.at < b.at ? 1 : -1
  if (a.direction !== b.direction) return a.direction === 'out' ? -1 : 1
  return BigInt(b.id) > BigInt(a.id) ? 1 : -1
}

/**
 * One page. With direction 'both', each direction is read up to `limit` rows from its own
 * cursor and the two are merged by time; each cursor then moves past only the rows shown, so no
 * row is skipped or shown twice across pages.
 */
export async function readJournal (db: Queryable, schema: string, f: JournalFilter): Promise<JournalPage> {
  const cursor = decodeCursor(f.cursor)
  const sides: Direction[] = f.direction === 'both' ? ['in', 'out'] : [f.direction]
  const fetched: Record<Direction, { rows: JournalEntry[]; full: boolean }> = {
    in: { rows: [], full: false },
    out: { rows: [], full: false }
  }
  for (const d of sides) {
    const c = cursor[d]
    if (c === false) continue
    const st = journalStatement(schema, d, f, c)
    const r = await db.query<Row>(st.text, st.params)
    fetched[d] = {
      rows: r.rows.map(x => entryOf(d, x)),
      full: r.rows.length === f.limit
    }
  }
  const entries = [...fetched.in.rows, ...fetched.out.rows].sort(newerFirst).slice(0, f.limit)
  const next: Cursor = { in: false, out: false }
  let more = false
  for (const d of sides) {
    const shown = entries.filter(e => e.direction === d)
    const last = shown[shown.length - 1]
    const left = fetched[d].rows.length > shown.length || fetched[d].full
    if (cursor[d] === false || !left) continue
    next[d] = last !== undefined ? [last.at, last.id] : cursor[d]
    more = true
  }
  return more ? { entries, next: encodeCursor(next) } : { entries }
}

/**
 * One message with its raw text, or undefined. Passwords and credential data (a UserRequest's 554,
 * 925, ...) are masked: the console shows this to every user with the read permission.
 */
export async function readJournalMessage (
  db: Queryable,
  schema: string,
  session: string,
  direction: Direction,
  id: string
): Promise<JournalMessage | undefined> {
  if (!/^\d{1,19}$/.test(id)) throw new JournalQueryError('the message id must be a number')
  const t = TABLE[direction]
  const r = await db.query<Row & { raw: string }>(
    `SELECT ${t.id} AS id, msg_seq_num AS seq, msg_type, cl_ord_id, ${t.orig} AS orig_cl_ord_id, ${t.possDup} AS
      poss_dup, ${t.at} AS at, raw
      FROM ${quoteIdent(schema, 'schema')}.${t.table} WHERE session_name = $1 AND ${t.id} = $2`,
    [session, id]
  )
  const x = r.rows[0]
  if (x === undefined) return undefined
  return { ...entryOf(direction, x), raw: maskSecretFields(x.raw) }
}
