import { Database, Queryable } from './database'
import { quoteIdent } from './identifiers'
import { migrations as allMigrations } from './migrations'

export interface Migration {
  version: number
  name: string
  /** Statements to run, given the quoted schema name. Additive only: never drop user data. */
  up: (quotedSchema: string) => string[]
  /**
   * Earlier versions of the pack cannot work on the schema once this is applied: they would misread
   * what this version writes (migration 33) or fail on what it changed (72). Recorded with the
   * version, so that an earlier version that checks refuses the schema (SchemaNewerError); one
   * that is only additive (a new table, column or index) leaves it usable by them, so a rollback works.
   */
  breaksOlder?: boolean
}

/**
 * The schema holds a migration this version of the pack does not know and that a newer version
 * recorded as breaking earlier ones (Migration.breaksOlder): what it writes, this version may
 * misread (migration 33 left `fix_out.body` NULL, and a session of an earlier version would resend
 * that NULL), so this version neither runs on such a schema nor takes a session over in it. Only
 * installing the newer version ends it.
 */
export class SchemaNewerError extends Error {
  readonly needsOperator = true

  constructor (readonly schema: string, readonly found: number, readonly known: number) {
    // The words before " (" are what a status shows (shortReason); a log line has it all.
    super(`schema needs a newer pack (schema ${JSON.stringify(schema)} holds migration ${found}, which a newer ` +
      'version of the pack applied and earlier versions cannot work with; this version knows migrations up to ' +
      `${known}, so it neither runs on that schema nor takes a session over in it: nothing was changed; ` +
      'install the newer version)')
    this.name = 'SchemaNewerError'
  }
}

/** The newest migration this version of the pack knows. */
export const SCHEMA_VERSION = Math.max(...allMigrations.map(m => m.version))

/**
 * The newest migration of the schema that earlier versions cannot work with (0: none), as a
 * subquery over `schema_migrations` (quoted, schema-qualified), for the lease statement to embed
 * (migrate() reads the same from the rows it reads anyway).
 */
export function newestBreakingSql (migrationsTable: string): string {
  return `SELECT COALESCE(max(version) FILTER (WHERE breaks_older), 0) AS v FROM ${migrationsTable}`
}

export interface MigrationResult {
  /** Versions applied by this run (empty when the schema was already current). */
  applied: number[]
  /** Highest version now in place. */
  version: number
}

/**
 * Brings the pack's tables in `schema` up to date, in one transaction. An advisory lock keyed
 * on the schema makes concurrent starts (several Node-RED instances, or a redeploy racing a
 * start) take turns; a second run finds everything applied and changes nothing. A schema that
 * already holds a migration newer than any of `migrations`, recorded as breaking earlier versions,
 * is refused (SchemaNewerError) before anything is applied; a newer additive one is left alone.
 */
export async function migrate (
  db: Database,
  schema: string,
  migrations: readonly Migration[] = allMigrations
): Promise<MigrationResult> {
  const s = quoteIdent(schema, 'schema')
  const ordered = [...migrations].sort((a, b) => a.version - b.version)
  return await db.transaction(async tx => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`node-red-contrib-fix-streamers:${schema}`])
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${s}`)
    await tx.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      breaks_older boolean NOT NULL DEFAULT false
    )`)
    const marking = await addBreaksOlder(tx, s)
    const recorded = (await tx.query<{ version: number, breaks_older: boolean }>(
      `SELECT version, breaks_older FROM ${s}.schema_migrations`)).rows
    const done = new Set(recorded.map(r => r.version))
    const known = Math.max(0, ...ordered.map(m => m.version))
    const breaking = Math.max(0, ...recorded.filter(r => r.breaks_older).map(r => r.version))
    if (breaking > known) throw new SchemaNewerError(schema, breaking, known)
    const applied: number[] = []
    for (const m of ordered) {
      if (done.has(m.version)) continue
      for (const statement of m.up(s)) await tx.query(statement)
      await tx.query(`INSERT INTO ${s}.schema_migrations (version, name, breaks_older) VALUES ($1, $2, $3)`,
        [m.version, m.name, m.breaksOlder === true])
      applied.push(m.version)
    }
    // Rows recorded before the column existed get their mark.
    if (marking) {
      await tx.query(`UPDATE ${s}.schema_migrations SET breaks_older = true WHERE version = ANY($1)`,
        [ordered.filter(m => m.breaksOlder === true).map(m => m.version)])
    }
    const version = Math.max(0, ...done, ...applied)
    return { applied, version }
  })
}

/**
 * `schema_migrations` made before `breaks_older` existed gets it; true when it was added (its rows
 * are then to be marked). Looked up first, so a start takes no lock on the table when the column is
 * there (the lease statements read it).
 */
async function addBreaksOlder (tx: Queryable, quoted: string): Promise<boolean> {
  const has = await tx.query(`SELECT 1 FROM pg_attribute
    WHERE attrelid = to_regclass($1) AND attname = 'breaks_older' AND NOT attisdropped`,
  [`${quoted}.schema_migrations`])
  if (has.rows.length > 0) return false
  await tx.query(`ALTER TABLE ${quoted}.schema_migrations ADD COLUMN breaks_older boolean NOT NULL DEFAULT false`)
  return true
}
