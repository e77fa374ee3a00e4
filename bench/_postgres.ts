/**
 * The database of the end-to-end benchmark and its durability, so every figure says what it was
 * measured on. BENCH_E2E_DURABILITY=on (the default) needs a PostgreSQL with fsync=on and
 * synchronous_commit=on, as production runs; =off is the labelled variant with fsync=off (the
 * tests' server). DATABASE_URL names the server, which must match; without it the bench starts a
 * throw-away server itself (scripts/test-postgres.sh with TEST_PG_FSYNC), warms its WAL (warmWal), has it
 * time its WAL flushes (timeWalFlushes) and stops it afterwards.
 * BENCH_E2E_DATABASE=pglite runs on embedded PGlite instead (its durability is not these settings).
 */
import { spawnSync } from 'child_process'
import * as fs from 'fs'
import * as path from 'path'
import { Client } from 'pg'

export type Durability = 'on' | 'off'

export interface BenchDatabase {
  /** PostgreSQL URL; undefined for embedded PGlite. */
  url?: string
  /** What every table of the run is measured on, e.g. "PostgreSQL 15.18, fsync=on, synchronous_commit=on". */
  label: string
  durability: Durability | 'pglite'
  /** The server's settings not at PostgreSQL's built-in defaults (name=value, ...), for the header. */
  settings?: string
  stop: () => Promise<void>
}

const root = path.resolve(__dirname, '..', '..')

export function wantedDurability (): Durability {
  const v = (process.env.BENCH_E2E_DURABILITY ?? 'on').trim()
  if (v !== 'on' && v !== 'off') throw new Error(`BENCH_E2E_DURABILITY must be on or off, not "${v}"`)
  return v
}

async function settingsOf (url: string): Promise<{ fsync: string, syncCommit: string, version: string }> {
  const c = new Client({ connectionString: url })
  await c.connect()
  try {
    const r = await c.query<{ fsync: string, sc: string, v: string }>(
      "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc, " +
        "current_setting('server_version') AS v")
    return { fsync: r.rows[0].fsync, syncCommit: r.rows[0].sc, version: r.rows[0].v }
  } finally {
    await c.end()
  }
}

/** Where the server is and how it formats text: no bearing on the figures. */
const NOT_PRINTED = new Set(['listen_addresses', 'port', 'unix_socket_directories', 'DateStyle', 'TimeZone',
  'log_timezone', 'lc_messages', 'lc_monetary', 'lc_numeric', 'lc_time', 'default_text_search_config',
  'client_encoding', 'application_name', 'config_file', 'data_directory', 'hba_file', 'ident_file'])

/**
 * Every setting of the server that is not PostgreSQL's built-in default (set on its command line,
 * in its configuration files or by ALTER SYSTEM / ALTER DATABASE), so the figures say what they were
 * measured on: initdb's postgresql.conf and scripts/test-postgres.sh's options included.
 */
async function nonDefaultSettings (url: string): Promise<string> {
  const c = new Client({ connectionString: url })
  await c.connect()
  try {
    const r = await c.query<{ name: string, setting: string, unit: string | null }>(
      "SELECT name, setting, unit FROM pg_settings WHERE source NOT IN ('default', 'override', 'client', 'session') " +
        'AND setting IS DISTINCT FROM boot_val ORDER BY name')
    return r.rows.filter(x => !NOT_PRINTED.has(x.name))
      .map(x => `${x.name}=${x.setting}${x.unit !== null && x.unit !== '' ? ` ${x.unit}` : ''}`).join(', ')
  } finally {
    await c.end()
  }
}

