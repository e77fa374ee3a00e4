import type { SessionActivitySnapshot } from './session-activity'

/**
 * The operator console's picture of the running flows, served as JSON to the sidebar and read by
 * the metrics. Every part carries its own `problem` text instead of failing the whole picture: a
 * database that is down hides one session's numbers, not the others.
 */
export interface SessionView {
  /** Node-RED id of the fix-session config node. */
  id: string
  /** fix_in.session_name / fix_out.session_name. */
  name: string
  label: string
  role: 'initiator' | 'acceptor'
  /** Initiator: where it connects. Acceptor: where it listens, and the peer once connected. */
  address: string
  remote?: string
  /** logged-on, connecting, disconnected, ... or 'not started' when no gateway uses the session. */
  state: string
  text?: string
  nextSenderSeq?: number
  nextTargetSeq?: number
  activity?: SessionActivitySnapshot
  databaseId?: string
  problem?: string
}

export interface StreamView {
  id: string
  name: string
  head?: string[]
  subscribers: number
  /** Rows the streamer read from its source table (undefined for a source that does not count them). */
  rowsRead?: number
  /** Rows the stream handed to its clients (the sum of their sent rows). */
  rowsDelivered: number
  /** Rows per second handed to its clients, over the last seconds (the sum of their rates). */
  rate: number
  /** Rows between the slowest client's position and the head (capped, see lagCapped). */
  headLag?: number
  problem?: string
}

export interface ClientView {
  id: string
  name: string
  stream?: string
  phase: string
  health?: string
  position?: string[]
  checkpoint?: string[]
  checkpointWrittenAt?: string
  inFlight: number
  limit: number
  delivered: number
  confirmed: number
  /** Rows given up after repeated failures (skipped, or the one the client stopped before). */
  failed: number
  rate: number
  lag?: number
  /** true when the lag is at least the count limit ("10,000+"). */
  lagCapped?: boolean
  problem?: string
}

export interface DatabaseView {
  id: string
  name: string
  kind: 'pg' | 'pglite' | 'unknown'
  schema: string
  state: string
  poolTotal?: number
  poolIdle?: number
  poolWaiting?: number
  errors: number
  problem?: string
}

export interface Overview {
  at: string
  sessions: SessionView[]
  streams: StreamView[]
  clients: ClientView[]
  databases: DatabaseView[]
}

/** Numeric code of a session state for a gauge: what a dashboard can colour. */
export const SESSION_STATE_CODES: Readonly<Record<string, number>> = {
  'not started': 0,
  starting: 0,
  disconnected: 1,
  connecting: 2,
  'logon-sent': 3,
  'awaiting-logon': 3,
  'logged-on': 4,
  'logout-sent': 5,
  error: -1
}

/** Numeric code of a client's health: 0 healthy, 1 warning, 2 error. */
export const HEALTH_CODES: Readonly<Record<string, number>> = { HEALTHY: 0, WARNING: 1, ERROR: 2 }
