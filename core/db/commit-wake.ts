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

/**
 * Transaction ends on a database, whatever the table: a row committed behind the xid8 horizon
 * (core/stream/horizon-xid8.ts) is released when every older transaction has ended, and that
 * older transaction is often another writer of this process (a session's journal statement in
 * its WAL flush, a checkpoint, an apply) writing another table. The PostgreSQL Database
 * announces the end of each statement, batch and transaction that may have written, committed or
 * not; a stream whose read found its row held back reads again at once instead of at its next
 * held-back poll. A hint, as above: writers in other processes are still found by polling.
 */
const endListeners = new WeakMap<Database, Set<CommitListener>>()

/** Calls `listener` after each announced transaction end on `db`, until the returned function is called. */
export function onTransactionEnd (db: Database, listener: CommitListener): () => void {
  let listeners = endListeners.get(db)
  if (listeners === undefined) endListeners.set(db, listeners = new Set())
  const entry: CommitListener = () => listener()
  listeners.add(entry)
  return () => {
    const now = endListeners.get(db)
    if (now === undefined) return
    now.delete(entry)
    if (now.size === 0) endListeners.delete(db)
  }
}

/**
 * Tells this process's listeners on `db` that one of its transactions has ended (committed or
 * rolled back): call it once the outcome has come back, never before (the transaction id is
 * released by then). Listeners that throw are left out, as in announceCommit.
 */
export function announceTransactionEnd (db: Database): void {
  const listeners = endListeners.get(db)
  if (listeners === undefined) return
  for (const l of listeners) {
    try {
      l()
    } catch {
      // A wake is a hint: a failing reader must not fail the writer.
    }
  }
}

/** Listeners of transaction ends on `db` (for tests and diagnostics). */
export function transactionEndListeners (db: Database): number {
  return endListeners.get(db)?.size ?? 0
}

/**
 * Whether a statement run on its own (autocommit) may have written, so held a transaction id:
 * anything but a plain SELECT. A SELECT whose function writes is missed (its readers wait for
 * their poll, as before); a WITH that only reads is announced for nothing (one read more).
 */
export function mayWrite (text: string): boolean {
  let i = 0
  while (i < text.length && text.charCodeAt(i) <= 32) i++
  // 'select' in any case: each letter's code OR 32 is its lower case.
  const word = 'select'
  for (let k = 0; k < word.length; k++) {
    if ((text.charCodeAt(i + k) | 32) !== word.charCodeAt(k)) return true
  }
  const next = text.charCodeAt(i + word.length)
  if (Number.isNaN(next)) return false // the text ends there
  // 'SELECT' followed by a letter, digit or _ is another word (selected_x ...).
  const lower = next | 32
  return next === 95 || (next >= 48 && next <= 57) || (lower >= 97 && lower <= 122)
}
