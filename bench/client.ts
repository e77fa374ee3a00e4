/**
 * Streamer client benchmark.
 * 1. Per-message overhead: the same in-memory stream of N rows into (a) a plain pass-through
 *    subscriber (builds the msg and hands it on, like a node with no logic), (b) the client with
 *    window + confirmations + batched checkpoint, (c) the same plus a JSONata filter, payload
 *    expression and mapping table (Node-RED's own JSONata). Checkpoints go to the real database.
 * 2. Replay: rows of an audit-style table (tx xid8, seq) read by the real Streamer (core of the
 *    audit-streamer node) through the client, against a raw `pg` keyset read of the same rows
 *    (same horizon, same page size) in the same run; the streamer alone as a middle line; and
 *    the cost of the exact lag count the client's status asks for once a second.
 * Uses DATABASE_URL (real PostgreSQL) when set, else embedded PGlite.
 */
import type { NodeAPI } from 'node-red'
import { Client } from 'pg'
import { CheckpointStore, FLUSH_WINDOW, LAG_COUNT_LIMIT, StreamerClient } from '../core/client'
import { Database, migrate, PgDatabase, PgliteDatabase } from '../core/db'
import { Position, StartAt, Streamer, StreamRow, StreamSource, Subscriber, Subscription } from '../core/stream'
import { compileTransform } from '../nodes/streamer-client/transform'
import type { StreamerClientDef } from '../nodes/streamer-client/types'
import { countOr } from './_knobs'

const N = countOr('BENCH_CLIENT_ROWS', 200000)
const REPLAY_ROWS = countOr('BENCH_CLIENT_REPLAY_ROWS', 500000)
const BATCH = 500

/** Keyset pages over (tx, seq) up to the xid8 horizon, as the streamer reads: with `pg` itself on a server. */
async function rawKeyset (db: Database, url: string | undefined, table: string, batch: number): Promise<number> {
  let c: Client | undefined
  if (db.kind === 'pg') {
    c = new Client({ connectionString: url })
    await c.connect()
  }
  const query = async (text: string, params: unknown[]): Promise<Array<Record<string, any>>> =>
    c !== undefined ? (await c.query(text, params)).rows : (await db.query(text, params)).rows
  let n = 0
  let last: [string, string] | undefined
  try {
    for (;;) {
      const rows = last === undefined
        ? await query(`SELECT *, tx::text AS tx_text FROM ${table} WHERE tx < ` +
          'pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx, seq LIMIT $1', [batch])
        : await query(`SELECT *, tx::text AS tx_text FROM ${table} WHERE (tx, seq) > ($1::xid8, $2::bigint) AND tx < ` +
          'pg_snapshot_xmin(pg_current_snapshot()) ORDER BY tx, seq LIMIT $3', [...last, batch])
      n += rows.length
      if (rows.length < batch) break
      const row = rows[rows.length - 1]
      last = [row.tx_text, String(row.seq)]
    }
  } finally {
    await c?.end()
  }
  return n
}

/** Synthetic rows, delivered in batches with back-pressure, like a streamer replaying. */
class MemorySource implements StreamSource {
  readonly name = 'bench'
  readonly initialStart: StartAt = { kind: 'beginning' }
  constructor (private readonly count: number) {}
  async head (): Promise<Position | undefined> { return [String(this.count)] }
  subscribe (start: StartAt, s: Subscriber): Subscription {
    let stop = false
    let at = start.kind === 'after' ? Number(start.position[0]) : 0
    const loop = (async () => {
      while (!stop && at < this.count) {
        const rows: StreamRow[] = []
        for (let i = 0; i < BATCH && at < this.count; i++) {
          at++
          rows.push({
            stream: 'bench',
            position: [String(at)],
            replay: true,
            row: { id: String(at), sym: at % 3 === 0 ? 'BARC' : 'VOD', qty: at % 1000, price: '101.25' }
          })
        }
        await s.deliver(rows)
        // Let I/O run between batches (checkpoint writes), as a streamer reading a table does.
        await new Promise(resolve => setImmediate(resolve))
      }
    })()
    return { get position () { return [String(at)] }, close: async () => { stop = true; await loop } }
  }
}

async function timed (what: string, rows: number, fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint()
  await fn()
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  const rate = rows / (ms / 1000)
  console.log(`  ${what.padEnd(58)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} rows/s  ` +
    `(${rows.toLocaleString('en-US')} in ${ms.toFixed(0)} ms)`)
  return rate
}

