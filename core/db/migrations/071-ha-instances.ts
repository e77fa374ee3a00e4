import { Migration } from '../migrate'

/**
 * High availability, work spreading (core/ha). `ha_instances`: one row per running instance,
 * renewed every half renewal interval with an expiry on the database's clock, so each instance
 * knows how many are up and takes no more than its share of the leases while another one is
 * below its own. `leases.wanted_by` / `wanted_until`: a standing request of a session's preferred
 * instance, renewed while it is up; the holder hands the session over cleanly, and until the
 * request runs out no other instance may take the released lease.
 */
export const haInstances: Migration = {
  version: 71,
  name: 'ha-instances',
  up: s => [
    `CREATE TABLE IF NOT EXISTS ${s}.ha_instances (
      instance text PRIMARY KEY,
      started_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL
    )`,
    `ALTER TABLE ${s}.leases ADD COLUMN IF NOT EXISTS wanted_by text`,
    `ALTER TABLE ${s}.leases ADD COLUMN IF NOT EXISTS wanted_until timestamptz`
  ]
}
