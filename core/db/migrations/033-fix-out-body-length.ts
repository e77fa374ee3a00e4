import { Migration } from '../migrate'

/**
 * fix_out stops storing an outbound message's body next to its raw text: a new row has
 * `body_length` (the body is the raw text's last `body_length` characters before CheckSum) and a
 * NULL `body`; rows written before keep their body and read as before
 * (core/fix-session/journal-body.ts). Both statements change only the catalogue: no row is
 * rewritten, however long the journal. In one transaction with the version mark.
 */
export const fixOutBodyLength: Migration = {
  version: 33,
  name: 'fix-out-body-length',
  // An earlier version would resend a NULL body.
  breaksOlder: true,
  up: s => [
    `ALTER TABLE ${s}.fix_out ALTER COLUMN body DROP NOT NULL`,
    `ALTER TABLE ${s}.fix_out ADD COLUMN IF NOT EXISTS body_length integer`
  ]
}
