import { quoteIdent, QualifiedName } from '../db/identifiers'
import { DuplicateOriginError } from './message-store'

/**
 * What the three parts of the session store (sequence numbers, outbound journal, inbound
 * journal) share: their table names and the ownership guard. Every write that moves a sequence
 * number names the value it replaces; when the state row moved under us (a second process runs
 * the session) the statement aborts with OWNERSHIP_MARK and the caller gets SessionOwnershipError.
 */

/** Text of the deliberate cast error that aborts a statement when the state row moved under us. */
export const OWNERSHIP_MARK = 'fix session state changed by another process'

/** Raised when another process moved this session's sequence numbers under us. */
export class SessionOwnershipError extends Error {
  constructor (session: string) {
    super(`the sequence numbers of session "${session}" were changed by someone else (is the session running twice?)`)
    this.name = 'SessionOwnershipError'
  }
}

/**
 * The session's tables, quoted: the view of both numbers (fix_session_state), the row of the target
 * seq, epoch and lease (fix_session_target) and the row of the sender seq (fix_session_sender), one
 * per side so their commits overlap (migration 72); fix_in, fix_out (migrations 31-32), leases (70);
 * and fix_in unquoted, the name its commits are announced under (core/db/commit-wake.ts).
 */
export interface StoreTables {
  state: string
  target: string
  sender: string
  in: string
  out: string
  leases: string
  inName: QualifiedName
}

export function storeTables (schema: string): StoreTables {
  const s = quoteIdent(schema, 'schema')
  return {
    state: `${s}.fix_session_state`,
    target: `${s}.fix_session_target`,
    sender: `${s}.fix_session_sender`,
    in: `${s}.fix_in`,
    out: `${s}.fix_out`,
    leases: `${s}.leases`,
    inName: { schema, name: 'fix_in' }
  }
}

/**
 * SQL for a SELECT list item that raises OWNERSHIP_MARK (a failing cast) when `cte` updated no row.
 * concat() keeps the planner from folding the cast before the CTE has run.
 */
export function ownershipAbort (cte: string, type: 'integer' | 'bigint'): string {
  return `CAST(concat('${OWNERSHIP_MARK} ', (SELECT count(*) FROM ${cte})) AS ${type})`
}

/** Maps a store statement's error to the named errors: ownership lost, origin journaled already. */
export function rethrowStoreError (err: unknown, session: string): never {
  if (String((err as Error)?.message ?? '').includes(OWNERSHIP_MARK)) throw new SessionOwnershipError(session)
  const e = err as { code?: string, constraint?: string, message?: string }
  // unique_violation on the journal's origin key (PGlite may not name the constraint: its message does).
  if (
    e?.code === '23505' &&
    (e.constraint === 'fix_out_stream_position' || String(e.message ?? '').includes('fix_out_stream_position'))
  ) { throw new DuplicateOriginError(err) }
  throw err
}
