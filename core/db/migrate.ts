import { Database } from './database'
import { quoteIdent } from './identifiers'
import { migrations as allMigrations } from './migrations'

export interface Migration {
  version: number
  name: string
  /** Statements to run, given the quoted schema name. Additive only: never drop user data. */
  up: (quotedSchema: string) => string[]
}

/**
 * The schema holds a migration this version of the pack does not know: a newer version upgraded it.
 * What a newer version writes, an older one may misread (migration 33 left `fix_out.body` NULL, and
 * a session of an earlier version would resend that NULL), so an older version neither runs on such
 * a schema nor takes a session over in it. Only installing the newer version ends it.
 */
export class SchemaNewerError extends Error {
  readonly needsOperator = true

  constructor (readonly schema: string, readonly found: number, readonly known: number) {
    // The words before " (" are what a status shows (shortReason); a log line has it all.
    super(`schema needs a newer pack (schema ${JSON.stringify(schema)} is at migration ${found}, made by a newer ` +
      `version of the pack; this version knows migrations up to ${known}, so it neither runs on that schema ` +
      'nor takes a session over in it: nothing was changed; install the newer version)')
    this.name = 'SchemaNewerError'
  }
}

/** The newest migration this version of the pack knows. */
export const SCHEMA_VERSION = Math.max(...allMigrations.map(m => m.version))

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
 * already holds a migration newer than any of `migrations` is refused (SchemaNewerError) before
 * anything is applied.
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
      applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`)
    const done = new Set(
      (await tx.query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations`)).rows.map(r => r.version)
    )
    const known = Math.max(0, ...ordered.map(m => m.version))
    const found = Math.max(0, ...done)
    if (found > known) throw new SchemaNewerError(schema, found, known)
    const applied: number[] = []
    for (const m of ordered) {
      if (done.has(m.version)) continue
      for (const statement of m.up(s)) await tx.query(statement)
      await tx.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name])
      applied.push(m.version)
    }
    const version = Math.max(0, ...done, ...applied)
    return { applied, version }
  })
}
