import { Migration } from '../migrate'

/**
 * OrigClOrdID (41) of an outbound message, read from its raw text: fix_out has no column for it.
 * The journal queries use this exact expression, so its index below serves them. SOH on both
 * sides of the field keeps 141= or 8041= from matching.
 */
export const FIX_OUT_ORIG_CL_ORD_ID = "substring(raw from E'\\x0141=([^\\x01]*)')"

/**
 * Indexes for the operator console's journal: each session's messages newest first (by time,
 * then id, the keyset the pages follow), by MsgType, and by ClOrdID / OrigClOrdID in both
 * directions. Every journal query is an index range on one of them, however long the journal.
 */
export const journalIndexes: Migration = {
  version: 60,
  name: 'journal-indexes',
  up: s => [
    `CREATE INDEX IF NOT EXISTS fix_in_session_time ON ${s}.fix_in (session_name, received_at, receive_seq)`,
    `CREATE INDEX IF NOT EXISTS fix_in_session_type_time ON ${s}.fix_in (session_name, msg_type, received_at, ` +
      'receive_seq)',
    `CREATE INDEX IF NOT EXISTS fix_in_session_cl_ord_id ON ${s}.fix_in (session_name, cl_ord_id)`,
    `CREATE INDEX IF NOT EXISTS fix_in_session_orig_cl_ord_id ON ${s}.fix_in (session_name, orig_cl_ord_id)`,
    `CREATE INDEX IF NOT EXISTS fix_out_session_time ON ${s}.fix_out (session_name, sent_at, id)`,
    `CREATE INDEX IF NOT EXISTS fix_out_session_type_time ON ${s}.fix_out (session_name, msg_type, sent_at, id)`,
    `CREATE INDEX IF NOT EXISTS fix_out_session_cl_ord_id ON ${s}.fix_out (session_name, cl_ord_id)`,
    `CREATE INDEX IF NOT EXISTS fix_out_session_orig_cl_ord_id ON ${s}.fix_out (session_name, ` +
      `(${FIX_OUT_ORIG_CL_ORD_ID}))`
  ]
}
