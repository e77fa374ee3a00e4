/**
 * Streamer benchmark: 1M rows replayed through the streamer into a counting consumer, against a
 * raw `pg` keyset read of the same rows in the same run. Also measures how long a live
 * subscriber's rows wait while another subscriber replays the million rows.
 * Needs DATABASE_URL (a PostgreSQL server); prints a skip line otherwise.
 */
import { Client } from 'pg'
import { PgDatabase } from '../core/db'
import { Streamer } from '../core/stream'
import { countOr } from './_knobs'

const ROWS = countOr('BENCH_STREAMER_ROWS', 1000000)

function rate (n: number, ms: number): string {
  return `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} rows/s`
}

class RssPeak {
  peak = 0
  private readonly timer: NodeJS.Timeout
  constructor () {
    this.sample()
    this.timer = setInterval(() => this.sample(), 20)
  }

  sample (): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss)
  }

  stop (): number {
    clearInterval(this.timer)
    this.sample()
    return Math.round(this.peak / 1048576)
  }
}

async function rawKeyset (url: string, table: string, batch: number): Promise<number> {
  const c = new Client({ connectionString: url })
  await c.connect()
  let n = 0
  let last: [string, string] | undefined
  for (;;) {
    const r = last === undefined
      ? await c.query(`SELECT *, tx::text AS tx_text FROM ${table} WHERE tx < ` +
        `pg_snapshot_xmin(pg_current_snapshot()) ORDER BY ${table}.tx, ${table}.seq LIMIT $1`, [batch])
      : await c.query(`SELECT *, tx::text AS tx_text FROM ${table} WHERE (tx, seq) > ($1::xid8, $2::bigint) AND tx < ` +
        `pg_snapshot_xmin(pg_current_snapshot()) ORDER BY ${table}.tx, ${table}.seq LIMIT $3`, [...last, batch])
    n += r.rows.length
    if (r.rows.length < batch) break
    const row = r.rows[r.rows.length - 1]
    last = [row.tx_text, String(row.seq)]
  }
  await c.end()
  return n
}

async function throughStreamer (db: PgDatabase, table: string, batch: number): Promise<number> {
  const s = new Streamer({
    name: 'bench',
    database: db,
    table,
    positionColumns: ['tx', 'seq'],
    batchSize: batch,
    pollMs: 1000
  })
  let n = 0
  await new Promise<void>((resolve, reject) => {
    s.subscribe({ kind: 'beginning' }, {
      deliver: async rows => { n += rows.length },
      onState: st => {
        if (st.phase === 'live') resolve()
        if (st.phase === 'failed') reject(new Error(st.error))
      }
    })
  })
  await s.close()
  return n
}

/** p50/p99/max of a live subscriber's delay (commit -> deliver) while another replays everything. */
async function liveWhileReplaying (db: PgDatabase, url: string, table: string): Promise<string> {
  const s = new Streamer({
    name: 'bench',
    database: db,
    table,
    positionColumns: ['tx', 'seq'],
    batchSize: 500,
    pollMs: 50,
    listenChannel: 'fs_bench_live'
  })
  const delays: number[] = []
  const sent = new Map<string, number>()
  await new Promise<void>(resolve =>
    s.subscribe(
      { kind: 'live' },
      {
        deliver: async rows => {
          for (const r of rows) {
            const t = sent.get(String(r.row.symbol))
            if (t !== undefined) delays.push(Date.now() - t)
          }
        },
        onState: st => {
          if (st.phase === 'live') resolve()
        }
      }
    )
  )
  let replayed = 0
  let replayDone = false
  s.subscribe({ kind: 'beginning' }, {
    deliver: async rows => { replayed += rows.length },
    onState: st => { if (st.phase === 'live') replayDone = true }
  })
  const w = new Client({ connectionString: url })
  await w.connect()
  let i = 0
  const started = Date.now()
  while (!replayDone && Date.now() - started < 120000) {
    const key = `live-${i++}`
    const t = Date.now()
    await w.query(
      `INSERT INTO ${table} (ts, symbol, qty, price) VALUES (clock_timestamp(), $1, 1, 1); NOTIFY fs_bench_live`
        .replace('$1', `'${key}'`))
    sent.set(key, t)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  await new Promise(resolve => setTimeout(resolve, 500))
  await w.end()
  await s.close()
  delays.sort((a, b) => a - b)
  const q = (p: number): number => delays[Math.min(delays.length - 1, Math.floor(p * delays.length))] ?? NaN
  return `${delays.length} live rows during a replay of ${replayed.toLocaleString('en-US')} rows: delay ` +
    `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${delays[delays.length - 1]} ms`
}

export async function run (): Promise<void> {
  const url = process.env.DATABASE_URL
  if (url === undefined || url === '') {
    console.log('streamer: skipped (set DATABASE_URL to a PostgreSQL server to run it)')
    return
  }
  const db = await PgDatabase.open({ connectionString: url })
  const schema = `bench_streamer_${process.pid}`
  const table = `${schema}.ticks`
  try {
    await db.query(`CREATE SCHEMA ${schema}`)
    await db.query(`CREATE TABLE ${table} (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT pg_current_xact_id(), ` +
      'ts timestamptz, symbol text, qty int, price numeric)')
    const t0 = Date.now()
    for (let done = 0; done < ROWS; done += 100000) {
      // Several transactions, so the rows span several transaction ids as in real life.
      await db.query(`INSERT INTO ${table} (ts, symbol, qty, price) SELECT clock_timestamp(), 'SYM' || (g % 500),
        g % 1000, (g % 100000) / 100.0
        FROM generate_series(1, $1::int) g`, [Math.min(100000, ROWS - done)])
    }
    await db.query(`CREATE INDEX ON ${table} (tx, seq)`)
    await db.query(`VACUUM ANALYZE ${table}`)
    console.log(`streamer: ${ROWS.toLocaleString('en-US')} rows loaded in ${Date.now() - t0} ms`)

    await rawKeyset(url, table, 5000) // warm the cache
    const results: Array<{ label: string, ms: number, n: number, rss: number }> = []
    for (const [label, fn] of [
      ['raw pg keyset, 5000/page', async () => await rawKeyset(url, table, 5000)],
      ['streamer, batch 5000', async () => await throughStreamer(db, table, 5000)],
      ['streamer, batch 500 (default)', async () => await throughStreamer(db, table, 500)]
    ] as Array<[string, () => Promise<number>]>) {
      if (global.gc !== undefined) global.gc()
      const rss = new RssPeak()
      const t = Date.now()
      const n = await fn()
      results.push({ label, ms: Date.now() - t, n, rss: rss.stop() })
    }
    const base = results[0]
    for (const r of results) {
      const ratio = (base.ms / r.ms).toFixed(2)
      console.log(`streamer: ${r.label.padEnd(30)} ${String(r.n).padStart(8)} rows in ${String(r.ms).padStart(5)} ms ` +
        `= ${rate(r.n, r.ms).padStart(16)}  (${ratio}x raw)  peak RSS ${r.rss} MB`)
      if (r.n !== ROWS) console.log(`streamer: WARNING ${r.label} read ${r.n} rows, expected ${ROWS}`)
    }
    console.log(`streamer: ${await liveWhileReplaying(db, url, table)}`)
  } finally {
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {})
    await db.close()
  }
}

if (require.main === module) {
  run().then(() => process.exit(0), err => {
    console.error(err)
    process.exit(1)
  })
}
