import type { PGlite as PGliteType } from '@electric-sql/pglite'
import {
  BatchError,
  Database,
  ListenHandlers,
  QueryResult,
  Queryable,
  runInOrder,
  Statement,
  TEXT_TYPES,
  textTypeParser
} from './database'
import { validateChannel } from './channel'
import { EmbeddedMaintenance, MaintenanceOptions } from './embedded-maintenance'
import { assertEngineCanOpen } from './embedded-version'
import { freezeTemplates, templatesDue } from './embedded-templates'
import { errorLine } from './embedded-error-text'

export interface PgliteOptions {
  /** Directory of the database files; created (initdb) when missing. Omit for in-memory. */
  dataDir?: string
  /**
   * Vacuum and analyse passes, as autovacuum would run on a server (PGlite has none):
   * on by default; false turns them off (embedded-maintenance.ts).
   */
  maintenance?: MaintenanceOptions | false
}

/**
 * The embedded database could not be opened (a data folder that is not one, is damaged or cannot
 * be written): says which folder and why. PGlite's own file system errors carry only an errno.
 */
export class EmbeddedDatabaseError extends Error {
  constructor (readonly dataDir: string, cause: unknown) {
    super(`the embedded database in ${dataDir} could not be opened: ${errorLine(cause)}`, { cause })
    this.name = 'EmbeddedDatabaseError'
  }
}

/**
 * Embedded PostgreSQL (PGlite, WASM) in this process. PGlite is a single session: its own
 * locking runs a transaction exclusively, so queries from other callers wait until it ends
 * and concurrent writers can never commit out of order.
 */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const
  private closing: Promise<void> | undefined
  private maintenance: EmbeddedMaintenance | undefined

  private constructor (private readonly db: PGliteType) {}

  static async open (options: PgliteOptions = {}): Promise<PgliteDatabase> {
    // PGlite ships as ESM with a CommonJS build; load it lazily so that a server-only
    // installation never pays for the WASM module.
    const { PGlite } = await import('@electric-sql/pglite')
    const parsers: Record<number, (value: string) => unknown> = {}
    for (const oid of Object.values(TEXT_TYPES)) {
      const parse = textTypeParser(oid)
      if (parse !== undefined) parsers[oid] = parse
    }
    const where = options.dataDir ?? 'memory://'
    // Another major version's folder is refused before PGlite touches it (EmbeddedVersionError).
    if (options.dataDir !== undefined) assertEngineCanOpen(options.dataDir)
    const create = async (): Promise<PGliteType> => await PGlite.create(where, { parsers })
    let db: PGliteType | undefined
    try {
      db = await create()
      if (options.dataDir !== undefined && options.maintenance !== false) {
        // Autovacuum's other half: the templates, which only a closed folder lets us open (embedded-templates.ts).
        const due = await templatesDue(db, options.maintenance?.freezeMaxAge)
        if (due.length > 0) {
          const first = db
          db = undefined
          await first.close()
          await freezeTemplates(PGlite, options.dataDir, due).catch(err => process.emitWarning(
            `the embedded database in ${where} ${errorLine(err)}; it opens anyway and tries again when it next opens`,
            'EmbeddedMaintenanceWarning'))
          db = await create()
        }
      }
      await db.exec("SET TimeZone = 'UTC'")
    } catch (err) {
      await db?.close().catch(() => {})
      throw new EmbeddedDatabaseError(where, err)
    }
    const opened = new PgliteDatabase(db)
    if (options.maintenance !== false) {
      // An in-memory database has no next opening to freeze its templates at, and a restart makes it anew.
      const templates = options.dataDir !== undefined && options.maintenance?.templates !== false
      opened.maintenance = new EmbeddedMaintenance(opened, { ...options.maintenance, templates })
      try {
        await opened.maintenance.start()
      } catch (err) {
        await opened.close().catch(() => {})
        throw new EmbeddedDatabaseError(where, err)
      }
    }
    return opened
  }

  get closed (): boolean {
    return this.closing !== undefined || this.db.closed
  }

  async query<R = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    this.assertOpen()
    return toResult<R>(await this.db.query<R>(text, params as unknown[]))
  }

  async exec (script: string): Promise<void> {
    this.assertOpen()
    await this.db.exec(script)
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen()
    return await this.db.transaction(async tx => await fn({
      query: async <R>(text: string, params: readonly unknown[] = []) =>
        toResult<R>(await tx.query<R>(text, params as unknown[]))
    }))
  }

  async batch (statements: readonly Statement[]): Promise<QueryResult[]> {
    if (statements.length === 0) return []
    // In-process: no round trips to save, one transaction is all a batch needs.
    try {
      return await this.transaction(async tx => await runInOrder(tx, statements))
    } catch (err) {
      throw err instanceof BatchError ? err : new BatchError(-1, err)
    }
  }

  async listen (channel: string, handlers: ListenHandlers): Promise<() => Promise<void>> {
    this.assertOpen()
    const unlisten = await this.db.listen(validateChannel(channel), handlers.onNotify)
    // In-process: there is no connection to lose, so onReconnect never fires.
    return async () => {
      if (!this.db.closed) await unlisten()
    }
  }

  async close (): Promise<void> {
    if (this.closing === undefined) {
      // A pass in progress ends (after its current statement) before the database closes.
      const maintenance = this.maintenance?.stop() ?? Promise.resolve()
      this.closing = maintenance.then(async () => { if (!this.db.closed) await this.db.close() })
    }
    await this.closing
  }

  private assertOpen (): void {
    if (this.closed) throw new Error('the embedded database is closed')
  }
}

function toResult<R> (r: { rows: R[], affectedRows?: number }): QueryResult<R> {
  return { rows: r.rows, rowCount: r.affectedRows !== undefined && r.affectedRows > 0 ? r.affectedRows : r.rows.length }
}
