import * as assert from 'assert'
import { PgDatabase } from '../../core'
import { FAULTS, faultyPostgres } from '../support/faulty-postgres'
import { ProcessErrors } from '../support/process-errors'
import { sleep } from '../support/wait'

/**
 * Point 1 of issue 17: no database fault ends the process. Every kind of use of the pool runs
 * in a loop (single queries, transactions, pipelined batches, idle pooled connections and the
 * LISTEN connection) while the connections are cut, terminated, and the server is restarted
 * fast and immediate; nothing may reach the process as an uncaught error, and every kind of use
 * works again afterwards.
 */
describe('database faults never end the process [postgres]', () => {
  const faulty = faultyPostgres()

  it('survives cuts, terminated backends and fast and immediate restarts during queries, ' +
    'transactions, batches and LISTEN', async function () {
    this.timeout(120000)
    const server = faulty.pg
    const recorded = new ProcessErrors()
    const idleErrors: string[] = []
    const db = await PgDatabase.open({
      connectionString: server.url,
      max: 6,
      connectionTimeoutMillis: 2000,
      onError: err => idleErrors.push(err.message)
    })
    const ok = { query: 0, transaction: 0, batch: 0, notify: 0 }
    let running = true
    const loops: Array<Promise<void>> = []
    try {
      await db.query('CREATE TABLE IF NOT EXISTS ev (id bigserial PRIMARY KEY, n int)')
      let reconnects = 0
      await db.listen('faults', { onNotify: () => { ok.notify++ }, onReconnect: () => { reconnects++ } })
      const loop = (fn: () => Promise<void>): void => {
        loops.push((async () => {
          while (running) {
            try {
              await fn()
            } catch {
              await sleep(20) // the fault itself: expected, and must reach us here
            }
          }
        })())
      }
      loop(async () => { await db.query('SELECT pg_sleep(0.01)'); ok.query++ })
      loop(async () => {
        await db.transaction(async tx => {
          await tx.query('INSERT INTO ev (n) VALUES ($1)', [1])
          await tx.query('SELECT pg_sleep(0.01)')
          await tx.query("SELECT pg_notify('faults', '')")
        })
        ok.transaction++
      })
      loop(async () => {
        await db.batch([
          { text: 'INSERT INTO ev (n) VALUES ($1)', params: [2] },
          { text: 'SELECT pg_sleep($1::float8)', params: [0.01] }
        ])
        ok.batch++
      })

      for (const fault of [...FAULTS, ...FAULTS]) {
        const before = { ...ok }
        await server.inject(fault)
        const until = Date.now() + 30000
        // Each kind of use works again after the fault (the LISTEN connection included).
        while (!(
          ok.query > before.query &&
          ok.transaction > before.transaction &&
          ok.batch > before.batch &&
          ok.notify > before.notify
        )) {
          assert.ok(
            Date.now() < until,
            `after ${fault}: not every kind of use recovered: ${JSON.stringify({ before, now: ok })}`
          )
          await sleep(50)
        }
        assert.deepStrictEqual(recorded.errors, [], `after ${fault}`)
      }
      assert.ok(reconnects >= 4, `the LISTEN connection reported its reconnects (${reconnects})`)
    } finally {
      running = false
      await Promise.all(loops)
      await db.close()
      recorded.stop()
    }
    assert.deepStrictEqual(recorded.errors, [])
  })

  it('a LISTEN asked for while the server is down starts once it is back, and the listener is told', async function () {
    this.timeout(60000)
    const server = faulty.pg
    const recorded = new ProcessErrors()
    const db = await PgDatabase.open({ connectionString: server.url, onError: () => {} })
    try {
      server.server.down('fast')
      let notified = 0
      let reconnected = 0
      try {
        await db.listen('late_channel', { onNotify: () => { notified++ }, onReconnect: () => { reconnected++ } })
      } finally {
        server.server.up()
      }
      const until = Date.now() + 30000
      while (notified === 0) {
        assert.ok(Date.now() < until, `no notification after the server came back (reconnects told: ${reconnected})`)
        await server.admin(async c => { await c.query("SELECT pg_notify('late_channel', 'x')") })
        await sleep(200)
      }
      assert.ok(reconnected >= 1, 'the listener was told to read again')
      assert.deepStrictEqual(recorded.errors, [])
    } finally {
      await db.close()
      recorded.stop()
    }
  })
})
