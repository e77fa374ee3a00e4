import * as fs from 'fs'
import * as path from 'path'
import { createRequire } from 'module'
import { Database, QueryResult, Queryable } from '../../core/db/database'
import { installOldEngine } from '../../bin/upgrade-embedded'

const ROOT = path.resolve(__dirname, '../../..')

/**
 * The PostgreSQL 18 engine that versions of the pack before PGlite 0.6 embedded (PGlite 0.5.8 with
 * its pg_dump, from npm), installed once into .cache/pglite-pg18 (git-ignored) for the upgrade
 * specs: they make real PostgreSQL 18 folders with it, as an older pack did.
 */
export function pg18EngineFolder (): string {
  const folder = path.join(ROOT, '.cache', 'pglite-pg18')
  const marker = path.join(folder, 'node_modules', '@electric-sql', 'pglite-tools', 'package.json')
  if (fs.existsSync(marker)) return folder
  const partial = `${folder}.${process.pid}`
  fs.rmSync(partial, { recursive: true, force: true })
  installOldEngine(18, partial)
  try {
    fs.renameSync(partial, folder) // whole or not at all; another run may have won the race
  } catch {
    fs.rmSync(partial, { recursive: true, force: true })
  }
  return folder
}

interface Pg18 {
  query: <R>(text: string, params?: unknown[]) => Promise<{ rows: R[], affectedRows?: number }>
  exec: (sql: string) => Promise<unknown>
  transaction: <T>(fn: (tx: Pg18) => Promise<T>) => Promise<T>
  close: () => Promise<void>
}

/** A PostgreSQL 18 database in `dataDir`, seen through the pack's Database contract (query, transaction). */
export async function openPg18 (dataDir: string): Promise<Database & { raw: Pg18 }> {
  const load = createRequire(path.join(pg18EngineFolder(), 'package.json'))
  const { PGlite } = load('@electric-sql/pglite') as { PGlite: { create: (dir: string) => Promise<Pg18> } }
  const pg = await PGlite.create(dataDir)
  await pg.exec("SET TimeZone = 'UTC'")
  const result = <R>(r: { rows: R[], affectedRows?: number }): QueryResult<R> =>
    ({ rows: r.rows, rowCount: r.affectedRows ?? r.rows.length }) as unknown as QueryResult<R>
  let closed = false
  const db: Omit<Database, 'closed'> & { raw: Pg18 } = {
    kind: 'pglite',
    raw: pg,
    query: async <R>(text: string, params: readonly unknown[] = []) => result<R>(await pg.query<R>(text, [...params])),
    exec: async (script: string) => { await pg.exec(script) },
    transaction: async <T>(fn: (tx: Queryable) => Promise<T>) => await pg.transaction(async tx => await fn({
      query: async <R>(text: string, params: readonly unknown[] = []) => result<R>(await tx.query<R>(text, [...params]))
    })),
    batch: async () => { throw new Error('not used on PostgreSQL 18') },
    listen: async () => { throw new Error('not used on PostgreSQL 18') },
    close: async () => {
      closed = true
      await pg.close()
    }
  }
  return Object.defineProperty(db, 'closed', { get: () => closed }) as Database & { raw: Pg18 }
}
