import { Database, ListenHandlers, QueryResult, Queryable, Statement } from './database'
import { PgliteDatabase } from './pglite-database'

interface Entry {
  db: Promise<PgliteDatabase>
  handles: number
}

/**
 * One PGlite instance per data folder, shared by every opener in this process. Two instances
 * on one folder would corrupt it, and several config nodes naming the same folder is an easy
 * mistake (or the result of importing several examples). The folder's instance closes when its
 * last handle closes; a new open waits for a close still in progress.
 */
export class EmbeddedRegistry {
  private readonly entries = new Map<string, Entry>()
  private readonly closing = new Map<string, Promise<void>>()

  async open (dataDir: string): Promise<Database> {
    let entry = this.entries.get(dataDir)
    if (entry === undefined) {
      const previous = this.closing.get(dataDir) ?? Promise.resolve()
      const db = previous.then(async () => await PgliteDatabase.open({ dataDir }))
      entry = { db, handles: 0 }
      this.entries.set(dataDir, entry)
      db.catch(() => { if (this.entries.get(dataDir) === entry) this.entries.delete(dataDir) })
    }
    entry.handles++
    try {
      return new EmbeddedHandle(await entry.db, () => this.release(dataDir, entry as Entry))
    } catch (err) {
      entry.handles--
      throw err
    }
  }

  /** Folders open now, with their handle counts (for tests and diagnostics). */
  get openFolders (): Map<string, number> {
    return new Map([...this.entries].map(([k, e]) => [k, e.handles]))
  }

  private async release (dataDir: string, entry: Entry): Promise<void> {
    entry.handles--
    if (entry.handles > 0 || this.entries.get(dataDir) !== entry) return
    this.entries.delete(dataDir)
    const closing = entry.db.then(async db => await db.close(), () => {})
    this.closing.set(dataDir, closing)
    await closing
    if (this.closing.get(dataDir) === closing) this.closing.delete(dataDir)
  }
}

/** A user's view of a shared embedded database: closing it releases this user only. */
class EmbeddedHandle implements Database {
  readonly kind = 'pglite' as const
  private released: Promise<void> | undefined

  constructor (private readonly db: PgliteDatabase, private readonly release: () => Promise<void>) {}

  get closed (): boolean {
    return this.released !== undefined || this.db.closed
  }

  async query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    this.assertOpen()
    return await this.db.query<R>(text, params)
  }

  async exec (script: string): Promise<void> {
    this.assertOpen()
    await this.db.exec(script)
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen()
    return await this.db.transaction(fn)
  }

  async batch (statements: readonly Statement[]): Promise<QueryResult[]> {
    this.assertOpen()
    return await this.db.batch(statements)
  }

  async listen (channel: string, handlers: ListenHandlers): Promise<() => Promise<void>> {
    this.assertOpen()
    return await this.db.listen(channel, handlers)
  }

  async close (): Promise<void> {
    if (this.released === undefined) this.released = this.release()
    await this.released
  }

  private assertOpen (): void {
    if (this.closed) throw new Error('the embedded database is closed')
  }
}
