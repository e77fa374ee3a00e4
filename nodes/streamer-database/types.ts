import type { Node, NodeDef } from 'node-red'
import type { ConnectionState, Database, DatabaseConnection } from '../../core/db'

export interface StreamerDatabaseDef extends NodeDef {
  mode: 'embedded' | 'server'
  dataDir: string
  host: string
  port: string | number
  database: string
  ssl: 'disable' | 'require' | 'verify'
  tls: string
  poolSize: string | number
  /** Connections kept open, from 0 to the pool size; empty or absent (a flow from before it): all of them. */
  poolMin?: string | number
  /** Send often-run statements as prepared statements (default true; off for PgBouncer in transaction mode). */
  prepared?: boolean
  urlEnv: string
  schema: string
  setupSql?: string
}

export interface StreamerDatabaseCredentials {
  user?: string
  password?: string
}

/** What a node that uses the database gets from the `streamer-database` config node. */
export interface StreamerDatabaseNode extends Node<StreamerDatabaseCredentials> {
  /** The schema of the pack's own tables (checkpoints, fix_in, ...). */
  readonly schema: string
  readonly connection: DatabaseConnection | undefined
  /** Resolves with the open, migrated database (waits while it connects or retries). */
  acquire: () => Promise<Database>
  /**
   * Adds a user. Without `onState` the config node keeps the user's status in step with the
   * connection; with it, the user is told and sets its own status.
   */
  register: (user: Node, onState?: (s: ConnectionState) => void) => void
  /**
   * Removes a user, from its close and once it is done with the database. The last user removed
   * from the flows (`removed`, Node-RED's first close argument) closes the pool or the embedded
   * database, and `done` is called once it has closed; a redeployed one leaves it open.
   */
  deregister: (user: Node, done?: (err?: Error) => void, removed?: boolean) => void
  /** Why the config is unusable, or undefined when it is fine. */
  readonly configError: string | undefined
}
