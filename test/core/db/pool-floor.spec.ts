import * as assert from 'assert'
import { PgDatabase } from '../../../core'
import { eventually, sleep } from '../../support/wait'
import { faultyPostgres } from '../../support/faulty-postgres'

/**
 * The connections kept open (PgOptions.min), counted as the server sees them: its backends of the
 * pool's application_name in pg_stat_activity, read over a connection of the test's own. The pool
 * connects through the fixture's proxy; the server itself is stopped and started for a restart.
 */
describe('a pool keeps its floor of connections open [postgres]', () => {
  const faulty = faultyPostgres()
  let n = 0

  const backends = async (app: string): Promise<number> => await faulty.pg.admin(async c =>
    (await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [app])).rows[0].n)

  async function openPool (
    o: { min: number, max: number, idleTimeoutMillis?: number }
  ): Promise<{ db: PgDatabase, app: string, errors: Error[] }> {
    const app = `floor-test-${process.pid}-${n++}`
    const errors: Error[] = []
    const db = await PgDatabase.open({
      connectionString: faulty.pg.url, applicationName: app, onError: err => errors.push(err), ...o
    })
    return { db, app, errors }
  }

  it('opens the connections kept open once the server answers, before any query of the caller', async function () {
    this.timeout(30000)
    const { db, app } = await openPool({ min: 3, max: 5 })
    try {
      await eventually(async () => (await backends(app)) === 3, 10000, 'three backends')
      await sleep(300)
      assert.strictEqual(await backends(app), 3, 'no more than the floor without queries')
    } finally {
      await db.close()
    }
    await eventually(async () => (await backends(app)) === 0, 5000, 'all closed on close')
    assert.strictEqual(db.connectionCount, 0)
  })

  it('closes only the connections above the floor after the idle timeout', async function () {
    this.timeout(30000)
    const { db, app } = await openPool({ min: 2, max: 5, idleTimeoutMillis: 200 })
    try {
      // Five at once: the pool grows to five (counted while they run: idle, three would soon close).
      const five = Promise.all(Array.from({ length: 5 }, async () => await db.query('SELECT pg_sleep(1)')))
      await eventually(async () => (await backends(app)) === 5, 5000, 'five backends')
      await five
      await sleep(1500) // over seven idle timeouts
      assert.strictEqual(await backends(app), 2, 'the floor stays open while idle')
    } finally {
      await db.close()
    }
  })

  it('opens them again after the server restarts, without a query to need them', async function () {
    this.timeout(90000)
    const server = faulty.pg.server
    const { db, app, errors } = await openPool({ min: 3, max: 4 })
    try {
      await eventually(async () => (await backends(app)) === 3, 10000, 'three backends')
      server.down('immediate')
      await eventually(() => errors.length > 0, 10000, 'the lost connections reported')
      server.up()
      await eventually(async () => (await backends(app)) === 3, 40000, 'three backends after the restart', 200)
      const r = await db.query<{ one: number }>('SELECT 1 AS one')
      assert.strictEqual(r.rows[0].one, 1)
    } finally {
      await db.close()
    }
    await eventually(async () => (await backends(app)) === 0, 5000, 'all closed on close')
  })

  it('closes while the server is down and the floor is being opened again, leaving nothing behind', async function () {
    this.timeout(60000)
    const server = faulty.pg.server
    const { db, app } = await openPool({ min: 3, max: 3 })
    try {
      await eventually(async () => (await backends(app)) === 3, 10000, 'three backends')
      server.down('immediate')
      await sleep(300)
      server.up()
      server.down('immediate')
      await sleep(300)
    } finally {
      await db.close()
      server.up()
    }
    assert.strictEqual(db.connectionCount, 0)
    await sleep(1500) // past the floor's first retry: it must have stopped
    assert.strictEqual(await backends(app), 0)
  })
})
