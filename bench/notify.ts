/**
 * Audit NOTIFY benchmark (issue 21): concurrent writers each committing one-row INSERTs into a
 * managed audit table (ensureAuditTable with a NOTIFY channel) that a live, LISTENing stream
 * follows. Two triggers alternate, round by round, on one server:
 * - 'always', the baseline: the trigger notifies every inserting statement (what it did before,
 *   and still does on PGlite);
 * - 'asleep': it notifies only while the stream is marked asleep (core/db/sleep-marker.ts).
 * PostgreSQL commits the transactions that notify one at a time, each with a WAL flush of its own,
 * so the figures that move are the writers' commits per second and WAL flushes per commit; the
 * stream's delivery latency (commit -> delivered) says what the wake-up costs.
 * Knobs: BENCH_NOTIFY_WRITERS (1,4,16), BENCH_NOTIFY_SECONDS (5 per round), BENCH_NOTIFY_ROUNDS (2 of
 * each), and the server as the e2e bench chooses it (bench/_postgres.ts: fsync=on and
 * synchronous_commit=on by default, BENCH_E2E_DURABILITY=off the labelled variant; PostgreSQL only).
 */
import { Client } from 'pg'
import { PgDatabase, QueryResult, quoteIdent } from '../core/db'
import { ensureAuditTable, Streamer } from '../core/stream'
import { sleep } from '../test/support/e2e/harness'
import { benchDatabase } from './_postgres'
import { percentile } from './_e2e-report'
import { countOr, countsSetting, secondsSetting } from './_knobs'

const WRITERS = countsSetting('BENCH_NOTIFY_WRITERS', [1, 4, 16], 'of writers')
const SECONDS = secondsSetting('BENCH_NOTIFY_SECONDS', 5)
const ROUNDS = countOr('BENCH_NOTIFY_ROUNDS', 2)
const CHANNEL = 'fs_bench_notify'

type Trigger = 'always' | 'asleep'

interface Tally {
  commits: number
  commitMs: number[]
  deliveryMs: number[]
  flushes: number
  notifies: number
  /** The stream's reads (its SELECTs on the pool). */
  reads: number
  ms: number
}

async function walSyncs (c: Client): Promise<number> {
  return Number((await c.query<{ n: string }>('SELECT wal_sync::text AS n FROM pg_stat_wal')).rows[0].n)
}

/** One round: `writers` connections inserting for SECONDS into a table just made, with one trigger. */
async function round (url: string, db: PgDatabase, reads: { n: number }, schema: string, name: string, trigger: Trigger,
  writers: number, tally: Tally): Promise<void> {
  const source = `${quoteIdent(schema)}.${quoteIdent(name)}`
  await db.query(`CREATE TABLE ${source} (id bigserial PRIMARY KEY, qty int)`)
  await ensureAuditTable(db, { source: `${schema}.${name}`, notifyChannel: CHANNEL })
  if (trigger === 'always') {
    // The trigger with its channel alone: the function then notifies every statement, as before.
    const fn = `${quoteIdent(schema)}.${quoteIdent(`${name}_audit_notify`)}`
    const audit = `${quoteIdent(schema)}.${quoteIdent(`${name}_audit`)}`
    await db.query(`DROP TRIGGER ${quoteIdent(`${name}_audit_notify`)} ON ${audit}`)
    await db.query(`CREATE TRIGGER ${quoteIdent(`${name}_audit_notify`)} AFTER INSERT ON ${audit} ` +
      `FOR EACH STATEMENT EXECUTE FUNCTION ${fn}('${CHANNEL}')`)
  }
  const committedAt = new Map<string, number>()
  const s = new Streamer({
    name: 'notify-bench',
    database: db,
    table: `${schema}.${name}_audit`,
    positionColumns: ['audit_tx', 'audit_seq'],
    listenChannel: CHANNEL,
    pollMs: 1000,
    busyPollMs: 20,
    batchSize: 500
  })
  s.subscribe({ kind: 'live' }, {
    deliver: async rows => {
      const now = performance.now()
      for (const r of rows) {
        const at = committedAt.get(String(r.row.id))
        if (at !== undefined) tally.deliveryMs.push(now - at)
      }
    },
    onState: () => {}
  })
  // Every NOTIFY sent, heard by a plain listener (a listener hears them all, asleep or not).
  const listener = new Client({ connectionString: url })
  await listener.connect()
  let notifies = 0
  listener.on('notification', () => { notifies++ })
  await listener.query(`LISTEN ${CHANNEL}`)
  const clients = await Promise.all(Array.from({ length: writers }, async () => {
    const c = new Client({ connectionString: url })
    await c.connect()
    return c
  }))
  await sleep(300)
  const reads0 = reads.n
  const flushes0 = await walSyncs(listener)
  const t0 = performance.now()
  const end = Date.now() + SECONDS * 1000
  await Promise.all(clients.map(async c => {
    while (Date.now() < end) {
      const start = performance.now()
      const r = await c.query<{ id: string }>(`INSERT INTO ${source} (qty) VALUES (1) RETURNING id`)
      const now = performance.now()
      committedAt.set(r.rows[0].id, now)
      tally.commitMs.push(now - start)
      tally.commits++
    }
    // Hands this backend's WAL counts to pg_stat_wal now (else at most once a second).
    await c.query('SELECT pg_stat_force_next_flush()')
  }))
  tally.ms += performance.now() - t0
  await sleep(1500) // the stream's last deliveries and NOTIFYs
  tally.flushes += (await walSyncs(listener)) - flushes0
  tally.notifies += notifies
  tally.reads += reads.n - reads0
  await Promise.all(clients.map(async c => await c.end()))
  await listener.end()
  await s.close()
}

