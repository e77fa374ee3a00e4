import * as assert from 'assert'
import type { Database, QueryResult } from '../../core/db'
import { SqlRunner } from '../../nodes/streamer-sql/runner'
import { describeEachDatabase } from '../support/databases'
import { schemaFixture } from '../support/schema-fixture'

/**
 * The database seen through a view that counts the calls that commit: statements, batches and
 * transactions, each counted once with what it runs inside it (a batch may run as a transaction).
 */
function counted (db: Database): Database & { commits: number } {
  const view = Object.create(db) as Database & { commits: number }
  view.commits = 0
  let depth = 0
  async function once<T> (fn: () => Promise<T>): Promise<T> {
    if (depth === 0) view.commits++
    depth++
    try {
      return await fn()
    } finally {
      depth--
    }
  }
  const { query, batch, transaction } = db
  view.query = async function <R = Record<string, unknown>>(
    text: string, params?: readonly unknown[]
  ): Promise<QueryResult<R>> {
    return await once(async () => await query.call(view, text, params) as QueryResult<R>)
  }
  view.batch = async function (statements) {
    return await once(async () => await batch.call(view, statements))
  }
  view.transaction = async function <T>(fn: (tx: any) => Promise<T>): Promise<T> {
    return await once(async () => await transaction.call(view, fn) as T)
  }
  return view
}

describeEachDatabase('streamer-sql in batch mode, given a burst', target => {
  const f = schemaFixture(target, { prefix: 'sb' })

  it('commits the messages handed to an idle node one per immediate callback (as Node-RED hands on ' +
    'a stream batch) in one transaction, not the first alone and the rest after its commit', async () => {
    await f.db.query(`CREATE TABLE "${f.schema}".t (n int PRIMARY KEY)`)
    const db = counted(f.db)
    const runner = new SqlRunner({
      sql: `INSERT INTO "${f.schema}".t (n) VALUES ($1)`,
      batchMax: 100,
      has: { event: false, reason: false },
      retrying: false,
      acquire: async () => db,
      ran: () => {},
      waiting: () => {},
      back: () => {}
    })
    const done: Array<Promise<QueryResult>> = []
    for (let i = 0; i < 10; i++) {
      done.push(new Promise<QueryResult>((resolve, reject) => {
        const values = { params: [i], event: undefined, reason: undefined }
        setImmediate(() => runner.push({ values, succeeded: resolve, failed: reject }))
      }))
    }
    await Promise.all(done)
    await runner.close()
    const n = await f.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${f.schema}".t`)
    assert.strictEqual(n.rows[0].n, 10)
    assert.strictEqual(db.commits, 1, `${db.commits} commits for ten messages of one burst`)
  })
})
