import * as assert from 'assert'
import { Client } from 'pg'
import {
  announceCommit, announceTransactionEnd, mayWrite, onTransactionEnd, transactionEndListeners
} from '../../../core/db/commit-wake'
import type { Database, QueryResult } from '../../../core/db'
import { describeEachDatabase, eventually } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'
import { createHeldTables, liveHeldTail } from '../../support/held-tail'
import { sleep } from '../../support/wait'

/**
 * The database seen through a view that notes each statement's text and time; its own methods run
 * with the view as `this`, so what the database announces is announced for the view, the object
 * the streamer and the writers of a test share (as the nodes of one config node share theirs).
 */
function spied (db: Database): Database & { texts: Array<{ text: string, at: number }> } {
  const view = Object.create(db) as Database & { texts: Array<{ text: string, at: number }> }
  view.texts = []
  const query = db.query
  view.query = async function <R = Record<string, unknown>>(
    text: string, params?: readonly unknown[]
  ): Promise<QueryResult<R>> {
    view.texts.push({ text, at: Date.now() })
    return await query.call(view, text, params) as QueryResult<R>
  }
  return view
}

describe('statements that may write', () => {
  it('are every statement but a plain SELECT, in any case and after any white space', () => {
    for (const t of ['SELECT 1', '  select x FROM t', '\n\tSeLeCt', 'select', 'SELECT(1)', 'select*from t']) {
      assert.strictEqual(mayWrite(t), false, t)
    }
    for (const t of ['INSERT INTO t VALUES (1)', 'WITH w AS (UPDATE t SET x = 1 RETURNING 1) SELECT 1 FROM w',
      'UPDATE t SET x = 1', 'DELETE FROM t', 'selectx', 'select_1()', 'BEGIN', '', ' ', '/* c */ SELECT 1']) {
      assert.strictEqual(mayWrite(t), true, t)
    }
  })
})

