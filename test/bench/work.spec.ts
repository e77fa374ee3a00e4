import * as assert from 'assert'
import { Client } from 'pg'
import { walFlushes, workMark } from '../../bench/_work'
import { uniqueSchema } from '../support/databases'

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
    assert.match(line!, /^\d+\.\d\d per order \([\d,]+\/s\)$/)
    assert.strictEqual(Number(line!.split(' ')[0]), Number((flushed / 10).toFixed(2)))
  })

  it('says nothing about WAL flushes where the server does not count them', () => {
    const line = walFlushes({ commits: 0, at: 0 }, { commits: 5, at: 1000 }, 5)
    assert.strictEqual(line, undefined)
  })
})
