import type { Node, NodeDef } from 'node-red'
import type { ClientStats } from '../../core/client'
import type { Confirmable, Position, StartAt } from '../../core/stream'

export type MappingType = 'row' | 'msg' | 'jsonata' | 'str' | 'num' | 'bool' | 'json' | 'env'

/** One line of the mapping table: payload field `target` <- value of the given type. */
export interface Mapping {
  target: string
  value: string
  valueType: MappingType
}

/** One selective output: a JSONata condition ('conditions' mode) or a field value ('field' mode). */
export interface Route {
  value: string
}

export interface StreamerClientDef extends NodeDef {
  database: string
  clientName: string
  replayable: boolean
  /** JSONata over the row; empty = every row. */
  filter: string
  mappings: Mapping[]
  /** JSONata over the row producing msg.payload; empty = the row (or the mapped fields). */
  payload: string
  routeMode: 'single' | 'conditions' | 'field'
  routeField: string
  routes: Route[]
  inFlight: string | number
  sendWarn: string | number
  sendError: string | number
  confirmWarn: string | number
  confirmError: string | number
  /** 'target': the target confirms (wire back, Complete node, or a FIX gateway); 'send': confirmed when sent. */
  confirmMode: 'target' | 'send'
  terminateOnError: boolean
  /** Failures of one row reported by its target (Catch wired back) before the client gives up on it (default 5). */
  maxAttempts?: string | number
  /** After maxAttempts: skip the row (checkpoint moves past it) instead of stopping before it. */
  skipFailed?: boolean
  outputs: number
}

/** The runtime node, as other nodes (the FIX gateway) see it. */
export interface StreamerClientNode extends Node, Confirmable {
  readonly clientName: string
  /** Confirms the row at `position` (from msg.stream.position). Returns false if it was not in flight. */
  confirm: (position: Position) => boolean
  rewind: (target: StartAt | 'reset') => Promise<StartAt>
  /** Sends every unconfirmed row again (after a target refused rows, e.g. a FIX session that was down). */
  redeliver: () => Promise<void>
  /** In flight, rate, health, positions; undefined until the database is open. */
  stats: () => ClientStats | undefined
  /** What is wrong, whole, in the status format (status-text.ts clientProblem); undefined while nothing is. */
  readonly currentProblem?: string
}
