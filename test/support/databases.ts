/**
 * The databases every database test runs against: embedded PGlite always, and a real
 * PostgreSQL server when DATABASE_URL (or PGHOST) is set, as .ci/run does.
 */
import { Database, PgDatabase, PgliteDatabase, PgOptions } from '../../core'

export interface DatabaseTarget {
  name: 'pglite' | 'postgres'
  /** A fresh database: a new PGlite in memory, or a pool on the test server. */
  open: () => Promise<Database>
  /** Options for the pg driver, for tests that need a second, separate connection. */
  pg?: PgOptions
}

export function serverOptions (): PgOptions | undefined {
  if (process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '') {
    return { connectionString: process.env.DATABASE_URL }
  }
  if (process.env.PGHOST !== undefined && process.env.PGHOST !== '') return {} // pg reads the PG* variables
  return undefined
}

export function databaseTargets (): DatabaseTarget[] {
  const targets: DatabaseTarget[] = [{ name: 'pglite', open: async () => await PgliteDatabase.open() }]
  const pg = serverOptions()
  if (pg !== undefined) {
    targets.push({
      name: 'postgres',
      pg,
      open: async () => await PgDatabase.open({ ...pg, applicationName: 'fix-streamers-test' })
    })
  }
  return targets
}

/** Runs `suite` once per target: `describe('<title> [pglite]')`, `describe('<title> [postgres]')`. */
export function describeEachDatabase (title: string, suite: (target: DatabaseTarget) => void): void {
  for (const target of databaseTargets()) describe(`${title} [${target.name}]`, () => suite(target))
  if (serverOptions() === undefined) {
    describe(`${title} [postgres]`, () => {
      it.skip('needs a PostgreSQL server: set DATABASE_URL', () => {})
    })
  }
}

/** A schema name no other test uses, so tests on a shared server never see each other's tables. */
export function uniqueSchema (prefix = 't'): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`
}

export async function dropSchema (db: Database, schema: string): Promise<void> {
  if (!db.closed) await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
}

// Waiting and temp folders have their own modules; re-exported for the specs that import them from here.
export { eventually } from './wait'
export { tempDir } from './temp'
