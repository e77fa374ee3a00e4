import * as fs from 'fs'
import * as path from 'path'
import type { PGlite as PGliteType } from '@electric-sql/pglite'
import { ENGINE_MAJOR, dataDirMajor, upgradePaths } from './embedded-version'
import { restoreDump } from './dump-restore'

/** The little of a PGlite instance an upgrade uses, whichever version it is. */
export interface EngineDatabase {
  query: <R>(text: string) => Promise<{ rows: R[] }>
  exec: (sql: string) => Promise<unknown>
  close: () => Promise<void>
}

/** The engine of an older major: opens its folders and dumps them as plain SQL (its own pg_dump). */
export interface OldEngine {
  major: number
  open: (dataDir: string) => Promise<EngineDatabase>
  /** Writes the database's dump to `file`, a new file (the upgrade syncs it). */
  dump: (db: EngineDatabase, file: string) => Promise<void>
}

export interface UpgradeReport {
  /** 'upgraded', 'resumed' (an interrupted upgrade's last rename) or 'current' (nothing to do). */
  outcome: 'upgraded' | 'resumed' | 'current'
  fromMajor?: number
  /** Rows of every table and each sequence's last value, equal before and after. */
  tables: number
  rows: number
  backup?: string
  dump?: string
}

export interface UpgradeOptions {
  /**
   * The most transaction ids the new database may have to use up to pass the old one's
   * (MAX_TRANSACTION_ID_ADVANCE unless set): a test sets a lower one, not to burn a billion ids.
   */
  maxTransactionIdAdvance?: bigint
}

/** An upgrade that stopped before the data folder was touched: says why; the folder is as it was. */
export class EmbeddedUpgradeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'EmbeddedUpgradeError'
  }
}

/**
 * Moves the embedded database in `dataDir` from an older PostgreSQL major to the engine's, as
 * PostgreSQL's own major upgrades do: a dump by the old version, restored into a new folder by the
 * new one. The steps keep the old data readable at every instant, so a crash (or a kill) at any
 * point loses nothing and running the upgrade again finishes it:
 * 1. the old database is counted (rows of every table, last value of every sequence) and dumped;
 *    the dump is written next to it and synced (a dump left by an interrupted run is replaced);
 * 2. the new database is built in the staging folder (a partial one from a crash is started over)
 *    from that file, a few megabytes of statements at a time (dump-restore.ts), and counted: the
 *    counts must match the old ones exactly, or the upgrade stops with the folder untouched; then
 *    its transaction ids are moved past the old database's (advanceTransactionIds);
 * 3. the data folder is renamed to the backup folder, then the staging folder to the data folder.
 *    Between the two renames there is no data folder: the pack refuses to open one while a staging
 *    folder exists (assertEngineCanOpen), and the next run does the second rename.
 * The backup folder and the dump are kept: an operator removes them once satisfied.
 */
export async function upgradeEmbedded (
  dataDir: string,
  old: OldEngine,
  log: (line: string) => void = () => {},
  options: UpgradeOptions = {}
): Promise<UpgradeReport> {
  const limit = options.maxTransactionIdAdvance ?? MAX_TRANSACTION_ID_ADVANCE
  const dir = path.resolve(dataDir)
  const { staging, backup, dump } = upgradePaths(dir, old.major)
  const major = dataDirMajor(dir)
  if (major === undefined && fs.existsSync(staging) && dataDirMajor(backup) === old.major) {
    log(`the data folder was already moved to ${backup}: finishing the upgrade`)
    await renameSynced(staging, dir)
    return { outcome: 'resumed', fromMajor: old.major, tables: 0, rows: 0, backup, dump }
  }
  if (major === ENGINE_MAJOR) return { outcome: 'current', tables: 0, rows: 0 }
  if (major === undefined) throw new EmbeddedUpgradeError(`${dir} is not a PostgreSQL data folder (no PG_VERSION)`)
  if (major !== old.major) {
    throw new EmbeddedUpgradeError(`${dir} was made by PostgreSQL ${major}; this upgrade reads PostgreSQL ${old.major}`)
  }
  if (fs.existsSync(backup)) throw new EmbeddedUpgradeError(`${backup} exists already: move it away first`)

  log(`reading ${dir} with PostgreSQL ${old.major}`)
  const source = await old.open(dir)
  let before: Census
  let next: bigint
  const partial = `${dump}.partial` // a dump left by an interrupted run is replaced, whole or not at all
  try {
    before = await census(source)
    next = await nextTransactionId(source)
    tooFar(next, limit) // before the long part: a new cluster starts near 0
    fs.rmSync(partial, { force: true })
    await old.dump(source, partial)
  } finally {
    await source.close()
  }
  syncFile(partial)
  await renameSynced(partial, dump)
  log(`dumped ${before.tables} tables, ${before.rows} rows (${fs.statSync(dump).size} bytes) to ${dump}`)

  fs.rmSync(staging, { recursive: true, force: true })
  log(`restoring into ${staging} with PostgreSQL ${ENGINE_MAJOR}`)
  const { PGlite } = await import('@electric-sql/pglite')
  try {
    const target: PGliteType = await PGlite.create(staging)
    try {
      await restoreDump(target, dump)
      await target.exec('RESET ALL') // the dump's session settings (an empty search_path) end here
      const differences = compare(before, await census(target as unknown as EngineDatabase))
      if (differences.length > 0) {
        throw new EmbeddedUpgradeError(`the restored database differs from ${dir}, which is unchanged: ` +
          differences.slice(0, 5).join('; ') + (differences.length > 5 ? ` and ${differences.length - 5} more` : ''))
      }
      await advanceTransactionIds(target as unknown as EngineDatabase, next, limit, log)
    } finally {
      await target.close()
    }
    syncTree(staging)
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true }) // the data folder is as it was; a half-made copy helps nobody
    throw err
  }
  await renameSynced(dir, backup)
  await renameSynced(staging, dir)
  log(`${dir} now holds PostgreSQL ${ENGINE_MAJOR}; the PostgreSQL ${old.major} folder is kept as ${backup}`)
  return { outcome: 'upgraded', fromMajor: old.major, tables: before.tables, rows: before.rows, backup, dump }
}

