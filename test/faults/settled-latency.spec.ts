import * as assert from 'assert'
import { Client } from 'pg'
import { PgDatabase } from '../../core'
import { Streamer } from '../../core/stream'
import type { StreamRow, Subscriber, SubscriptionState } from '../../core/stream'
import { eventually } from '../support/databases'
import { serverBinaries, ThrowawayPostgres } from '../support/throwaway-postgres'
import { sleep } from '../support/wait'

/** Delay from COMMIT returning in the writer to the row reaching the subscriber, per row. */
class Timed implements Subscriber {
  readonly delays: number[] = []
  firstAt: number | undefined
  phase: string | undefined
  constructor (private readonly committedAt: Map<number, number>) {}
  deliver = async (rows: StreamRow[]): Promise<void> => {
    const now = performance.now()
    this.firstAt ??= now
    for (const r of rows) {
      const at = this.committedAt.get(Number(r.row.n))
      // A row can arrive before its writer has seen COMMIT return: count that as 0.
      this.delays.push(at === undefined ? 0 : Math.max(0, now - at))
    }
  }

  onState = (s: SubscriptionState): void => { this.phase = s.phase }
}

const WRITERS = 8

function quantile (xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]
}

/**
 * Point 5 of issue 17: the seq-only source (settled watermark) keeps up under continuous writes.
 * Writers commit without pause (there is always a transaction open), and the streamers start
 * after them, as Node-RED started after the writers in the issue: the seq-only source used to
 * wait for a moment with no transaction open before its live start, which never came.
 * Both sources stream the same transactions in one run, and the delays are printed.
 */
describe('the seq-only source keeps up with the xid8 source under continuous writes [postgres]', () => {
  const bin = serverBinaries()
  let pg: ThrowawayPostgres | undefined

  before(async function () {
    if (bin === undefined) return this.skip() // no PostgreSQL server binaries under /usr/lib/postgresql
    this.timeout(60000)
    pg = await ThrowawayPostgres.start(bin)
  })
  after(function () {
    this.timeout(30000)
    pg?.destroy()
  })

  it('starts live within seconds and delivers within a few poll intervals of the xid8 source', async function () {
    if (pg === undefined) return this.skip()
    this.timeout(120000)
    const url = pg.url
    const db = await PgDatabase.open({ connectionString: url, max: 6 })
    const committedAt = new Map<number, number>()
    let writing = true
    let n = 0
    const writers: Array<Promise<void>> = []
    const streamers: Streamer[] = []
    try {
      await db.query(
        'CREATE TABLE ev_x (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT pg_current_xact_id(), n int NOT NULL)'
      )
      await db.query('CREATE INDEX ON ev_x (tx, seq)')
      await db.query('CREATE TABLE ev_s (seq bigserial PRIMARY KEY, n int NOT NULL)')
      for (let w = 0; w < WRITERS; w++) {
        writers.push((async () => {
          const c = new Client({ connectionString: url, application_name: 'fix-streamers-writer' })
          await c.connect()
          while (writing) {
            const id = ++n
            await c.query('BEGIN')
            await c.query('INSERT INTO ev_x (n) VALUES ($1)', [id])
            await c.query('INSERT INTO ev_s (n) VALUES ($1)', [id])
            await c.query('SELECT pg_sleep($1::float8)', [0.002 + Math.random() * 0.01])
            await c.query('COMMIT')
            committedAt.set(id, performance.now())
          }
          await c.end()
        })())
      }
      await sleep(1500) // the writers run before the streamers start
      const pollMs = 200
      const options = { database: db, pollMs, busyPollMs: 20, retryInitialMs: 100 }
      const sx = new Streamer({ name: 'x', table: 'ev_x', positionColumns: ['tx', 'seq'], ...options })
      const ss = new Streamer({ name: 's', table: 'ev_s', positionColumns: ['seq'], ...options })
      streamers.push(sx, ss)
      const x = new Timed(committedAt)
      const s = new Timed(committedAt)
      const subscribedAt = performance.now()
      sx.subscribe({ kind: 'live' }, x)
      ss.subscribe({ kind: 'live' }, s)
      await eventually(
        () => s.firstAt !== undefined && x.firstAt !== undefined,
        20000,
        `rows from both sources (seq-only ${s.phase ?? '?'}, xid8 ${x.phase ?? '?'})`
      )
      await sleep(8000)
      writing = false
      await Promise.all(writers)
      const figures = (t: Timed): string => `first row ${((t.firstAt as number) - subscribedAt).toFixed(0)} ms after ` +
        `subscribing, ${t.delays.length} rows, delay p50 ${quantile(t.delays, 0.5).toFixed(0)} ms, ` +
          `p95 ${quantile(t.delays, 0.95).toFixed(0)} ms, max ${Math.max(...t.delays).toFixed(0)} ms`
      console.log(`      ${WRITERS} writers, ${n} transactions ` +
        `in ${((performance.now() - subscribedAt) / 1000).toFixed(1)} s, poll ${pollMs} ms`)
      console.log(`      xid8 source:     ${figures(x)}`)
      console.log(`      seq-only source: ${figures(s)}`)
      assert.ok((s.firstAt as number) - subscribedAt < 5000, 'the seq-only source started live within 5 s')
      assert.ok(
        quantile(s.delays, 0.5) <= quantile(x.delays, 0.5) + 3 * pollMs,
        'seq-only p50 within 3 poll intervals of xid8'
      )
      assert.ok(
        quantile(s.delays, 0.95) <= quantile(x.delays, 0.95) + 5 * pollMs,
        'seq-only p95 within 5 poll intervals of xid8'
      )
    } finally {
      writing = false
      await Promise.all(writers).catch(() => {})
      for (const st of streamers) await st.close()
      await db.close()
    }
  })
})
