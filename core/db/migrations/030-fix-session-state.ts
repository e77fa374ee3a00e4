import { Migration } from '../migrate'

/**
 * One row per FIX session: the next sequence numbers in both directions. `epoch` counts
 * sequence resets so the outbound journal of an earlier period is never resent after a reset;
 * `created_at` is when the current sequence period began (for the daily reset policy).
 */
export const fixSessionState: Migration = {
  version: 30,
  name: 'fix_session_state',
  up: s => [
    `CREATE TABLE IF NOT EXISTS ${s}.fix_session_state (
      session_name text PRIMARY KEY,
      next_sender_seq bigint NOT NULL DEFAULT 1 CHECK (next_sender_seq >= 1),
      next_target_seq bigint NOT NULL DEFAULT 1 CHECK (next_target_seq >= 1),
      epoch integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`
  ]
}
