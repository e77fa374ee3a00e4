import * as assert from 'assert'
import { PgDatabase } from '../../../core'
import { StatementCache } from '../../../core/db/statement-cache'
import { serverOptions } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'

describe('statement cache', () => {
  it('names a text once it has run `threshold` times, and the same name after', () => {
    const c = new StatementCache(3)
    assert.strictEqual(c.nameFor('SELECT $1'), undefined)
    assert.strictEqual(c.nameFor('SELECT $1'), undefined)
    const name = c.nameFor('SELECT $1')
    assert.match(String(name), /^fs_[0-9a-f]{24}_0$/)
    assert.strictEqual(c.nameFor('SELECT $1'), name)
    assert.notStrictEqual(c.nameFor('SELECT $2'), name)
  })

  it('names nothing with threshold 0 (PgBouncer in transaction mode)', () => {
    const c = new StatementCache(0)
    for (let i = 0; i < 10; i++) assert.strictEqual(c.nameFor('SELECT $1'), undefined)
    assert.strictEqual(c.size, 0)
  })

  it('gives a stale text a new name, and stays bounded', () => {
    const c = new StatementCache(1, 2, 4)
    const a = c.nameFor('a')
    c.invalidate('a')
    const a2 = c.nameFor('a')
    assert.ok(a2 !== undefined && a2 !== a, 'a new name after invalidate')
    assert.ok(c.nameFor('b') !== undefined)
    assert.strictEqual(c.nameFor('c'), undefined, 'at most 2 names')
    assert.strictEqual(c.size, 2)
  })
})

const server = serverOptions()
;(server === undefined ? describe.skip : describe)('prepared statements on a PostgreSQL server [postgres]', () => {
  const f = schemaFixture(undefined, {
    prefix: 'prep',
    open: async () => await PgDatabase.open({ ...server, max: 2, applicationName: 'fix-streamers-test' }),
    setup: async (db, schema) => {
      await db.query(`CREATE TABLE "${schema}".t (id int PRIMARY KEY, v text)`)
      await db.query(`INSERT INTO "${schema}".t VALUES (1, 'one'), (2, 'two')`)
    }
  })

  it('prepares a statement run often, in queries, transactions and batches alike, with the same results', async () => {
    const sql = `SELECT * FROM "${f.schema}".t WHERE id = $1`
    const before = f.db.preparedStatements
    for (let i = 0; i < 5; i++) assert.deepStrictEqual((await f.db.query(sql, [1])).rows, [{ id: 1, v: 'one' }])
    assert.strictEqual(f.db.preparedStatements, before + 1)
    const inTx = await f.db.transaction(async tx => (await tx.query(sql, [2])).rows)
    assert.deepStrictEqual(inTx, [{ id: 2, v: 'two' }])
    const batch = await f.db.batch([{ text: sql, params: [1] }, { text: sql, params: [2] }])
    assert.deepStrictEqual(batch.map(r => r.rows[0].v), ['one', 'two'])
    // The server holds it as a prepared statement on this connection.
    const held = await f.db.transaction(async tx => {
      await tx.query(sql, [1])
      return (
        await tx.query<{ n: string }>('SELECT count(*)::text AS n FROM pg_prepared_statements WHERE statement = $1', [
          sql
        ])
      ).rows[0].n
    })
    assert.strictEqual(held, '1')
  })

  it('prepares a statement again after its table changed ("cached plan must not change result type")', async () => {
    const sql = `SELECT * FROM "${f.schema}".t WHERE id = $1 AND $2::int = 0`
    for (let i = 0; i < 6; i++) await f.db.query(sql, [1, 0])
    await f.db.query(`ALTER TABLE "${f.schema}".t ADD COLUMN w int DEFAULT 7`)
    // Both pool connections hold the old plan: each query must still answer, with the new column.
    for (let i = 0; i < 4; i++) {
      assert.deepStrictEqual((await f.db.query(sql, [1, 0])).rows, [{ id: 1, v: 'one', w: 7 }])
    }
    const batched = await f.db.batch([{ text: sql, params: [2, 0] }]).catch(() => undefined) ??
      await f.db.batch([{ text: sql, params: [2, 0] }])
    assert.deepStrictEqual(batched[0].rows, [{ id: 2, v: 'two', w: 7 }])
  })

  it('prepares a statement again when the connection lost it (DISCARD ALL)', async () => {
    const one = await PgDatabase.open({ ...server, max: 1, applicationName: 'fix-streamers-test' })
    try {
      const sql = 'SELECT $1::int + 1 AS x'
      for (let i = 0; i < 4; i++) assert.strictEqual((await one.query<{ x: number }>(sql, [i])).rows[0].x, i + 1)
      await one.query('DISCARD ALL')
      assert.strictEqual((await one.query<{ x: number }>(sql, [41])).rows[0].x, 42)
      assert.strictEqual((await one.query<{ x: number }>(sql, [1])).rows[0].x, 2)
    } finally {
      await one.close()
    }
  })

  it('never prepares with prepareThreshold 0', async () => {
    const plain = await PgDatabase.open({
      ...server,
      max: 1,
      prepareThreshold: 0,
      applicationName: 'fix-streamers-test'
    })
    try {
      for (let i = 0; i < 5; i++) await plain.query('SELECT $1::int AS x', [i])
      assert.strictEqual(plain.preparedStatements, 0)
      const held = await plain.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM pg_prepared_statements WHERE statement = $1',
        ['SELECT $1::int AS x']
      )
      assert.strictEqual(held.rows[0].n, '0')
    } finally {
      await plain.close()
    }
  })
})
