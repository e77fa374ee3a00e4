import type { PGlite as PGliteType } from '@electric-sql/pglite'
import { errorLine } from './embedded-error-text'

/**
 * The other databases of an embedded folder (template1, template0), frozen when the folder opens.
 *
 * PostgreSQL computes its transaction id limits from the oldest `datfrozenxid` of every database
 * of the cluster, and on a server autovacuum freezes each database in turn, templates included.
 * PGlite is one standalone session on one database ('postgres'): the pack's maintenance
 * (embedded-maintenance.ts) freezes that one, but nothing ever vacuums the templates, so their
 * `datfrozenxid` stays at initdb's while the counter moves on. Past about 2.1 billion
 * transactions every new transaction id then logs a WARNING ("database "template0" must be
 * vacuumed within N transactions"; varsup.c, in a standalone backend too), and pg_xact, the
 * commit log, is never truncated: it grows by a quarter of a megabyte per million transactions.
 *
 * A standalone backend may open any database, template0 included (datallowconn is enforced
 * only under a postmaster), but only one PGlite may use a folder at a time. So this runs while the
 * folder is closed, when it opens: each template past the freeze age is opened on its own,
 * `VACUUM (FREEZE)` (about 0.7 s each), and closed. Once per ~200 million transactions.
 */

/** A template's oldest transaction id or multixact is past the age at which autovacuum would freeze it. */
const DUE_SQL = `
  SELECT datname AS name
  FROM pg_database
  WHERE datname <> current_database()
    AND (age(datfrozenxid) > coalesce($1::float8, current_setting('autovacuum_freeze_max_age')::float8)
      OR mxid_age(datminmxid) > current_setting('autovacuum_multixact_freeze_max_age')::float8)
  ORDER BY age(datfrozenxid) DESC, datname`

/** What templatesDue needs of a database: PGlite itself, or the pack's Queryable. */
export interface RowsQuery {
  query: <R>(text: string, params: unknown[]) => Promise<{ rows: R[] }>
}

/** The databases of the folder, other than the open one, that are due for freezing. */
export async function templatesDue (db: RowsQuery, freezeMaxAge?: number): Promise<string[]> {
  return (await db.query<{ name: string }>(DUE_SQL, [freezeMaxAge ?? null])).rows.map(r => r.name)
}

/** A template that could not be frozen, and why. */
export interface TemplateFailure {
  database: string
  error: unknown
}

/**
 * Templates that could not be frozen (a damaged template: one that cannot be opened). The others
 * were frozen all the same: one bad template must not keep the rest at their age.
 */
export class TemplateFreezeError extends Error {
  constructor (readonly failures: TemplateFailure[]) {
    super(`could not freeze ${failures.map(f => `${f.database} (${errorLine(f.error)})`).join(', ')}`)
    this.name = 'TemplateFreezeError'
  }
}

/**
 * Freezes each named database of `dataDir`, one at a time, each in a PGlite of its own, and throws
 * TemplateFreezeError for those it could not. The folder must not be open anywhere else. A VACUUM
 * rewrites no row's data, only its visibility marks, and commits as it goes: a crash midway leaves
 * a valid folder, frozen in part.
 */
export async function freezeTemplates (
  PGlite: typeof PGliteType,
  dataDir: string,
  names: readonly string[]
): Promise<void> {
  const failures: TemplateFailure[] = []
  for (const database of names) {
    try {
      const db = await PGlite.create(dataDir, { database })
      try {
        await db.exec('VACUUM (FREEZE)')
      } finally {
        await db.close()
      }
    } catch (error) {
      failures.push({ database, error })
    }
  }
  if (failures.length > 0) throw new TemplateFreezeError(failures)
}