const NEXT_XID = 'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x'

/** The transaction id the database will give next (its snapshot's xmax), which assigns none. */
async function nextTransactionId (db: EngineDatabase): Promise<bigint> {
  return BigInt((await db.query<{ x: string }>(NEXT_XID)).rows[0].x)
}

/** Past this many ids to burn the upgrade stops (over an hour's work, and near wraparound's limits). */
export const MAX_TRANSACTION_ID_ADVANCE = 1_000_000_000n
const BURN_CHUNK = 1_000_000n

/**
 * Moves the restored database's next transaction id to `next`, the old database's. Stream
 * positions start with a transaction id (xid8, core/stream/horizon-xid8.ts): the restored rows,
 * checkpoints and journals keep the old database's ids, but a new cluster counts from a few
 * hundred. Left there, a restored row above the new horizon would never become readable, and a
 * new row, numbered below every checkpoint, would be passed over for good. pg_upgrade carries the
 * counter over with pg_resetwal, which PGlite has not; so the new database uses up the ids, each
 * in a transaction of its own (COMMIT inside a DO loop; about 190,000 a second).
 */
async function advanceTransactionIds (
  db: EngineDatabase, next: bigint, limit: bigint, log: (line: string) => void
): Promise<void> {
  let at = await nextTransactionId(db)
  tooFar(next - at, limit)
  if (at >= next) return
  log(`moving the transaction ids from ${at} to ${next}, past the old database's`)
  let shown = Date.now()
  while (at < next) {
    const n = next - at < BURN_CHUNK ? next - at : BURN_CHUNK
    await db.exec(`DO $$ BEGIN FOR i IN 1..${n} LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`)
    at = await nextTransactionId(db)
    if (Date.now() - shown >= 10000) {
      log(`  at ${at} of ${next}`)
      shown = Date.now()
    }
  }
}

function tooFar (ids: bigint, limit: bigint): void {
  if (ids <= limit) return
  throw new EmbeddedUpgradeError(`the old database has used ${ids} transaction ids, more than this upgrade ` +
    `can carry its stream positions over (${limit}); the folder is unchanged`)
}

interface Census {
  tables: number
  rows: number
  /** "table schema.name" -> rows, "sequence schema.name" -> last value. */
  counts: Map<string, string>
}

/** Every user table's rows and every sequence's last value: what a dump and restore must carry over. */
async function census (db: EngineDatabase): Promise<Census> {
  const tables = (await db.query<{ name: string }>(`
    SELECT format('%I.%I', n.nspname, c.relname) AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY 1`)).rows
  const counts = new Map<string, string>()
  let rows = 0
  for (const { name } of tables) {
    const n = (await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${name}`)).rows[0].n
    counts.set(`table ${name}`, n)
    rows += Number(n)
  }
  const sequences = await db.query<{ name: string, last: string | null }>(`
    SELECT format('%I.%I', schemaname, sequencename) AS name, last_value::text AS last FROM pg_sequences`)
  for (const { name, last } of sequences.rows) counts.set(`sequence ${name}`, last ?? 'unused')
  return { tables: tables.length, rows, counts }
}

function compare (before: Census, after: Census): string[] {
  const out: string[] = []
  for (const [what, n] of before.counts) {
    const m = after.counts.get(what)
    if (m !== n) out.push(`${what}: ${n} before, ${m ?? 'missing'} after`)
  }
  for (const what of after.counts.keys()) if (!before.counts.has(what)) out.push(`${what}: not in the old database`)
  return out
}

function syncFile (file: string): void {
  const fd = fs.openSync(file, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** A rename that survives a power cut: the folder holding both names is synced after it. */
async function renameSynced (from: string, to: string): Promise<void> {
  await fs.promises.rename(from, to)
  syncFile(path.dirname(to)) // a folder's fsync makes its entries durable
}

/** Syncs every file and folder of the new database before it takes the data folder's name. */
function syncTree (root: string): void {
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    const p = path.join(root, entry.name)
    if (entry.isDirectory()) syncTree(p)
    else if (entry.isFile()) syncFile(p)
  }
  syncFile(root)
}
