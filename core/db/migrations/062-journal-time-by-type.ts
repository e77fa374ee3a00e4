import { Migration } from '../migrate'

/**
 * Drops fix_in's time index of migration 60, (session_name, received_at, receive_seq): every
 * inbound row paid a btree insert into it, and the console's fix_in pages without a MsgType are
 * read through the MsgType index instead, one range per MsgType of the session (core/ops/journal.ts),
 * which returns the same rows in the same order. Nothing else reads it (the session, the streams and
 * HA read fix_in by its stream position or not at all). fix_out keeps its time index: see journal.ts.
 * In one transaction with the version mark, so a failure leaves it in place.
 */
export const journalTimeByType: Migration = {
  version: 62,
  name: 'journal-in-time-by-type',
  up: s => [`DROP INDEX IF EXISTS ${s}.fix_in_session_time`]
}
