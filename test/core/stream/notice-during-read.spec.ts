import * as assert from 'assert'
import { announceCommit } from '../../../core/db/commit-wake'
import type { Database, QueryResult } from '../../../core/db'
import { describeEachDatabase, eventually } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'
import { createHeldTables, liveHeldTail, withSessions } from '../../support/held-tail'

/**
 * The database seen through a view whose next tail read, once `hold` is armed, keeps its answer
 * until the test lets it go: the read has run (its snapshot is taken), and what the test does
 * meanwhile happens while the streamer is still waiting for that read.
 */
function gated (db: Database): Database & { hold: () => Promise<void>, release: () => void, held: () => number } {
  const view = Object.create(db) as Database & { hold: () => Promise<void>, release: () => void, held: () => number }
  let armed = false
  let reached: (() => void) | undefined
  let gate: Promise<void> | undefined
  let open: (() => void) | undefined
  let checks = 0
  view.hold = async () => {
    armed = true
    gate = new Promise(resolve => { open = resolve })
    await new Promise<void>(resolve => { reached = resolve })
  }
  view.release = () => open?.()
  view.held = () => checks
  const query = db.query
  view.query = async function <R = Record<string, unknown>>(
    text: string, params?: readonly unknown[]
  ): Promise<QueryResult<R>> {
    if (text.includes(' AS held ')) checks++
    const r = await query.call(view, text, params) as QueryResult<R>
    if (armed && text.includes('__fs_horizon')) {
      armed = false
      reached?.()
      await gate
    }
    return r
  }
  return view
}

describeEachDatabase('a notice that comes while the tail reads', target => {
  const f = schemaFixture(target, { prefix: 'nr' })

  it('is kept for the next read: a row it announced that is held back by an older transaction is ' +
    'read once that transaction ends, not at the next poll', async function () {
    if (target.pg === undefined) return this.skip() // needs other sessions
    this.timeout(30000)
    await createHeldTables(f)
    const src = { schema: f.schema, name: 'src' }
    const db = gated(f.db)
    // Held-back polls double from 2 ms up to 3 s; an idle stream after rows naps twice that.
    const { c } = await liveHeldTail(f, db, 'notice', 3000)
    await withSessions(target.pg, 2, async ([older, writer]) => {
      // Row A, announced: the tail reads it, and the test keeps that read's answer back.
      const reading = db.hold()
      await writer.query(`INSERT INTO "${f.schema}".src (note) VALUES ('a')`)
      announceCommit(db, src)
      await reading
      // While the tail waits for that answer: an older transaction (another process's) begins,
      // then row B commits behind it and is announced, during the read.
      await older.query('BEGIN')
      await older.query(`INSERT INTO "${f.schema}".other (note) VALUES ('older')`)
      await writer.query(`INSERT INTO "${f.schema}".src (note) VALUES ('b')`)
      announceCommit(db, src)
      db.release()
      await eventually(() => c.rows.length === 1, 10000, 'row a')
      await new Promise(resolve => setTimeout(resolve, 300))
      assert.strictEqual(c.rows.length, 1, 'b is held back while the older transaction runs')
      await older.query('COMMIT')
      const ended = Date.now()
      await eventually(() => c.rows.length === 2, 15000, 'row b')
      const ms = Date.now() - ended
      assert.deepStrictEqual(c.rows.map(r => r.row.note), ['a', 'b'])
      assert.ok(ms < 1500, `b read ${ms} ms after the older transaction ended (the idle nap: 6,000 ms)`)
      assert.ok(db.held() >= 2, `found held back by its held-back checks (${db.held()})`)
    })
  })
})

describeEachDatabase('an older transaction that ends while the tail reads', target => {
  const f = schemaFixture(target, { prefix: 'ne' })

  it('does not hide the row it held back: the tail reads it at once, not after an idle nap', async function () {
    if (target.pg === undefined) return this.skip() // needs other sessions
    this.timeout(30000)
    await createHeldTables(f)
    const src = { schema: f.schema, name: 'src' }
    const db = gated(f.db)
    const { c } = await liveHeldTail(f, db, 'ended', 3000)
    await withSessions(target.pg, 2, async ([older, writer]) => {
      await writer.query(`INSERT INTO "${f.schema}".src (note) VALUES ('a')`)
      announceCommit(db, src)
      await eventually(() => c.rows.length === 1, 10000, 'row a')
      // Row B commits behind an older transaction: the tail finds it held back and polls for it.
      await older.query('BEGIN')
      await older.query(`INSERT INTO "${f.schema}".other (note) VALUES ('older')`)
      await writer.query(`INSERT INTO "${f.schema}".src (note) VALUES ('b')`)
      announceCommit(db, src)
      await eventually(() => db.held() >= 1, 10000, 'b found held back')
      // One of those polls reads with the older transaction still running (B is not readable in
      // its snapshot); it ends before the tail asks again whether a row is held back.
      const reading = db.hold()
      await reading
      await older.query('COMMIT')
      const ended = Date.now()
      db.release()
      await eventually(() => c.rows.length === 2, 15000, 'row b')
      const ms = Date.now() - ended
      assert.deepStrictEqual(c.rows.map(r => r.row.note), ['a', 'b'])
      assert.ok(ms < 1500, `b read ${ms} ms after the older transaction ended (the idle nap: 6,000 ms)`)
    })
  })
})

describeEachDatabase('a notice answered by a read that found other rows', target => {
  const f = schemaFixture(target, { prefix: 'na' })

  it('still counts for the row it announced, held back by an older transaction: the tail reads it ' +
    'once that transaction ends, not at an idle poll', async function () {
    if (target.pg === undefined) return this.skip() // needs other sessions
    this.timeout(30000)
    await createHeldTables(f)
    const src = { schema: f.schema, name: 'src' }
    // Held-back polls double from 2 ms up to 100 ms; an idle stream doubles its nap from 200 ms.
    const { c } = await liveHeldTail(f, f.db, 'answered', 100)
    await withSessions(target.pg, 3, async ([first, older, writer]) => {
      // A's transaction id is below the older transaction's, B's above: one read finds A readable
      // and B held back, and the one notice for both is answered by that read.
      await first.query('BEGIN')
      await first.query(`INSERT INTO "${f.schema}".src (note) VALUES ('a')`)
      await older.query('BEGIN')
      await older.query(`INSERT INTO "${f.schema}".other (note) VALUES ('older')`)
      await first.query('COMMIT')
      await writer.query(`INSERT INTO "${f.schema}".src (note) VALUES ('b')`)
      announceCommit(f.db, src)
      await eventually(() => c.rows.length === 1, 10000, 'row a')
      // Long enough for the tail to find nothing more and nap as an idle stream does: its naps
      // double from 200 ms, so it reads next 3.1 s after A.
      await new Promise(resolve => setTimeout(resolve, 2000))
      assert.strictEqual(c.rows.length, 1, 'b is held back while the older transaction runs')
      await older.query('COMMIT')
      const ended = Date.now()
      await eventually(() => c.rows.length === 2, 15000, 'row b')
      const ms = Date.now() - ended
      assert.deepStrictEqual(c.rows.map(r => r.row.note), ['a', 'b'])
      assert.ok(ms < 600, `b read ${ms} ms after the older transaction ended (held-back polls: at most 100 ms)`)
    })
  })
})
