import * as assert from 'assert'
import { EmbeddedMaintenance, EmbeddedMaintenanceError } from '../../../core/db/embedded-maintenance'
import { migrate } from '../../../core/db/migrate'
import { PgliteDatabase } from '../../../core/db/pglite-database'
import type { Queryable } from '../../../core/db/database'
import { executionReportsHorizon } from '../../support/stream'
import { eventually, sleep } from '../../support/wait'
import { collectWarnings } from '../../support/warnings'

interface LastDone { analysed: unknown, vacuumed: unknown }

/** When PostgreSQL last analysed and vacuumed `schema.name` (null: never). */
async function lastDone (db: Queryable, schema: string, name: string): Promise<LastDone> {
  const r = await db.query<LastDone>(
    'SELECT last_analyze AS analysed, last_vacuum AS vacuumed FROM pg_stat_user_tables ' +
    'WHERE schemaname = $1 AND relname = $2', [schema, name])
  assert.strictEqual(r.rows.length, 1, `${schema}.${name} has no statistics row`)
  return r.rows[0]
}

async function fill (db: Queryable, table: string, rows: number): Promise<void> {
  await db.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, v text NOT NULL)`)
  await db.query(`INSERT INTO ${table} (v) SELECT repeat('v', 50) FROM generate_series(1, ${rows})`)
}

/**
 * `table` with 2,000 rows and an index on a function of them, which `breakIndex` then makes raise:
 * ANALYZE evaluates an expression index's function on its sample, so the table can no longer be
 * analysed (a user's function replaced by one that fails, as it happens).
 */
async function fillWithFunctionIndex (db: Queryable, table: string): Promise<void> {
  await db.query(`CREATE FUNCTION ${table}_weight (v text) RETURNS int LANGUAGE plpgsql IMMUTABLE ` +
    'AS $$ BEGIN RETURN length(v); END $$')
  await fill(db, table, 0)
  await db.query(`CREATE INDEX ON ${table} (${table}_weight(v))`)
  await db.query(`INSERT INTO ${table} (v) SELECT repeat('v', 50) FROM generate_series(1, 2000)`)
}

async function breakIndex (db: Queryable, table: string): Promise<void> {
  await db.query(`CREATE OR REPLACE FUNCTION ${table}_weight (v text) RETURNS int LANGUAGE plpgsql IMMUTABLE ` +
    `AS $$ BEGIN RAISE EXCEPTION 'the weight of ${table} is broken'; END $$`)
}

describe('embedded database maintenance (PGlite has no autovacuum)', function () {
  this.timeout(60000)
  let db: PgliteDatabase

  before(async () => { db = await PgliteDatabase.open({ maintenance: false }) })
  after(async () => { await db.close() })

  it('vacuums and analyses a table once more rows were inserted than autovacuum\'s thresholds, ' +
    'and leaves a table below them alone', async () => {
    await db.query('CREATE SCHEMA em1')
    await fill(db, 'em1.busy', 2000)
    await fill(db, 'em1.quiet', 10)
    const pass = await new EmbeddedMaintenance(db).pass()
    assert.ok(pass.analysed.includes('em1.busy'), `analysed: ${pass.analysed.join(', ')}`)
    assert.ok(pass.vacuumed.includes('em1.busy'), `vacuumed: ${pass.vacuumed.join(', ')}`)
    assert.ok(!pass.analysed.includes('em1.quiet') && !pass.vacuumed.includes('em1.quiet'))
    const busy = await lastDone(db, 'em1', 'busy')
    assert.notStrictEqual(busy.analysed, null)
    assert.notStrictEqual(busy.vacuumed, null)
    assert.deepStrictEqual(await lastDone(db, 'em1', 'quiet'), { analysed: null, vacuumed: null })
    const est = await db.query<{ n: number }>(
      "SELECT reltuples::int AS n FROM pg_class WHERE oid = 'em1.busy'::regclass")
    assert.strictEqual(est.rows[0].n, 2000)
    // Done once: the next pass finds nothing more to do for it.
    const again = await new EmbeddedMaintenance(db).pass()
    assert.ok(!again.analysed.includes('em1.busy') && !again.vacuumed.includes('em1.busy'))
  })

  it('leaves alone a table whose storage parameters turn autovacuum off, however the value is written', async () => {
    await db.query('CREATE SCHEMA em2')
    const spellings = ['false', 'off', '0', "'No'"]
    for (const [i, value] of spellings.entries()) {
      await fill(db, `em2.off${i}`, 2000)
      await db.query(`ALTER TABLE em2.off${i} SET (autovacuum_enabled = ${value})`)
    }
    await fill(db, 'em2.on', 2000)
    await db.query('ALTER TABLE em2.on SET (autovacuum_enabled = on)')
    const pass = await new EmbeddedMaintenance(db).pass()
    for (const [i, value] of spellings.entries()) {
      assert.deepStrictEqual(await lastDone(db, 'em2', `off${i}`), { analysed: null, vacuumed: null }, value)
    }
    assert.ok(pass.analysed.includes('em2."on"'), `analysed: ${pass.analysed.join(', ')}`)
  })

  it('vacuums a table whose oldest transaction id is older than the freeze age, though nothing changed in it',
    async () => {
      await db.query('CREATE SCHEMA em3')
      await fill(db, 'em3.old', 10)
      await new EmbeddedMaintenance(db).pass()
      assert.strictEqual((await lastDone(db, 'em3', 'old')).vacuumed, null)
      // Transactions elsewhere age the table's relfrozenxid past a freeze age of 5.
      for (let i = 0; i < 10; i++) await db.query('SELECT pg_current_xact_id()')
      const pass = await new EmbeddedMaintenance(db, { freezeMaxAge: 5 }).pass()
      assert.ok(pass.vacuumed.includes('em3.old'), `vacuumed: ${pass.vacuumed.join(', ')}`)
      assert.notStrictEqual((await lastDone(db, 'em3', 'old')).vacuumed, null)
    })

  it('vacuums a table once more of its rows were updated or deleted than autovacuum\'s dead-row threshold, ' +
    'and not before', async () => {
    await db.query('CREATE SCHEMA em5')
    await fill(db, 'em5.churned', 1000)
    await fill(db, 'em5.touched', 1000)
    await new EmbeddedMaintenance(db).pass() // both vacuumed and analysed once: reltuples 1000
    // Dead-row threshold: 50 + 20% of 1000 = 250. Updates leave dead rows; they are not inserts.
    await db.query("UPDATE em5.churned SET v = 'w' WHERE id <= 200")
    await db.query('DELETE FROM em5.churned WHERE id > 900')
    await db.query("UPDATE em5.touched SET v = 'w' WHERE id <= 100")
    const before = await lastDone(db, 'em5', 'churned')
    const pass = await new EmbeddedMaintenance(db).pass()
    assert.ok(pass.vacuumed.includes('em5.churned'), `vacuumed: ${pass.vacuumed.join(', ')}`)
    assert.ok(!pass.vacuumed.includes('em5.touched'), `vacuumed: ${pass.vacuumed.join(', ')}`)
    assert.notDeepStrictEqual((await lastDone(db, 'em5', 'churned')).vacuumed, before.vacuumed)
    const dead = await db.query<{ n: number }>(
      "SELECT n_dead_tup::int AS n FROM pg_stat_user_tables WHERE relid = 'em5.churned'::regclass")
    assert.strictEqual(dead.rows[0].n, 0)
  })

  it('goes on with the other tables when one cannot be analysed, names it, and still vacuums it', async () => {
    await db.query('CREATE SCHEMA em6')
    // Created first, so its oldest transaction id is older: the pass comes to it before the other.
    await fillWithFunctionIndex(db, 'em6.broken')
    await fill(db, 'em6.fine', 2000)
    await breakIndex(db, 'em6.broken')
    const pass = await new EmbeddedMaintenance(db).pass()
    assert.deepStrictEqual(pass.failed.map(f => f.target), ['em6.broken'])
    assert.match(String(pass.failed[0].error), /the weight of em6\.broken is broken/)
    assert.ok(pass.analysed.includes('em6.fine') && pass.vacuumed.includes('em6.fine'),
      `analysed: ${pass.analysed.join(', ')}; vacuumed: ${pass.vacuumed.join(', ')}`)
    assert.ok(!pass.analysed.includes('em6.broken'))
    // VACUUM (ANALYZE) committed its vacuum before the analyse failed: the table is still frozen.
    const broken = await lastDone(db, 'em6', 'broken')
    assert.strictEqual(broken.analysed, null)
    assert.notStrictEqual(broken.vacuumed, null)
  })

  it('quotes the names of the tables it works on, whatever they are called', async () => {
    await db.query('CREATE SCHEMA "em 4"')
    await fill(db, '"em 4"."Odd; name"', 2000)
    const pass = await new EmbeddedMaintenance(db).pass()
    assert.ok(pass.analysed.includes('"em 4"."Odd; name"'), `analysed: ${pass.analysed.join(', ')}`)
    assert.notStrictEqual((await lastDone(db, 'em 4', 'Odd; name')).analysed, null)
  })
})

describe('the embedded database\'s own maintenance passes', function () {
  this.timeout(60000)

  it('analyses a table on its own, as autovacuum would on a server', async () => {
    const db = await PgliteDatabase.open({ maintenance: { intervalMs: 50 } })
    try {
      await fill(db, 'public.auto', 2000)
      const deadline = Date.now() + 10000
      while ((await lastDone(db, 'public', 'auto')).analysed === null) {
        assert.ok(Date.now() < deadline, 'not analysed within 10 s')
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    } finally {
      await db.close()
    }
  })

  it('closes while a pass runs, and reads and writes in between as usual', async () => {
    const db = await PgliteDatabase.open({ maintenance: { intervalMs: 1 } })
    const warnings = collectWarnings()
    try {
      for (let i = 0; i < 20; i++) await fill(db, `public.t${i}`, 1500)
      const n = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM public.t19')
      assert.strictEqual(n.rows[0].n, '1500')
      // Passes have run (one at least got to a table), and one may be running now.
      const deadline = Date.now() + 10000
      while ((await db.query("SELECT 1 FROM pg_stat_user_tables WHERE relname LIKE 't%' AND last_analyze IS NOT NULL"))
        .rows.length === 0) {
        assert.ok(Date.now() < deadline, 'no pass analysed a table within 10 s')
        await new Promise(resolve => setTimeout(resolve, 20))
      }
      await db.close()
      await new Promise(resolve => setImmediate(resolve))
      assert.deepStrictEqual(warnings.seen.map(w => w.message), [])
    } finally {
      warnings.stop()
      await db.close()
    }
  })

  it('says once, as a Node.js warning, that a table cannot be done, however many passes fail on it, ' +
    'and again for another', async () => {
    const db = await PgliteDatabase.open({ maintenance: { intervalMs: 10 } })
    const warnings = collectWarnings()
    try {
      await fillWithFunctionIndex(db, 'public.first')
      await fillWithFunctionIndex(db, 'public.second')
      await breakIndex(db, 'public.first')
      // A pass (every 10 ms once the one before ended) meets the broken table; then many more fail on it.
      await eventually(() => warnings.seen.length > 0, 10000, 'the warning for public.first')
      await sleep(500)
      assert.deepStrictEqual(warnings.seen.map(w => w.name), ['EmbeddedMaintenanceWarning'])
      assert.match(warnings.seen[0].message,
        /^the embedded database could not vacuum or analyse public\.first \(the weight of public\.first is broken\); /)
      // Analysed by now; deleted rows (a DELETE evaluates no index function) make it due again, and now it
      // cannot be done either.
      await breakIndex(db, 'public.second')
      await db.query('DELETE FROM public.second WHERE id > 500')
      await eventually(() => warnings.seen.length > 1, 10000, 'the warning for public.second')
      await sleep(500)
      assert.strictEqual(warnings.seen.length, 2, warnings.seen.map(w => w.message).join('\n'))
      assert.match(warnings.seen[1].message, /public\.second \(the weight of public\.second is broken\)/)
      // The database itself goes on as usual.
      assert.strictEqual((await db.query<{ n: number }>('SELECT 1 AS n')).rows[0].n, 1)
    } finally {
      warnings.stop()
      await db.close()
    }
  })

  it('hands a pass that fails as a whole (its database closed under it) to the error handler, and survives ' +
    'a handler that throws: no unhandled rejection', async () => {
    const db = await PgliteDatabase.open({ maintenance: false })
    const errors: unknown[] = []
    const maintenance = new EmbeddedMaintenance(db, {
      intervalMs: 10,
      onError: err => { errors.push(err); throw new Error('the handler failed too') }
    })
    const rejections: unknown[] = []
    const onRejection = (reason: unknown): void => { rejections.push(reason) }
    process.on('unhandledRejection', onRejection)
    try {
      await maintenance.start()
      await db.close()
      const deadline = Date.now() + 10000
      while (errors.length < 3) {
        assert.ok(Date.now() < deadline, `the handler ran ${errors.length} times in 10 s`)
        await new Promise(resolve => setTimeout(resolve, 10))
      }
      await new Promise(resolve => setTimeout(resolve, 50))
      assert.deepStrictEqual(rejections, [])
      assert.ok(errors[0] instanceof Error && !(errors[0] instanceof EmbeddedMaintenanceError), String(errors[0]))
    } finally {
      process.off('unhandledRejection', onRejection)
      await maintenance.stop()
    }
  })

  it('lets a stream read a large unanalysed inbound backlog through its index, not by sorting it', async () => {
    // A new journal that took 20,000 ExecutionReports before any statistics: PostgreSQL's estimate for
    // the read's range is then 0.5% of the table, under the read's LIMIT, and with no correlation
    // known it sorts every row after the position for each read (docs/performance.md, session 26).
    const db = await PgliteDatabase.open({ maintenance: { intervalMs: 50 } })
    try {
      await migrate(db, 'emj')
      await db.query('INSERT INTO emj.fix_in (session_name, msg_seq_num, msg_type, sender_comp_id, target_comp_id, ' +
        "raw) SELECT 'GW', g, '8', 'B', 'A', repeat('r', 150) FROM generate_series(1, 20000) AS g")
      const horizon = await executionReportsHorizon(db, 'emj')
      const first = (await db.query<{ tx: string, seq: string }>(
        'SELECT tx::text AS tx, receive_seq::text AS seq FROM emj.fix_in ORDER BY receive_seq LIMIT 1')).rows[0]
      const deadline = Date.now() + 10000
      while ((await lastDone(db, 'emj', 'fix_in')).analysed === null) {
        assert.ok(Date.now() < deadline, 'the journal was not analysed within 10 s')
        await new Promise(resolve => setTimeout(resolve, 50))
      }
      const seen: string[] = []
      const recording: Queryable = {
        query: async (text, params) => {
          seen.push(text)
          return await db.query(text, params)
        }
      }
      const read = await horizon.read(recording, [first.tx, first.seq], 500)
      assert.strictEqual(read.rows.length, 500)
      const explained = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${seen[0]}`, [first.tx, first.seq, 500])
      const text = explained.rows.map(r => r['QUERY PLAN']).join('\n')
      assert.ok(!/Sort|Bitmap/.test(text) && /Index Scan using fix_in_tx_receive_seq/.test(text), text)
    } finally {
      await db.close()
    }
  })
})
