/**
 * Commit wake benchmark (issue 21): how long a row waits between its writer's commit and its delivery
 * by a live stream, with the stream polling alone (the e2e fix_in stream's pacing: 200 ms idle, 20 ms
 * busy) and with the writer announcing each commit in-process (core/db/commit-wake.ts), the two
 * alternating in one process on one server. Also the stream's statements and Node's CPU per commit.
 * A writer commits BENCH_WAKE_ROWS rows (6) every BENCH_WAKE_EVERY_MS (6 ms) plus its commit time, for
 * BENCH_WAKE_SECONDS (6) per round, BENCH_WAKE_ROUNDS (3) rounds of each.
 * Needs DATABASE_URL (a PostgreSQL server); prints a skip line otherwise.
 */
import { announceCommit } from '../core/db/commit-wake'
import { PgDatabase, QueryResult } from '../core/db'
import { Streamer } from '../core/stream'
import { countOr, secondsSetting } from './_knobs'

const ROUNDS = countOr('BENCH_WAKE_ROUNDS', 3)
const SECONDS = secondsSetting('BENCH_WAKE_SECONDS', 6)
const EVERY_MS = countOr('BENCH_WAKE_EVERY_MS', 6)
const ROWS = countOr('BENCH_WAKE_ROWS', 6)

type Mode = 'poll' | 'wake'

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
}

export async function run (): Promise<void> {
  const url = process.env.DATABASE_URL
  if (url === undefined || url === '') {
    console.log('wake: skipped (needs DATABASE_URL)')
    return
  }
  const db = await PgDatabase.open({ connectionString: url })
  // The stream's statements (SELECTs; the writer only INSERTs), counted on the database object itself.
  let selects = 0
  const query = db.query.bind(db)
  db.query = async <R = Record<string, unknown>>(
    text: string, params?: readonly unknown[]
  ): Promise<QueryResult<R>> => {
    if (text.startsWith('SELECT')) selects++
    return await query<R>(text, params)
  }
  const schema = `wake_bench_${process.pid}`
  await db.query(`CREATE SCHEMA "${schema}"`)
  const latency: Record<Mode, number[]> = { poll: [], wake: [] }
  const perCommit: Record<Mode, { cpuMs: number, selects: number, commits: number }> = {
    poll: { cpuMs: 0, selects: 0, commits: 0 },
    wake: { cpuMs: 0, selects: 0, commits: 0 }
  }
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['poll', 'wake'] as Mode[]) {
        const name = `ev_${mode}_${round}`
        await db.query(`CREATE TABLE "${schema}".${name} (seq bigserial PRIMARY KEY,
          tx xid8 NOT NULL DEFAULT pg_current_xact_id(), n int)`)
        await db.query(`CREATE INDEX ON "${schema}".${name} (tx, seq)`)
        const s = new Streamer({
          name: 'wake',
          database: db,
          table: `${schema}.${name}`,
          positionColumns: ['tx', 'seq'],
          pollMs: 200,
          busyPollMs: 20,
          batchSize: 500
        })
        const committedAt = new Map<string, number>()
        s.subscribe({ kind: 'live' }, {
          deliver: async rows => {
            const now = performance.now()
            for (const r of rows) {
              const at = committedAt.get(String(r.row.seq))
              if (at !== undefined) latency[mode].push(now - at)
            }
          },
          onState: () => {}
        })
        await sleep(500)
        const cpu0 = process.cpuUsage()
        const selects0 = selects
        const end = Date.now() + SECONDS * 1000
        let commits = 0
        while (Date.now() < end) {
          const r = await db.query<{ seq: string }>(
            `INSERT INTO "${schema}".${name} (n) SELECT g FROM generate_series(1, $1::int) g RETURNING seq`, [ROWS])
          const now = performance.now()
          for (const x of r.rows) committedAt.set(String(x.seq), now)
          if (mode === 'wake') announceCommit(db, { schema, name })
          commits++
          await sleep(EVERY_MS)
        }
        await sleep(500)
        const cpu = process.cpuUsage(cpu0)
        const t = perCommit[mode]
        t.cpuMs += (cpu.user + cpu.system) / 1000
        t.selects += selects - selects0
        t.commits += commits
        await s.close()
      }
    }
  } finally {
    await db.query(`DROP SCHEMA "${schema}" CASCADE`).catch(() => {})
    await db.close()
  }
  console.log(`\ncommit -> delivered by a live stream (poll 200 ms idle, 20 ms busy), ${ROUNDS} rounds of ` +
    `${SECONDS} s each, alternating; a commit of ${ROWS} rows every ${EVERY_MS} ms + its commit time`)
  console.log('| stream | commits/s | p50 / p90 / p99 / max ms | stream statements per commit | ' +
    'Node CPU ms per commit |')
  console.log('|---|---|---|---|---|')
  for (const mode of ['poll', 'wake'] as Mode[]) {
    const l = [...latency[mode]].sort((a, b) => a - b)
    const t = perCommit[mode]
    const f = (n: number): string => n.toFixed(1)
    console.log(`| ${mode === 'poll' ? 'polling alone' : 'woken by the writer'} | ` +
      `${Math.round(t.commits / (ROUNDS * SECONDS))} | ` +
      `${f(percentile(l, 0.5))} / ${f(percentile(l, 0.9))} / ${f(percentile(l, 0.99))} / ` +
      `${f(l[l.length - 1])} | ` +
      `${(t.selects / t.commits).toFixed(2)} | ${(t.cpuMs / t.commits).toFixed(3)} |`)
  }
}
