import { Migration } from '../migrate'

/**
 * A client that was rewound to a timestamp or to the beginning has no position to store until
 * its target confirms a row; `start_at` keeps where it must start meanwhile, so a crash in that
 * window does not lose the rewind. NULL means "after `position`".
 */
export const checkpointStart: Migration = {
  version: 20,
  name: 'checkpoint-start',
  up: s => [
    `ALTER TABLE ${s}.checkpoints ADD COLUMN IF NOT EXISTS start_at jsonb`
  ]
}
