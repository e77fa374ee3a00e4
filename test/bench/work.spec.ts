import * as assert from 'assert'
import { Client } from 'pg'
import { walFlushes, workMark } from '../../bench/_work'
import { timeWalFlushes } from '../../bench/_postgres'
import { uniqueSchema } from '../support/databases'
import { serverBinaries, ThrowawayPostgres } from '../support/throwaway-postgres'

describe("the bench's count of the database's work", () => {
  const url = process.env.DATABASE_URL
  const schema = uniqueSchema('work')
  let db: Client

  before(async function () {
    if (url === undefined) return this.skip() // needs DATABASE_URL
    db = new Client({ connectionString: url })
    await db.connect()
    await db.query(`CREATE SCHEMA "${schema}"`)
    await db.query(`CREATE TABLE "${schema}".t (n int)`)
  })

  after(async () => {
    if (db === undefined) return
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await db.end()
  })

  it('counts the WAL flushes that the commits between two marks waited for, per order and per second ' +
    '(none on a server with fsync=off, which skips them)', async function () {
    const { rows } = await db.query<{ fsync: string, sc: string }>(
      "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc")
    const durable = rows[0].fsync === 'on' && rows[0].sc === 'on'
    // This session does not clock its flushes (the servers of the tests leave it off; the bench's turns it on).
    await db.query('SET track_wal_io_timing = off')
    // A backend hands its WAL counts to pg_stat_wal at most once a second, when idle: forced here.
    const flushStats = async (): Promise<void> => { await db.query('SELECT pg_stat_force_next_flush()') }
    await flushStats()
    const a = await workMark(db)
    assert.ok(a.walSyncs !== undefined, 'the server has pg_stat_wal (PostgreSQL 14 and later)')
    // Twenty commits one after the other: on a durable server each waits for its own flush.
    for (let i = 0; i < 20; i++) await db.query(`INSERT INTO "${schema}".t VALUES ($1)`, [i])
    await flushStats()
    const b = await workMark(db)
    const flushed = b.walSyncs! - a.walSyncs!
    if (durable) assert.ok(flushed >= 20, `20 durable commits in a row made ${flushed} WAL flushes`)
    else assert.strictEqual(flushed, 0, 'WAL flushes with fsync=off')
    const line = walFlushes(a, b, 10)
    assert.match(line!, /^\d+\.\d\d per order \([\d,]+\/s; their time not counted: track_wal_io_timing off\)$/)
    assert.strictEqual(Number(line!.split(' ')[0]), Number((flushed / 10).toFixed(2)))
  })

  it('says nothing about WAL flushes where the server does not count them', () => {
    const line = walFlushes({ commits: 0, at: 0 }, { commits: 5, at: 1000 }, 5)
    assert.strictEqual(line, undefined)
  })

  it('says how long a WAL flush took and the share of the interval the server spent flushing', () => {
    // 500 flushes in 2 s that took 650 ms in all, for 1,000 orders.
    const a = { commits: 0, walSyncs: 1000, walSyncMs: 400, at: 10_000 }
    const b = { commits: 0, walSyncs: 1500, walSyncMs: 1050, at: 12_000 }
    assert.strictEqual(walFlushes(a, b, 1000), '0.50 per order (250/s, 1.30 ms each, flushing 33% of the time)')
    // No flush in the interval (fsync=off): nothing to divide.
    assert.strictEqual(walFlushes(a, { ...a, at: 12_000 }, 1000), '0.00 per order (0/s)')
  })
})

describe("the bench's WAL flush times, on a durable server of the test's own", function () {
  this.timeout(120_000)
  const bin = serverBinaries()
  let pg: ThrowawayPostgres | undefined

  before(async function () {
    if (bin === undefined) return this.skip() // needs PostgreSQL's server binaries
    pg = await ThrowawayPostgres.start(bin, { fsync: true })
  })

  after(() => { pg?.destroy() })

  /** Twenty commits in a row on a new connection, between two marks taken on that connection. */
  const twentyCommits = async (): Promise<string | undefined> => {
    const db = new Client({ connectionString: pg!.url })
    await db.connect()
    try {
      await db.query('CREATE TABLE IF NOT EXISTS t (n int)')
      await db.query('SELECT pg_stat_force_next_flush()')
      const a = await workMark(db)
      for (let i = 0; i < 20; i++) await db.query('INSERT INTO t VALUES ($1)', [i])
      await db.query('SELECT pg_stat_force_next_flush()')
      const b = await workMark(db)
      assert.ok(b.walSyncs! - a.walSyncs! >= 20, `20 durable commits made ${b.walSyncs! - a.walSyncs!} WAL flushes`)
      return walFlushes(a, b, 20)
    } finally {
      await db.end()
    }
  }

  it("times every WAL flush once the bench has turned track_wal_io_timing on (the server's default is off)",
    async () => {
      assert.match((await twentyCommits())!, /; their time not counted: track_wal_io_timing off\)$/)
      await timeWalFlushes(pg!.url)
      const line = (await twentyCommits())!
      const m = /^\d+\.\d\d per order \([\d,]+\/s, (\d+\.\d\d) ms each, flushing (\d+)% of the time\)$/.exec(line)
      assert.ok(m !== null, line)
      // An fdatasync takes time on any disk: a flush of 0.00 ms would be a count without its clock.
      assert.ok(Number(m[1]) > 0, line)
      assert.ok(Number(m[2]) <= 100, line)
    })
})
