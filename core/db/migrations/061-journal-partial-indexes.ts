import { Migration } from '../migrate'
import { FIX_OUT_ORIG_CL_ORD_ID } from './060-journal-indexes'

/**
 * Whether an outbound message carries OrigClOrdID (41): exactly the rows for which
 * FIX_OUT_ORIG_CL_ORD_ID is not NULL (SOH before the tag, as there). A plain substring search,
 * far cheaper than the regular expression, which now runs only for the rows that have the field.
 * A journal query must state this condition next to its FIX_OUT_ORIG_CL_ORD_ID = value for the
 * planner to use the partial index below.
 */
export const FIX_OUT_HAS_ORIG_CL_ORD_ID = "strpos(raw, E'\\x0141=') > 0"

/**
 * The OrigClOrdID indexes of migration 60 hold only the rows that carry one (cancels, replaces
 * and their reports): every other journal row skipped an index insert, and on fix_out a regular
 * expression over its raw text, for an entry nobody can find (a search by OrigClOrdID never matches
 * NULL). The console's search by ClOrdID / OrigClOrdID is still one index range per direction.
 * Rebuilt in place under the same names: safe on a journal with rows, one transaction with the
 * version mark, so a failure leaves migration 60's indexes.
 */
export const journalPartialIndexes: Migration = {
  version: 61,
  name: 'journal-partial-indexes',
  up: s => [
    `DROP INDEX IF EXISTS ${s}.fix_out_session_orig_cl_ord_id`,
    `CREATE INDEX IF NOT EXISTS fix_out_session_orig_cl_ord_id ON ${s}.fix_out (session_name, ` +
      `(${FIX_OUT_ORIG_CL_ORD_ID})) WHERE ${FIX_OUT_HAS_ORIG_CL_ORD_ID}`,
    `DROP INDEX IF EXISTS ${s}.fix_in_session_orig_cl_ord_id`,
    `CREATE INDEX IF NOT EXISTS fix_in_session_orig_cl_ord_id ON ${s}.fix_in (session_name, orig_cl_ord_id) ` +
      'WHERE orig_cl_ord_id IS NOT NULL'
  ]
}
