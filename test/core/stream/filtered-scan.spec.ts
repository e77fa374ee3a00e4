import * as assert from 'assert'
import { Streamer } from '../../../core/stream'
import { describeEachDatabase, eventually } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'
import { Collector } from '../../support/stream'
import { sleep } from '../../support/wait'

/**
 * A filtered stream whose source grows with rows the filter refuses (the orders audit table with
 * its UPDATE rows, fix_in with heartbeats) must look at each such row once, not at every poll.
 */
describeEachDatabase('streamer: rows the filter refuses', target => {
  const f = schemaFixture(target, { prefix: 'fs' })

  let tableNo = 0
  async function table (): Promise<string> {
    const name = `ev${++tableNo}`
    await f.db.query(`CREATE TABLE "${f.schema}".${name} (seq bigserial PRIMARY KEY,
      tx xid8 NOT NULL DEFAULT pg_current_xact_id(), kind text NOT NULL)`)
    await f.db.query(`CREATE INDEX ON "${f.schema}".${name} (tx, seq)`)
    return name
  }
  const add = async (name: string, kind: string, n: number): Promise<void> => {
    await f.db.query(`INSERT INTO "${f.schema}".${name} (kind) SELECT $1 FROM generate_series(1, $2::int)`, [kind, n])
  }
  function streamer (name: string, positionColumns: string[]): Streamer {
    const s = new Streamer({
      name: 'wanted',
      database: f.db,
      table: `${f.schema}.${name}`,
      positionColumns,
      filter: "kind = 'wanted'",
      batchSize: 100,
      pollMs: 30,
      busyPollMs: 10
    })
    f.closing.push(s)
    return s
  }
  /** Heap rows PostgreSQL has fetched from the table so far, by index or sequential scan (flushed stats). */
  async function rowsLookedAt (name: string): Promise<number> {
    const r = await f.db.query<{ n: string }>(
      'SELECT (coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0))::text AS n FROM pg_stat_user_tables ' +
        'WHERE schemaname = $1 AND relname = $2', [f.schema, name])
    return Number(r.rows[0]?.n ?? 0)
  }

  for (const positions of [['tx', 'seq'], ['seq']]) {
    it('looks at refused rows once while it polls, and still delivers the next row that passes ' +
      `[${positions.join(', ')}]`,
    async function () {
      this.timeout(30000)
      const t = await table()
      await add(t, 'wanted', 3)
      const c = new Collector()
      const s = streamer(t, positions)
      s.subscribe({ kind: 'beginning' }, c)
      await eventually(() => c.rows.length === 3 && c.phase === 'live')
      const refused = 5000
      await add(t, 'other', refused)
      // The tail has read past them, and the statistics of that read have been flushed (a
      // backend flushes its counts at most once a second, at the end of a transaction).
      await sleep(2500)
      const before = await rowsLookedAt(t)
      await sleep(3000) // about a hundred polls at 30 ms
      const during = await rowsLookedAt(t) - before
      assert.ok(during < refused,
          `${during} rows looked at in 3 s of polls past ${refused} refused rows: they are scanned at every poll`)

      await add(t, 'wanted', 1)
      await add(t, 'other', 10)
      await add(t, 'wanted', 1)
      await eventually(() => c.rows.length === 5)
      assert.deepStrictEqual(c.rows.map(r => Number(r.position[r.position.length - 1])), [1, 2, 3, 5004, 5015])

      // A subscriber from the beginning replays through the refused rows and joins the tail.
      const late = new Collector()
      s.subscribe({ kind: 'beginning' }, late)
      await eventually(() => late.phase === 'live')
      await add(t, 'wanted', 1)
      await eventually(() => late.rows.length === 6 && c.rows.length === 6)
      assert.deepStrictEqual(late.rows.map(r => r.position), c.rows.map(r => r.position))
    })
  }
})
