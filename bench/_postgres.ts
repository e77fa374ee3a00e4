/**
 * The database of the end-to-end benchmark and its durability, so every figure says what it was
 * measured on. BENCH_E2E_DURABILITY=on (the default) needs a PostgreSQL with fsync=on and
 * synchronous_commit=on, as production runs; =off is the labelled variant with fsync=off (the
 * tests' server). DATABASE_URL names the server, which must match; without it the bench starts a
 * throw-away server itself (scripts/test-postgres.sh with TEST_PG_FSYNC) and stops it afterwards.
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
    return {
      url: server.url,
      label: `PostgreSQL ${s.version}, fsync=${s.fsync}, synchronous_commit=${s.syncCommit}` +
        `${want === 'off' ? ' (the BENCH_E2E_DURABILITY=off variant: not durable)' : ''}` +
        `${given ? ' (DATABASE_URL)' : ' (throw-away server)'}`,
      durability: want,
      stop: async () => { server.stop() }
    }
  } catch (err) {
    server.stop()
    throw err
  }
}
