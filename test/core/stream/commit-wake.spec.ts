import * as assert from 'assert'
import { Client } from 'pg'
import { announceCommit, commitListeners, onCommit } from '../../../core/db/commit-wake'
import type { Database, QueryResult } from '../../../core/db'
import { Streamer, StreamerOptions } from '../../../core/stream'
import { describeEachDatabase, eventually } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'
import { Collector } from '../../support/stream'

/** The same database seen through another object, counting its statements (another config node, say). */
function counting (db: Database): Database & { statements: number } {
  const view = Object.create(db) as Database & { statements: number }
  view.statements = 0
  view.query = async <R = Record<string, unknown>>(
    text: string, params?: readonly unknown[]
  ): Promise<QueryResult<R>> => {
    view.statements++
    return await db.query<R>(text, params)
  }
  return view
}

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

describeEachDatabase('commit wakes', target => {
  const f = schemaFixture(target, { prefix: 'cw' })

  let tableNo = 0
  async function table (): Promise<string> {
    const name = `ev${++tableNo}`
    await f.db.query(`CREATE TABLE "${f.schema}".${name} (seq bigserial PRIMARY KEY,
      tx xid8 NOT NULL DEFAULT pg_current_xact_id(), note text)`)
    await f.db.query(`CREATE INDEX ON "${f.schema}".${name} (tx, seq)`)
    return name
  }
  /** Commits `notes` to the table, then announces the commit as a writer of this process does. */
  async function commitAndAnnounce (db: Database, name: string, ...notes: string[]): Promise<void> {
    await db.query(`INSERT INTO "${f.schema}".${name} (note) SELECT unnest($1::text[])`, [notes])
    announceCommit(db, { schema: f.schema, name })
  }
  function streamer (db: Database, name: string, extra: Partial<StreamerOptions> = {}): Streamer {
    // Idle polling every 5 s at most: a row that arrives much sooner came through a wake.
    const s = new Streamer({
      name: 'wake',
      database: db,
      table: `${f.schema}.${name}`,
      positionColumns: ['tx', 'seq'],
      batchSize: 50,
      pollMs: 5000,
      busyPollMs: 20,
      retryInitialMs: 50,
      ...extra
    })
    f.closing.push(s)
    return s
  }
  async function liveAndIdle (s: Streamer): Promise<Collector> {
    const c = new Collector()
    s.subscribe({ kind: 'live' }, c)
    await eventually(() => c.phase === 'live', 10000, 'live')
    // The tail's idle nap doubles from 20 ms: its read after the 2.56 s nap, about 5.1 s from now,
    // starts a nap of the whole poll interval. At 7 s a loaded machine has about 2 s either side.
    await sleep(7000)
    return c
  }

  it('calls the listeners of that database and table only, until each unsubscribes; one that throws ' +
    'does not keep the others from hearing it', async () => {
    const other = counting(f.db) // another object: another key, even on the same server
    const heard: string[] = []
    const a = { schema: f.schema, name: 'a' }
    const offA = onCommit(f.db, a, () => heard.push('a'))
    const offThrows = onCommit(f.db, a, () => { throw new Error('a reader failed') })
    const offA2 = onCommit(f.db, a, () => heard.push('a2'))
    const offB = onCommit(f.db, { schema: f.schema, name: 'b' }, () => heard.push('b'))
    const offOther = onCommit(other, a, () => heard.push('other'))
    assert.strictEqual(commitListeners(f.db, a), 3)
    announceCommit(f.db, a)
    assert.deepStrictEqual(heard, ['a', 'a2'])
    announceCommit(f.db, { schema: f.schema.toUpperCase(), name: 'a' })
    assert.deepStrictEqual(heard, ['a', 'a2'], 'names are matched as PostgreSQL spells them (case kept)')
    offA()
    offA() // twice is harmless
    offThrows()
    announceCommit(f.db, a)
    assert.deepStrictEqual(heard, ['a', 'a2', 'a2'])
    offA2()
    offB()
    offOther()
    assert.strictEqual(commitListeners(f.db, a), 0)
    announceCommit(f.db, a)
    assert.deepStrictEqual(heard, ['a', 'a2', 'a2'])
  })

  it('makes an idle stream read a committed row at once instead of at its next poll', async () => {
    const t = await table()
    const c = await liveAndIdle(streamer(f.db, t))
    const started = Date.now()
    await commitAndAnnounce(f.db, t, 'one')
    await eventually(() => c.rows.length === 1, 10000, 'the row')
    const ms = Date.now() - started
    assert.ok(ms < 1000, `the row came after ${ms} ms (polling alone: up to 5000 ms)`)
    assert.strictEqual(c.rows[0].row.note, 'one')
  })

  it('does not wake a stream on another database object or another table', async () => {
    const t = await table()
    const u = await table()
    const c = await liveAndIdle(streamer(counting(f.db), t))
    await commitAndAnnounce(f.db, t, 'same table, other object')
    await commitAndAnnounce(f.db, u, 'other table')
    announceCommit(f.db, { schema: f.schema, name: u })
    await sleep(1000)
    assert.strictEqual(c.rows.length, 0, 'no wake came through: the stream waits for its poll')
  })

  it('coalesces a burst of announcements into a few reads, not one read per commit', async () => {
    const t = await table()
    const db = counting(f.db)
    const c = await liveAndIdle(streamer(db, t))
    await f.db.query(`INSERT INTO "${f.schema}".${t} (note) SELECT 'n' || g FROM generate_series(1, 200) g`)
    const before = db.statements
    for (let i = 0; i < 200; i++) announceCommit(db, { schema: f.schema, name: t })
    await eventually(() => c.rows.length === 200, 10000, '200 rows')
    await sleep(300)
    const statements = db.statements - before
    // One wake reads the rows; the wakes that came during that read make one more read (and a
    // held-back check when it finds nothing); then the tail naps again.
    assert.ok(statements <= 8, `${statements} statements for 200 announcements`)
  })

  it('after a wake that finds its row held back by an older transaction, reads it at the busy ' +
    'rate once that transaction ends (which announces nothing)', async function () {
    if (target.pg === undefined) return this.skip() // needs a second session
    this.timeout(30000)
    const t = await table()
    const c = await liveAndIdle(streamer(f.db, t, { pollMs: 60000 }))
    const early = new Client(target.pg)
    await early.connect()
    try {
      await early.query('BEGIN')
      await early.query(`INSERT INTO "${f.schema}".${t} (note) VALUES ('early')`)
      await commitAndAnnounce(f.db, t, 'late')
      await sleep(300)
      assert.strictEqual(c.rows.length, 0, 'held back while the older transaction runs')
      await early.query('COMMIT')
      await eventually(() => c.rows.length === 2, 4000, 'both rows, soon after the older transaction ended')
      assert.deepStrictEqual(c.rows.map(r => r.row.note), ['early', 'late'])
    } finally {
      await early.end().catch(() => {})
    }
  })

  it('follows a held-back row about as soon as the older transaction ends, not at the next busy poll',
    async function () {
      if (target.pg === undefined) return this.skip() // needs a second session
      this.timeout(30000)
      const t = await table()
      // A busy poll of 3 s: a row read well before it came through the held-back polls.
      const c = await liveAndIdle(streamer(f.db, t, { pollMs: 60000, busyPollMs: 3000 }))
      const early = new Client(target.pg)
      await early.connect()
      try {
        await early.query('BEGIN')
        await early.query(`INSERT INTO "${f.schema}".${t} (note) VALUES ('early')`)
        await commitAndAnnounce(f.db, t, 'late')
        await sleep(300)
        assert.strictEqual(c.rows.length, 0, 'held back while the older transaction runs')
        await early.query('COMMIT')
        const ended = Date.now()
        await eventually(() => c.rows.length === 2, 5000, 'both rows')
        const ms = Date.now() - ended
        // Held 300 ms: the polls double from 2 ms, so the next one comes within about that again.
        assert.ok(ms < 1000, `read ${ms} ms after the older transaction ended (busy poll: 3000 ms)`)
      } finally {
        await early.end().catch(() => {})
      }
    })

  it('unsubscribes when the streamer closes', async () => {
    const t = await table()
    const s = streamer(f.db, t)
    await s.start()
    assert.strictEqual(commitListeners(f.db, { schema: f.schema, name: t }), 1)
    await s.close()
    assert.strictEqual(commitListeners(f.db, { schema: f.schema, name: t }), 0)
  })
})