/** Starts scripts/test-postgres.sh's throw-away server with the given fsync; returns its URL and a stop. */
function startThrowaway (durability: Durability): { url: string, stop: () => void } {
  const r = spawnSync('bash', ['-c',
    'source scripts/test-postgres.sh >&2 && printf "%s\\n%s\\n%s\\n" "$DATABASE_URL" "$TEST_PG_DATA" "$PG_BIN"'],
  {
    cwd: root,
    env: { ...process.env, TEST_PG_FSYNC: durability },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit']
  })
  if (r.status !== 0) throw new Error(`starting a throw-away PostgreSQL (scripts/test-postgres.sh) failed: ${r.status}`)
  const [url, data, bin] = r.stdout.trim().split('\n')
  const pgCtl = [path.join(bin, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']
  // As the script does: the server runs as the postgres user when the bench runs as root.
  const stop = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...pgCtl] : pgCtl
  return {
    url,
    stop: () => {
      spawnSync(stop[0], stop.slice(1), { stdio: 'ignore' })
      fs.rmSync(data, { recursive: true, force: true })
    }
  }
}

/** WAL the throw-away server writes before the bench measures: max_wal_size (1 GB), in 16 MB segments. */
const WARM_SEGMENTS = 64

/**
 * Gives a new throw-away server the WAL segments a server in service has. A fresh cluster has none
 * to reuse: until its checkpoints have recycled some, each new 16 MB segment is created by writing
 * 16 MB of zeros and an fsync (wal_init_zero), while the WAL write lock is held, so every commit on
 * the server waits for it (40-150 ms on the bench machine's disk, once every few seconds at 1,000
 * orders/s: docs/performance.md, 4 December 2026, session 16). A server that has been running reuses
 * the segments its checkpoints recycle. So the bench fills max_wal_size worth of segments (a commit and
 * a segment switch each) and checkpoints, which recycles them for the run. No setting changes:
 * the run commits and flushes exactly as before.
 */
async function warmWal (url: string): Promise<void> {
  const c = new Client({ connectionString: url })
  await c.connect()
  try {
    await c.query('CREATE TABLE IF NOT EXISTS bench_wal_warm (n int)')
    for (let i = 0; i < WARM_SEGMENTS; i++) {
      await c.query('INSERT INTO bench_wal_warm VALUES ($1)', [i])
      await c.query('SELECT pg_switch_wal()')
    }
    await c.query('DROP TABLE bench_wal_warm')
    await c.query('CHECKPOINT')
  } finally {
    await c.end()
  }
}

/**
 * Turns on track_wal_io_timing on the throw-away server, so the bench can say how long a WAL flush
 * took in each phase (bench/_work.ts): a fixed rate's latencies are counted in those flushes, and
 * their time differs between runs on the same machine and is mostly not the device's own there
 * (docs/performance.md, sessions 35 and 36). It reads the clock around each WAL write and flush;
 * what is written and when it is flushed do not change. A server given by DATABASE_URL keeps its own
 * setting.
 */
export async function timeWalFlushes (url: string): Promise<void> {
  const c = new Client({ connectionString: url })
  await c.connect()
  try {
    await c.query('ALTER SYSTEM SET track_wal_io_timing = on')
    await c.query('SELECT pg_reload_conf()')
  } finally {
    await c.end()
  }
}

/**
 * The database for this run, checked against the wanted durability: a server that does not match
 * is refused, so an fsync=off figure can never be printed as a durable one.
 */
export async function benchDatabase (): Promise<BenchDatabase> {
  if (process.env.BENCH_E2E_DATABASE === 'pglite') {
    return { label: 'embedded PGlite (not the fsync=on/off variants)', durability: 'pglite', stop: async () => {} }
  }
  const want = wantedDurability()
  const given = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== ''
  const server = given ? { url: process.env.DATABASE_URL!, stop: () => {} } : startThrowaway(want)
  try {
    const s = await settingsOf(server.url)
    const durable = s.fsync === 'on' && s.syncCommit === 'on'
    if (want === 'on' ? !durable : s.fsync !== 'off') {
      throw new Error(`BENCH_E2E_DURABILITY=${want} but the server at DATABASE_URL runs with fsync=${s.fsync}, ` +
        `synchronous_commit=${s.syncCommit}: start one with TEST_PG_FSYNC=${want} source scripts/test-postgres.sh, ` +
        `leave DATABASE_URL unset (the bench starts one), or set BENCH_E2E_DURABILITY=${want === 'on' ? 'off' : 'on'}`)
    }
    // A server given by DATABASE_URL is measured as it is.
    if (!given) {
      await warmWal(server.url)
      await timeWalFlushes(server.url)
    }
    return {
      url: server.url,
      label: `PostgreSQL ${s.version}, fsync=${s.fsync}, synchronous_commit=${s.syncCommit}` +
        `${want === 'off' ? ' (the BENCH_E2E_DURABILITY=off variant: not durable)' : ''}` +
        `${given
          ? ' (DATABASE_URL)'
          : ` (throw-away server; WAL warmed: ${WARM_SEGMENTS} segments recycled; its flushes timed)`}`,
      durability: want,
      settings: await nonDefaultSettings(server.url),
      stop: async () => { server.stop() }
    }
  } catch (err) {
    server.stop()
    throw err
  }
}
