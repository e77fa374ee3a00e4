import { Database } from './database'
import { quoteIdent } from './identifiers'
import { migrations as allMigrations } from './migrations'

export interface Migration {
  version: number
  name: string
  /** Statements to run, given the quoted schema name. Additive only: never drop user data. */
  up: (quotedSchema: string) => string[]
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
 * start) take turns; a second run finds everything applied and changes nothing.
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
