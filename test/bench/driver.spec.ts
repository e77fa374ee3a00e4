import * as assert from 'assert'
import { Client } from 'pg'
import { OrderDriver } from '../../bench/_driver'
import { uniqueSchema } from '../support/databases'

describe("the fixed-rate bench's order driver", () => {
  const url = process.env.DATABASE_URL
  const schema = uniqueSchema('driver')
  let admin: Client

  before(async function () {
    if (url === undefined) return this.skip() // needs DATABASE_URL
    admin = new Client({ connectionString: url })
    await admin.connect()
    await admin.query(`CREATE SCHEMA "${schema}"`)
    await admin.query(`CREATE TABLE "${schema}".t (id bigint, backend int, at timestamptz)`)
  })

  after(async () => {
    if (admin === undefined) return
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await admin.end()
  })

  it('opens and warms every connection before a phase, so four INSERTs at once open none and each runs on ' +
    'a backend that was already there', async function () {
    this.timeout(20000)
    // Each INSERT stays 100 ms, so four at once need four connections, as the open loop's do after a stall.
    const sql = `INSERT INTO "${schema}".t SELECT (x->>'id')::bigint, pg_backend_pid(), clock_timestamp() ` +
      'FROM jsonb_array_elements($1::jsonb) x, pg_sleep(0.1)'
    const driver = new OrderDriver(url!, sql, 4)
    try {
      await driver.warm(i => [{ id: -1 - i }])
      assert.strictEqual(driver.open, 4, 'connections open after the warm-up')
      const { rows: warmed } = await admin.query(`SELECT DISTINCT backend FROM "${schema}".t WHERE id < 0`)
      assert.strictEqual(warmed.length, 4, 'the warm-up ran its INSERT on each of the four connections')
      const opened = driver.opened
      const phaseStart = new Date()
      await Promise.all([1, 2, 3, 4].map(async id => await driver.insert([{ id }])))
      assert.strictEqual(driver.opened, opened, 'connections opened during the phase')
      const { rows } = await admin.query(
        `SELECT t.backend, a.backend_start FROM "${schema}".t t JOIN pg_stat_activity a ON a.pid = t.backend
         WHERE t.id > 0`)
      assert.strictEqual(rows.length, 4)
      for (const r of rows) {
        assert.ok(warmed.some(w => w.backend === r.backend), `backend ${r.backend as number} was warmed`)
        assert.ok(r.backend_start < phaseStart, 'backend started before the phase')
      }
    } finally {
      await driver.end()
    }
  })
})
