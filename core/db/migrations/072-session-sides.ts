import { Migration } from '../migrate'

/**
 * The session's two sequence numbers in two rows, so that a commit of inbound messages and one of
 * outbound messages do not wait for each other's row lock (the session overlaps them:
 * core/fix-session/serial-queue.ts). `fix_session_state` (migrations 30 and 70) becomes
 * `fix_session_target`: the target seq, the epoch and its start, the lease token; the sender seq
 * moves, with a copy of the epoch and the lease token (each row is fenced and epoch-checked on
 * its own), to `fix_session_sender`. Every value moves, none is lost. `fix_session_state` stays as
 * a view of both with its former columns, for readers (operators' queries, dashboards).
 * Numbered after 70 because it moves the lease token that migration added.
 */
export const sessionSides: Migration = {
  version: 72,
  name: 'session-sides',
  // An earlier version writes its sequence numbers to fix_session_state, now a view.
  breaksOlder: true,
  up: s => [
    `ALTER TABLE ${s}.fix_session_state RENAME TO fix_session_target`,
    `CREATE TABLE ${s}.fix_session_sender (
      session_name text PRIMARY KEY REFERENCES ${s}.fix_session_target (session_name) ON DELETE CASCADE,
      next_sender_seq bigint NOT NULL DEFAULT 1 CHECK (next_sender_seq >= 1),
      epoch integer NOT NULL DEFAULT 1,
      lease_token bigint,
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`,
    `INSERT INTO ${s}.fix_session_sender (session_name, next_sender_seq, epoch, lease_token, updated_at)
      SELECT session_name, next_sender_seq, epoch, lease_token, updated_at FROM ${s}.fix_session_target`,
    `ALTER TABLE ${s}.fix_session_target DROP COLUMN next_sender_seq`,
    `CREATE VIEW ${s}.fix_session_state AS
      SELECT t.session_name, s.next_sender_seq, t.next_target_seq, t.epoch, t.created_at,
        GREATEST(t.updated_at, s.updated_at) AS updated_at, t.lease_token
      FROM ${s}.fix_session_target t JOIN ${s}.fix_session_sender s ON s.session_name = t.session_name`
  ]
}