describeEachDatabase('held-back rows woken by transaction ends', target => {
  const f = schemaFixture(target, { prefix: 'hw' })

  const tables = async (): Promise<void> => await createHeldTables(f)

  it('the PostgreSQL database announces the end of each statement that may write, each batch, each ' +
    'transaction and each script, committed or rolled back, and nothing for a SELECT', async function () {
    // PGlite runs one statement at a time, so nothing of its own process can hold a row back.
    if (target.pg === undefined) return this.skip()
    await tables()
    const other = `"${f.schema}".other`
    let ends = 0
    const off = onTransactionEnd(f.db, () => { ends++ })
    const offThrows = onTransactionEnd(f.db, () => { throw new Error('a reader failed') })
    assert.strictEqual(transactionEndListeners(f.db), 2)
    try {
      await f.db.query(`SELECT count(*) FROM ${other}`)
      assert.strictEqual(ends, 0, 'a SELECT')
      await f.db.query(`INSERT INTO ${other} (note) VALUES ($1)`, ['a'])
      assert.strictEqual(ends, 1, 'an INSERT, as soon as it has resolved')
      await assert.rejects(f.db.query(`INSERT INTO ${other} (seq) VALUES ($1)`, ['not a number']))
      assert.strictEqual(ends, 2, 'a failed INSERT')
      await f.db.batch([{ text: `INSERT INTO ${other} (note) VALUES ($1)`, params: ['b'] }])
      assert.strictEqual(ends, 3, 'a batch')
      await f.db.transaction(async tx => await tx.query(`INSERT INTO ${other} (note) VALUES ($1)`, ['c']))
      assert.strictEqual(ends, 4, 'a transaction, once, at its end')
      await assert.rejects(f.db.transaction(async tx => {
        await tx.query(`INSERT INTO ${other} (note) VALUES ($1)`, ['d'])
        throw new Error('rolled back')
      }))
      assert.strictEqual(ends, 5, 'a rolled-back transaction')
      await f.db.exec(`INSERT INTO ${other} (note) VALUES ('e')`)
      assert.strictEqual(ends, 6, 'a script')
      announceCommit(f.db, { schema: f.schema, name: 'other' })
      announceTransactionEnd(f.db)
      assert.strictEqual(ends, 7, 'an announced commit to a table is not a second end')
    } finally {
      off()
      offThrows()
    }
    assert.strictEqual(transactionEndListeners(f.db), 0)
  })

  it('reads a row held back by an older statement of this process, on another table, as soon as that ' +
    'statement has committed, not at the next held-back poll', async function () {
    if (target.pg === undefined) return this.skip() // needs a second session
    this.timeout(30000)
    await tables()
    const db = spied(f.db)
    // The held-back polls double from 2 ms up to 3 s: after about 4 s they are 3 s apart.
    const { c } = await liveHeldTail(f, db, 'held', 3000)
    // The older writer: a statement of this process (as a session's journal statement in its WAL
    // flush) that inserts into another table, then waits for an advisory lock the test holds.
    const key = Math.floor(Math.random() * 1e9)
    const locker = new Client(target.pg)
    await locker.connect()
    try {
      await locker.query('SELECT pg_advisory_lock($1)', [key])
      const older = db.query(`WITH w AS (INSERT INTO "${f.schema}".other (note) VALUES ('older') RETURNING 1)
        SELECT pg_advisory_xact_lock($1::bigint) FROM w`, [key])
      older.catch(() => {})
      await eventually(async () => (await locker.query(
        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1", [key])).rows.length > 0,
      10000, 'the older statement waiting, its insert made')
      await db.query(`INSERT INTO "${f.schema}".src (note) VALUES ('late')`)
      announceCommit(db, { schema: f.schema, name: 'src' })
      const held = (): number => db.texts.filter(t => t.text.includes(' AS held ')).length
      // Twelve checks: the polls have reached the 3 s busy interval (2 + 4 + ... + 2048 ms).
      await eventually(() => held() >= 12, 15000, 'twelve held-back checks')
      await sleep(100)
      assert.strictEqual(c.rows.length, 0, 'held back while the older statement runs')
      const checks = held()
      await locker.query('SELECT pg_advisory_unlock($1)', [key])
      await older
      const ended = Date.now()
      await eventually(() => c.rows.length === 1, 10000, 'the late row')
      const ms = Date.now() - ended
      assert.strictEqual(c.rows[0].row.note, 'late')
      assert.ok(ms < 1000, `read ${ms} ms after the older statement committed (next held-back poll: up to 3000 ms)`)
      assert.ok(held() - checks <= 1, 'no held-back poll came between')
    } finally {
      await locker.end().catch(() => {})
    }
  })

  it('reads a long hold by another process no more than eight times beyond its polls, however often ' +
    'this process commits meanwhile', async function () {
    if (target.pg === undefined) return this.skip() // needs a second session
    this.timeout(30000)
    await tables()
    const db = spied(f.db)
    const { c } = await liveHeldTail(f, db, 'long', 50)
    const early = new Client(target.pg)
    await early.connect()
    try {
      // The older transaction: another process's, open for as long as the test says.
      await early.query('BEGIN')
      await early.query(`INSERT INTO "${f.schema}".other (note) VALUES ('early')`)
      await db.query(`INSERT INTO "${f.schema}".src (note) VALUES ('late')`)
      announceCommit(db, { schema: f.schema, name: 'src' })
      const held = (): number => db.texts.filter(t => t.text.includes(' AS held ')).length
      await eventually(() => held() >= 1, 10000, 'the row held back')
      // This process commits to another table for 1 s, hundreds of times: none of it is the holder.
      const before = held()
      let writes = 0
      const until = Date.now() + 1000
      while (Date.now() < until) {
        await db.query(`INSERT INTO "${f.schema}".other (note) VALUES ($1)`, [`w${writes++}`])
      }
      const checks = held() - before
      assert.strictEqual(c.rows.length, 0, 'held back while the older transaction runs')
      // Polls every 50 ms at most (20 in 1 s, a few more while they double from 2 ms), and eight wakes.
      assert.ok(checks <= 40, `${checks} held-back checks during ${writes} writes of this process in 1 s`)
      await early.query('COMMIT')
      await eventually(() => c.rows.length === 1, 10000, 'the late row, once the older transaction ended')
    } finally {
      await early.end().catch(() => {})
    }
  })

  it('does not wake a stream whose row is not held back: writes to other tables cost it no read',
    async function () {
      if (target.pg === undefined) return this.skip()
      this.timeout(30000)
      await tables()
      const db = spied(f.db)
      const { streamer: s } = await liveHeldTail(f, db, 'idle', 20)
      // The idle nap doubles from 20 ms: the read after the 2.56 s nap, about 5.1 s from now, starts a
      // 5.12 s one. At 7 s a loaded machine has about 2 s either side.
      await sleep(7000)
      const reads = (): number => db.texts.filter(t => t.text.includes('src')).length
      const before = reads()
      for (let i = 0; i < 50; i++) await db.query(`INSERT INTO "${f.schema}".other (note) VALUES ($1)`, [`w${i}`])
      await sleep(300)
      assert.strictEqual(reads() - before, 0, 'no read of the stream for 50 writes elsewhere')
      await s.close()
      assert.strictEqual(transactionEndListeners(db), 0, 'unsubscribed at close')
    })
})
