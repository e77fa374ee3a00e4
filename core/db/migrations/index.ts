import { Migration } from '../migrate'
import { checkpoints } from './001-checkpoints'
import { checkpointStart } from './020-checkpoint-start'
import { fixSessionState } from './030-fix-session-state'
import { fixIn } from './031-fix-in'
import { fixOut } from './032-fix-out'
import { fixOutBodyLength } from './033-fix-out-body-length'
import { journalIndexes } from './060-journal-indexes'
import { journalPartialIndexes } from './061-journal-partial-indexes'
import { journalTimeByType } from './062-journal-time-by-type'
import { leases } from './070-leases'
import { haInstances } from './071-ha-instances'
import { sessionSides } from './072-session-sides'

/**
 * Every migration of the pack's own tables, in version order. Versions are never reused or
 * edited once released; a change is a new migration. Ranges by feature keep parallel work apart:
 * 1-9 foundation, 10-19 streamer, 20-29 streamer client, 30-49 FIX gateway, 60-69 operator console,
 * 70-79 high availability.
 */
export const migrations: readonly Migration[] = [
  checkpoints,
  checkpointStart,
  fixSessionState,
  fixIn,
  fixOut,
  fixOutBodyLength,
  journalIndexes,
  journalPartialIndexes,
  journalTimeByType,
  leases,
  haInstances,
  sessionSides
]