async function passThrough (source: StreamSource, rows: number): Promise<void> {
  let seen = 0
  await new Promise<void>(resolve => {
    source.subscribe({ kind: 'beginning' }, {
      deliver: async batch => {
        for (const row of batch) {
          const msg = {
            topic: row.stream,
            payload: row.row,
            stream: { name: row.stream, position: row.position, replay: row.replay }
          }
          if (msg.payload !== undefined) seen++
        }
        if (seen >= rows) resolve()
      }
    })
  })
}

async function throughClient (
  db: Database, schema: string, name: string, source: StreamSource, rows: number,
  prepare?: (row: StreamRow) => Promise<unknown>, window?: { rows: number, ms: number }
): Promise<StreamerClient> {
  let done = 0
  let finish!: () => void
  const finished = new Promise<void>(resolve => { finish = resolve })
  const client: StreamerClient = new StreamerClient({
    name,
    replayable: true,
    store: new CheckpointStore(db, schema),
    checkpointEvery: window?.rows,
    checkpointIntervalMs: window?.ms,
    prepare: async row => {
      const keep = prepare === undefined ? row.row : await prepare(row)
      const count = (): void => { if (++done >= rows) finish() }
      if (keep === undefined) { count(); return { action: 'skip' } }
      // The target confirms at once, as the FIX gateway does after journaling.
      return { action: 'send', send: () => { queueMicrotask(() => { client.confirm(row.position); count() }) } }
    }
  })
  await client.attach(source)
  await finished
  await client.close()
  return client
}

