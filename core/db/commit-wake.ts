import type { Database } from './database'
import type { QualifiedName } from './identifiers'

/** Called after a writer in this process committed rows to the table. */
export type CommitListener = () => void

/**
 * In-process commit wakes: a writer that has committed rows to a table says so here, and every
 * reader in this process that follows that table on the same Database object hears it at once,
 * instead of waiting for its next poll. It is a hint only, as a NOTIFY is: readers keep polling
 * (writers in other processes, and tables written by SQL, announce nothing), and a listener must
 * be cheap and must not throw (it is called synchronously by the writer, once per commit), so it
 * only marks that a read is due.
 *
 * Keyed per Database object (one pool or one PGlite handle: the streamer-database config node
 * hands the same one to every node using it) and per table, by its schema and name exactly as
 * PostgreSQL spells them. A WeakMap: a closed database's listeners go with it.
 */
const byDatabase = new WeakMap<Database, Map<string, Set<CommitListener>>>()

function keyOf (table: QualifiedName): string {
  // Plain identifiers (identifiers.ts) hold no '.', so the key is unambiguous.
  return `${table.schema}.${table.name}`
}

/** Calls `listener` after each announced commit to `table` on `db`, until the returned function is called. */
export function onCommit (db: Database, table: QualifiedName, listener: CommitListener): () => void {
  let tables = byDatabase.get(db)
  if (tables === undefined) byDatabase.set(db, tables = new Map())
  const key = keyOf(table)
  let listeners = tables.get(key)
  if (listeners === undefined) tables.set(key, listeners = new Set())
  // Each subscription is its own entry, so the same function subscribed twice is removed once per call.
  const entry: CommitListener = () => listener()
  listeners.add(entry)
  return () => {
    const now = byDatabase.get(db)?.get(key)
    if (now === undefined) return
    now.delete(entry)
    if (now.size === 0) byDatabase.get(db)?.delete(key)
  }
}

/**
 * Tells this process's readers of `table` on `db` that rows were committed there. Call it only
 * after the commit has resolved: a reader woken earlier would read before the rows are visible
 * (harmless, but it would wait a poll for them). A listener that throws is left out; the others
 * still hear it, and the writer never sees the error.
 */
export function announceCommit (db: Database, table: QualifiedName): void {
  const listeners = byDatabase.get(db)?.get(keyOf(table))
  if (listeners === undefined) return
  for (const l of listeners) {
    try {
      l()
    } catch {
      // A wake is a hint: a failing reader must not fail the writer's commit path.
    }
  }
}

/** Readers subscribed to `table` on `db` (for tests and diagnostics). */
export function commitListeners (db: Database, table: QualifiedName): number {
  return byDatabase.get(db)?.get(keyOf(table))?.size ?? 0
}
