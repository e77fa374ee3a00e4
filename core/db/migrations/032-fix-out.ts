import { Migration } from '../migrate'

/**
 * The outbound journal: every application message the gateway sent, written (with the session
 * state) before its bytes reach the socket. Resend reads it; the unique key on the stream
 * position makes a replayed stream message recognisable, so it is confirmed, not sent twice.
 */
export const fixOut: Migration = {
  version: 32,
  name: 'fix_out',
  up: s => [
    `CREATE TABLE IF NOT EXISTS ${s}.fix_out (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      session_name text NOT NULL,
      epoch integer NOT NULL,
      msg_seq_num bigint NOT NULL,
      msg_type text NOT NULL,
      cl_ord_id text,
      sent_at timestamptz NOT NULL,
      body text NOT NULL,
      raw text NOT NULL,
      client_name text,
      stream_position text,
      tx xid8 NOT NULL DEFAULT pg_current_xact_id()
    )`,
    `CREATE UNIQUE INDEX IF NOT EXISTS fix_out_stream_position ON ${s}.fix_out (session_name, client_name, ` +
      'stream_position)',
    `CREATE INDEX IF NOT EXISTS fix_out_session_seq ON ${s}.fix_out (session_name, epoch, msg_seq_num)`
  ]
}
