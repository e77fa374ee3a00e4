import { Migration } from '../migrate'

/** One row per streamer client: the position up to which its target confirmed everything. */
export const checkpoints: Migration = {
  version: 1,
  name: 'checkpoints',
  up: s => [
    `CREATE TABLE IF NOT EXISTS ${s}.checkpoints (
      client_name text PRIMARY KEY,
      stream_name text NOT NULL,
      position jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`
  ]
}
