import type { NodeDef } from 'node-red'

export interface FixGatewayDef extends NodeDef {
  session: string
  /** Also send every state change (phase and sequence numbers) to output 2. */
  stateEvents: boolean
}

/** Control topics (documented in the help): they act on the session instead of sending. */
export const CONTROL_TOPICS = ['fix:logon', 'fix:logout', 'fix:reset-sequence', 'fix:set-sequence'] as const
