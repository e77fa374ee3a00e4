import * as assert from 'assert'
import { BatchError } from '../../../core'
import { describeEachDatabase, eventually } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'

describeEachDatabase('database batch', target => {
  let t: string
  const f = schemaFixture(target, {
    prefix: 'batch',
    setup: async (db, schema) => {
      t = `"${schema}".t`
      await db.query(`CREATE TABLE ${t} (id bigint PRIMARY KEY, price numeric, note text)`)
    }
  })

  it('runs the statements in order in one transaction and returns each result', async () => {
    const results = await f.db.batch([
      {
        text: `INSERT INTO ${t} (id, price, note) VALUES ($1, $2, $3) RETURNING id, price`,
        params: ['9007199254740993', '1.10', "x'); DROP TABLE t; --"]
      },
      { text: `UPDATE ${t} SET note = $2 WHERE id = $1`, params: ['9007199254740993', 'second'] },
      { text: `SELECT note, txid_current() AS tx FROM ${t} WHERE id = $1`, params: ['9007199254740993'] },
      { text: 'SELECT txid_current() AS tx' }
    ])
    assert.strictEqual(results.length, 4)
    assert.deepStrictEqual(results[0].rows, [{ id: '9007199254740993', price: '1.10' }])
    assert.strictEqual(results[1].rowCount, 1)
    assert.strictEqual(results[2].rows[0].note, 'second', 'the third statement saw the second')
    assert.strictEqual(String(results[2].rows[0].tx), String(results[3].rows[0].tx), 'one transaction')
    assert.deepStrictEqual(await f.db.batch([]), [])
  })

  it('commits nothing when a statement fails, says which one, and the database stays usable', async () => {
    await f.db.query(`INSERT INTO ${t} (id) VALUES (100)`)
    const err = await f.db.batch([
      { text: `INSERT INTO ${t} (id) VALUES ($1)`, params: [101] },
      { text: `INSERT INTO ${t} (id) VALUES ($1)`, params: [100] }, // duplicate key
      { text: `INSERT INTO ${t} (id) VALUES ($1)`, params: [102] }
    ]).then(() => undefined, (e: unknown) => e)
    assert.ok(err instanceof BatchError, `a BatchError, not ${String(err)}`)
    assert.strictEqual(err.index, 1)
    assert.match(err.message, /duplicate key/)
    assert.strictEqual((err as unknown as { code?: string }).code, '23505')
    const left = await f.db.query<{ id: string }>(`SELECT id FROM ${t} WHERE id BETWEEN 100 AND 102 ORDER BY id`)
    assert.deepStrictEqual(
      left.rows.map(r => r.id),
      ['100'],
      'neither the statement before nor the one after the failure was committed'
    )
    // The connection went back clean: the next batch and query work.
    await f.db.batch([{ text: `INSERT INTO ${t} (id) VALUES ($1)`, params: [101] }])
    assert.strictEqual(
      (await f.db.query(`SELECT count(*)::int AS n FROM ${t} WHERE id BETWEEN 100 AND 102`)).rows[0].n,
      2
    )
  })

  it('keeps concurrent batches and queries apart (each its own transaction and results)', async () => {
    const runs = Array.from({ length: 6 }, async (_, b) => await f.db.batch(Array.from({ length: 50 }, (_, i) => ({
      text: `INSERT INTO ${t} (id, note) VALUES ($1, $2) RETURNING id, note`, params: [1000 + b * 100 + i, `b${b}`]
    }))))
    const singles = Array.from(
      { length: 20 },
      async (_, i) => await f.db.query<{ v: number }>('SELECT $1::int AS v', [i])
    )
    const [batches, queries] = await Promise.all([Promise.all(runs), Promise.all(singles)])
    batches.forEach((results, b) => {
      assert.strictEqual(results.length, 50)
      results.forEach((r, i) => assert.deepStrictEqual(r.rows, [{ id: String(1000 + b * 100 + i), note: `b${b}` }]))
    })
    queries.forEach((r, i) => assert.strictEqual(r.rows[0].v, i))
    assert.strictEqual(
      (await f.db.query(`SELECT count(*)::int AS n FROM ${t} WHERE id BETWEEN 1000 AND 1999`)).rows[0].n,
      300
    )
  })

  it('notifies a listener once per batch and only after its commit', async () => {
    const channel = `batch_${Math.floor(Math.random() * 1e9)}`
    const got: string[] = []
    const unlisten = await f.db.listen(channel, { onNotify: p => got.push(p) })
    await f.db.batch(
      Array.from({ length: 20 }, () => ({ text: 'SELECT pg_notify($1, $2)', params: [channel, 'same'] }))
    )
    await assert.rejects(f.db.batch([
      { text: 'SELECT pg_notify($1, $2)', params: [channel, 'rolled back'] },
      { text: 'SELECT 1 / 0' }
    ]), BatchError)
    await f.db.query('SELECT pg_notify($1, $2)', [channel, 'after'])
    await eventually(() => got.includes('after'), 5000, 'the last notification')
    assert.deepStrictEqual(got, ['same', 'after'])
    await unlisten()
  })
})
