import { Migration } from '../migrate'

/**
 * Every inbound FIX message, in the order the session accepted it. `tx` and `receive_seq`
 * together let the streamer read the table gap-free: rows become visible per transaction,
 * and within one transaction in receive order.
 */
export const fixIn: Migration = {
  version: 31,
  name: 'fix_in',
  up: s => [
    `CREATE TABLE IF NOT EXISTS ${s}.fix_in (
      receive_seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      session_name text NOT NULL,
      msg_seq_num bigint NOT NULL,
      msg_type text NOT NULL,
      sender_comp_id text NOT NULL,
      target_comp_id text NOT NULL,
      cl_ord_id text,
      orig_cl_ord_id text,
      poss_dup boolean NOT NULL DEFAULT false,
      sending_time timestamptz,
      received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      raw text NOT NULL,
      message jsonb,
      tx xid8 NOT NULL DEFAULT pg_current_xact_id()
    )`,
    `CREATE INDEX IF NOT EXISTS fix_in_tx_receive_seq ON ${s}.fix_in (tx, receive_seq)`,
    `CREATE INDEX IF NOT EXISTS fix_in_session_seq ON ${s}.fix_in (session_name, msg_seq_num)`
  ]
}