export async function run (): Promise<void> {
  const url = process.env.DATABASE_URL
  const db: Database =
    url !== undefined && url !== '' ? await PgDatabase.open({ connectionString: url }) : await PgliteDatabase.open()
  const schema = `bench_client_${process.pid}`
  console.log(`\nstreamer client (${db.kind === 'pg' ? 'PostgreSQL' : 'PGlite'})`)
  try {
    await migrate(db, schema)
    // Node-RED's own JSONata and property helpers, as the node uses them.

    const RED = { util: require('@node-red/util').util } as unknown as NodeAPI
    const def = {
      filter: 'qty >= 0',
      payload: '{ "symbol": sym }',
      routeMode: 'single',
      routes: [],
      mappings: [
        { target: 'quantity', value: 'qty', valueType: 'row' },
        { target: 'notional', value: 'qty * 2', valueType: 'jsonata' },
        { target: 'venue', value: 'LSE', valueType: 'str' }
      ]
    } as unknown as StreamerClientDef
    const t = compileTransform(RED, { id: 'bench' } as any, def)
    const transform = async (row: StreamRow): Promise<unknown> => (await t.keep(row)) ? await t.payload(row) : undefined

    console.log(' per-message overhead (in-memory stream, checkpoints in the database):')
    const base = await timed(
      'plain pass-through (msg built, handed on)',
      N,
      async () => await passThrough(new MemorySource(N), N)
    )
    let c: StreamerClient | undefined
    const bare = await timed('client: window + confirm + batched checkpoint', N, async () => {
      c = await throughClient(db, schema, 'bare', new MemorySource(N), N)
    })
    const bareWrites = c?.checkpointWrites ?? 0
    const tn = Math.min(N, 50000)
    const baseT = await timed(
      'plain pass-through (same, fewer rows)',
      tn,
      async () => await passThrough(new MemorySource(tn), tn)
    )
    const full = await timed('client + JSONata filter, payload, 3 mappings', tn, async () => {
      c = await throughClient(db, schema, 'full', new MemorySource(tn), tn, transform)
    })
    console.log(
      `  ratio client/pass-through: ${(bare / base).toFixed(3)} (bare), ${(full / baseT).toFixed(3)} (with transform)`
    )
    console.log(`  overhead per message: ${(1e6 / bare - 1e6 / base).toFixed(2)} µs ` +
      `(bare), ${(1e6 / full - 1e6 / baseT).toFixed(2)} µs (with transform)`)
    console.log(`  checkpoint writes: ${bareWrites} for ${N.toLocaleString('en-US')} confirmations (batched)`)

    console.log(` replay of ${REPLAY_ROWS.toLocaleString('en-US')} rows from an audit-style table (tx xid8, seq), ` +
      'through the real Streamer:')
    const table = `"${schema}".src`
    await db.query(`CREATE TABLE ${table} (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT pg_current_xact_id(), ` +
      'at timestamptz NOT NULL DEFAULT clock_timestamp(), sym text, qty int, price numeric)')
    for (let done = 0; done < REPLAY_ROWS; done += 100000) {
      // Several transactions, so the rows span several transaction ids as in real life.
      await db.query(`INSERT INTO ${table} (sym, qty, price) SELECT CASE WHEN g % 3 = 0 THEN 'BARC' ELSE 'VOD' END,
        g % 1000, (g % 100000) / 100.0
        FROM generate_series(1, $1::int) g`, [Math.min(100000, REPLAY_ROWS - done)])
    }
    await db.query(`CREATE INDEX ON ${table} (tx, seq)`)
    await db.query(`ANALYZE ${table}`)
    const streamer = (batchSize: number): Streamer =>
      new Streamer({
        name: 'bench',
        database: db,
        table: `${schema}.src`,
        positionColumns: ['tx', 'seq'],
        batchSize,
        pollMs: 1000,
        initialStart: { kind: 'beginning' }
      })
    await rawKeyset(db, url, table, BATCH) // warm the cache
    const raw = await timed(
      `raw ${db.kind === 'pg' ? '`pg`' : 'PGlite'} keyset read, ${BATCH}/page`,
      REPLAY_ROWS,
      async () => {
        const n = await rawKeyset(db, url, table, BATCH)
        if (n !== REPLAY_ROWS) throw new Error(`raw read ${n} rows`)
      }
    )
    const alone = await timed(`streamer alone, batch ${BATCH} (node default)`, REPLAY_ROWS, async () => {
      const s = streamer(BATCH)
      await new Promise<void>(resolve =>
        s.subscribe(
          { kind: 'beginning' },
          {
            deliver: async () => {},
            onState: st => {
              if (st.phase === 'live') resolve()
            }
          }
        )
      )
      await s.close()
    })
    let replayClient: StreamerClient | undefined
    const replay = await timed(
      `streamer + client, batch ${BATCH}, in flight 50, target confirms`,
      REPLAY_ROWS,
      async () => {
        const s = streamer(BATCH)
        replayClient = await throughClient(db, schema, 'replay', s, REPLAY_ROWS)
        await s.close()
      }
    )
    const wide = { rows: 10 * FLUSH_WINDOW.rows, ms: 5 * FLUSH_WINDOW.ms }
    let wideClient: StreamerClient | undefined
    const replayWide = await timed(
      `streamer + client, flush window ${wide.rows} rows / ${wide.ms} ms`,
      REPLAY_ROWS,
      async () => {
        const s = streamer(BATCH)
        wideClient = await throughClient(db, schema, 'replay-w', s, REPLAY_ROWS, undefined, wide)
        await s.close()
      }
    )
    const replayT = await timed('streamer + client + JSONata filter, payload, 3 mappings', REPLAY_ROWS, async () => {
      const s = streamer(BATCH)
      await throughClient(db, schema, 'replay-t', s, REPLAY_ROWS, transform)
      await s.close()
    })
    console.log(`  ratio vs raw: streamer ${(alone / raw).toFixed(3)}, streamer+client ${(replay / raw).toFixed(3)} ` +
      `(wider window ${(replayWide / raw).toFixed(3)}), with transform ${(replayT / raw).toFixed(3)}`)
    console.log(`  checkpoint writes during the replay: ${replayClient?.checkpointWrites ?? 0} (flush ` +
      `window ${FLUSH_WINDOW.rows} rows / ${FLUSH_WINDOW.ms} ms), ${wideClient?.checkpointWrites ?? 0} (${wide.rows} ` +
        `rows / ${wide.ms} ms)`)

    // The cost of the client's status lag (asked once a second): an exact count up to the limit.
    const s = streamer(BATCH)
    const near = ['0', '0']
    for (const [label, limit] of [
      [`rowsAfter, limit ${LAG_COUNT_LIMIT.toLocaleString('en-US')} (status)`, LAG_COUNT_LIMIT],
      ['rowsAfter, no limit (every row)', undefined]
    ] as Array<[string, number | undefined]>) {
      await s.rowsAfter(near, limit)
      const t0 = process.hrtime.bigint()
      const n = await s.rowsAfter(near, limit)
      console.log(`  ${label.padEnd(58)} ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1).padStart(10)} ms  ` +
        ` (${n.toLocaleString('en-US')} rows)`)
    }
    await s.close()
  } finally {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {})
    await db.close()
  }
}

if (require.main === module) {
  run().catch(err => { console.error(err); process.exitCode = 1 })
}
