import { EventEmitter } from 'events'
import { Database } from './database'
import { PgDatabase, PgOptions } from './pg-database'
import { PgliteDatabase } from './pglite-database'
import { migrate } from './migrate'
import { describeDbError, needsOperator } from './errors'
import { Backoff, sleep } from '../util/backoff'
import { validateIdentifier } from './identifiers'

export type DatabaseOptions =
  | { kind: 'pglite', dataDir?: string }
  | ({ kind: 'pg' } & PgOptions)

export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'connected', database: Database }
  /** `needsOperator`: only a person can clear the cause (a refused login, a full disk, a missing right). */
  | { state: 'retrying', error: string, attempt: number, delayMs: number, needsOperator?: boolean }
  | { state: 'closed' }

/**
 * Owns one database (a pool, or one PGlite instance) for everyone who uses it: opens it,
 * runs the pack's migrations, and keeps retrying with backoff while the server is away.
 * Emits 'state' with a ConnectionState on every change.
 */
export class DatabaseConnection extends EventEmitter {
  private db: Database | undefined
  private current: ConnectionState = { state: 'connecting' }
  private readonly stopped = new AbortController()
  private started: Promise<Database> | undefined

  /**
   * @param setupSql optional script run after the migrations on every connect, before anyone
   *   gets the database: idempotent DDL such as `CREATE TABLE IF NOT EXISTS orders (...)`.
   */
  constructor (
    readonly options: DatabaseOptions,
    readonly schema: string,
    readonly setupSql = '',
    /** How to open the embedded database (e.g. shared per folder); default: a new PGlite. */
    private readonly openEmbedded: (dataDir: string | undefined) => Promise<Database> = async dataDir =>
      await PgliteDatabase.open({ dataDir })
  ) {
    super()
    validateIdentifier(schema, 'schema')
  }

  get state (): ConnectionState {
    return this.current
  }

  /** The open database, or undefined while connecting. */
  get database (): Database | undefined {
    return this.db
  }

  /** Resolves with the database once it is open and migrated; rejects if closed first. */
  async ready (): Promise<Database> {
    if (this.started === undefined) this.started = this.run()
    return await this.started
  }

  async close (): Promise<void> {
    this.stopped.abort()
    const db = this.db
    this.db = undefined
    if (db !== undefined) await db.close()
    this.setState({ state: 'closed' })
  }

  private async run (): Promise<Database> {
    const backoff = new Backoff()
    for (;;) {
      if (this.stopped.signal.aborted) throw new Error('the database connection was closed')
      this.setState({ state: 'connecting' })
      let db: Database | undefined
      try {
        db = await this.open()
        await migrate(db, this.schema)
        if (this.setupSql.trim() !== '') {
          try {
            await db.exec(this.setupSql)
          } catch (err) {
            throw Object.assign(new Error(`setup SQL failed: ${describeDbError(err)}`), {
              code: (err as { code?: string }).code
            })
          }
        }
        if (this.stopped.signal.aborted) {
          await db.close()
          throw new Error('the database connection was closed')
        }
        this.db = db
        this.setState({ state: 'connected', database: db })
        return db
      } catch (err) {
        if (db !== undefined) await db.close().catch(() => {})
        if (this.stopped.signal.aborted) throw new Error('the database connection was closed')
        const delayMs = backoff.next()
        const error = describeDbError(err)
        const attempt = backoff.attempts
        this.setState({ state: 'retrying', error, attempt, delayMs, needsOperator: needsOperator(err) })
        await sleep(delayMs, this.stopped.signal)
      }
    }
  }

  private async open (): Promise<Database> {
    if (this.options.kind === 'pglite') return await this.openEmbedded(this.options.dataDir)
    const { kind, ...pg } = this.options
    return await PgDatabase.open(pg)
  }

  private setState (s: ConnectionState): void {
    this.current = s
    this.emit('state', s)
  }
}
