/** Every scenario, in test-case order. */
import type { Scenario } from '../script'
import { connectionScenarios } from './connections'
import { garbledScenarios } from './garbled'
import { heartbeatScenarios } from './heartbeat'
import { initiatorScenarios } from './initiator'
import { logonScenarios } from './logon'
import { messageScenarios } from './messages'
import { miscScenarios } from './misc'
import { rejectScenarios } from './reject'
import { resendScenarios } from './resend'
import { resetScenarios } from './reset'
import { sequenceResetScenarios } from './sequence-reset'

export const SCENARIOS: Scenario[] = [
  ...logonScenarios,
  ...messageScenarios,
  ...garbledScenarios,
  ...heartbeatScenarios,
  ...resendScenarios,
  ...sequenceResetScenarios,
  ...resetScenarios,
  ...rejectScenarios,
  ...miscScenarios,
  ...connectionScenarios,
  ...initiatorScenarios
]