export async function run (): Promise<void> {
  if (process.env.BENCH_E2E_DATABASE === 'pglite') {
    console.log('notify: skipped (PostgreSQL only: on PGlite the trigger notifies always)')
    return
  }
  const server = await benchDatabase()
  const url = server.url as string
  const db = await PgDatabase.open({ connectionString: url, max: 4 })
  // The stream's reads, counted on the database object it uses (the writers have their own clients).
  const reads = { n: 0 }
  const query = db.query.bind(db)
  db.query = async <R = Record<string, unknown>>(
    text: string, params?: readonly unknown[]
  ): Promise<QueryResult<R>> => {
    if (/^\s*SELECT/i.test(text)) reads.n++
    return await query<R>(text, params)
  }
  const schema = `notify_bench_${process.pid}`
  await db.query(`CREATE SCHEMA ${quoteIdent(schema)}`)
  console.log(`${server.label}; ${SECONDS} s per round, ${ROUNDS} rounds of each trigger, alternating`)
  console.log('\n| writers | trigger | commits/s | commit p50 / p99 ms | WAL flushes per commit | ' +
    'NOTIFYs per commit | stream reads per commit | commit -> delivered p50 / p99 / max ms |')
  console.log('|---|---|---|---|---|---|---|---|')
  try {
    let n = 0
    for (const writers of WRITERS) {
      const tallies: Record<Trigger, Tally> = {
        always: { commits: 0, commitMs: [], deliveryMs: [], flushes: 0, notifies: 0, reads: 0, ms: 0 },
        asleep: { commits: 0, commitMs: [], deliveryMs: [], flushes: 0, notifies: 0, reads: 0, ms: 0 }
      }
      for (let r = 0; r < ROUNDS; r++) {
        for (const trigger of ['always', 'asleep'] as Trigger[]) {
          await round(url, db, reads, schema, `t${n++}`, trigger, writers, tallies[trigger])
        }
      }
      for (const trigger of ['always', 'asleep'] as Trigger[]) {
        const t = tallies[trigger]
        const c = [...t.commitMs].sort((a, b) => a - b)
        const d = [...t.deliveryMs].sort((a, b) => a - b)
        const rate = t.commits / (t.ms / 1000)
        const base = tallies.always.commits / (tallies.always.ms / 1000)
        const f = (x: number): string => x.toFixed(2)
        console.log(`| ${writers} | ${trigger === 'always' ? 'always (baseline)' : 'while asleep'} | ` +
          `${Math.round(rate).toLocaleString('en-US')}` +
          `${trigger === 'asleep' ? ` (${(rate / base).toFixed(2)}x)` : ''} | ` +
          `${f(percentile(c, 0.5))} / ${f(percentile(c, 0.99))} | ${f(t.flushes / t.commits)} | ` +
          `${f(t.notifies / t.commits)} | ${f(t.reads / t.commits)} | ` +
          `${f(percentile(d, 0.5))} / ${f(percentile(d, 0.99))} / ` +
          `${f(d[d.length - 1])} |`)
      }
    }
  } finally {
    await db.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`).catch(() => {})
    await db.close()
    await server.stop()
  }
}
