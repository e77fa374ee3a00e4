import { Migration } from '../migrate'

/**
 * High availability (core/ha). `leases`: one row per resource (a FIX session, a streamer client)
 * naming the instance that may run it until `expires_at`, a time on the database's clock, so
 * instance clocks that disagree cannot both see a lease as theirs. `token` grows at every
 * acquisition and never goes back: it is the fencing token.
 *
 * `lease_token` on the session state and on the checkpoints is the token of the holder that last
 * claimed the row. Every write of a holder requires the row to carry its own token, and a new
 * holder claims the row (raises the token) before it reads it, so the writes of a holder that lost
 * its lease are refused from then on. NULL: no lease in use (a single instance, as before).
 */
export const leases: Migration = {
  version: 70,
  name: 'leases',
  up: s => [
    `CREATE TABLE IF NOT EXISTS ${s}.leases (
      resource text PRIMARY KEY,
      holder text NOT NULL,
      token bigint NOT NULL CHECK (token >= 1),
      expires_at timestamptz NOT NULL,
      acquired_at timestamptz NOT NULL,
      renewed_at timestamptz NOT NULL,
      detail jsonb
    )`,
    `ALTER TABLE ${s}.fix_session_state ADD COLUMN IF NOT EXISTS lease_token bigint`,
    `ALTER TABLE ${s}.checkpoints ADD COLUMN IF NOT EXISTS lease_token bigint`
  ]
}
