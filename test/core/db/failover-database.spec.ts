import * as assert from 'assert'
import { Client } from 'pg'
import { PgDatabase } from '../../../core'
import { retryTransient } from '../../../core/db/retry'
import { NoPrimaryError } from '../../../core/db/pg-primary'
import { ReplicaPair, replicaPairPerSuite } from '../../ha/failover-servers'
import { eventually, sleep } from '../../support/wait'

const DB = 'fix_streamers_test'

async function direct<T> (url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}

/**
 * Writes rows 1, 2, 3... one at a time, each retried through transient errors as the pack's
 * writers do, alternating single statements, transactions and pipelined batches; `acked` holds
 * every row whose write returned.
 */
function writer (db: PgDatabase): { acked: number[], errors: string[], stop: () => Promise<void> } {
  const acked: number[] = []
  const errors: string[] = []
  const stop = new AbortController()
  const insert = 'INSERT INTO ha_rows (id) VALUES ($1) ON CONFLICT DO NOTHING'
  const done = (async () => {
    for (let id = 1; !stop.signal.aborted; id++) {
      const ok = await retryTransient(async () => {
        if (id % 3 === 0) await db.query(insert, [id])
        else if (id % 3 === 1) await db.transaction(async tx => { await tx.query(insert, [id]) })
        else await db.batch([{ text: insert, params: [id] }])
      }, {
        initialMs: 100,
        maxMs: 1000,
        onWaiting: err => errors.push(String((err as { code?: string }).code ?? (err as Error).message))
      })
        .then(() => true, err => { errors.push(`permanent: ${(err as Error).message}`); return false })
      if (ok && !stop.signal.aborted) acked.push(id)
    }
  })()
  return { acked, errors, stop: async () => { stop.abort(); await done } }
}

/** Every acknowledged row is on the promoted replica, and no write failed for good. */
async function assertAllOnNewPrimary (p: ReplicaPair, w: { acked: number[], errors: string[] }): Promise<void> {
  const stored = await direct(p.url('replica'), async c =>
    (await c.query<{ id: number }>('SELECT id FROM ha_rows')).rows.map(r => r.id))
  const missing = w.acked.filter(id => !stored.includes(id))
  assert.deepStrictEqual(missing, [], 'every acknowledged row is on the new primary')
  assert.deepStrictEqual(w.errors.filter(e => e.startsWith('permanent')), [])
}

describe('PostgreSQL failover: the database finds and follows the primary [postgres]', () => {
  const pairOf = replicaPairPerSuite()

  it('connects to the primary whatever the order of the hosts, in a URL, a key/value string or a host list',
    async function () {
      const p = pairOf()
      if (p === undefined) return this.skip()
      this.timeout(30000)
      const primary = `127.0.0.1:${p.primaryPort}`
      const forms = [
        { connectionString: p.url() },
        { connectionString: `postgresql://postgres@127.0.0.1:${p.replicaPort},127.0.0.1:${p.primaryPort}/${DB}` },
        {
          connectionString: `host=127.0.0.1,127.0.0.1 port=${p.replicaPort},${p.primaryPort} dbname=${DB} ` +
        'user=postgres target_session_attrs=read-write'
        },
        {
          hosts: [{ host: '127.0.0.1', port: p.replicaPort }, { host: '127.0.0.1', port: p.primaryPort }],
          database: DB,
          user: 'postgres'
        }
      ]
      for (const form of forms) {
        const db = await PgDatabase.open(form)
        try {
          assert.strictEqual(db.server, primary, JSON.stringify(form))
          const r = await db.query<{ ro: string }>("SELECT current_setting('transaction_read_only') AS ro")
          assert.strictEqual(r.rows[0].ro, 'off')
        } finally {
          await db.close()
        }
      }
      // The replica alone, asked for read-write: refused with each server's reason, and transient.
      await assert.rejects(PgDatabase.open({ connectionString: `${p.url('replica')}?target_session_attrs=read-write` }),
        (err: Error) => err instanceof NoPrimaryError && /is a standby/.test(err.message))
    })

  it('drops a primary turned read-only (25006) and moves to the promoted replica, LISTEN and lease link too',
    async function () {
      const p = pairOf()
      if (p === undefined) return this.skip()
      this.timeout(120000) // the waits below add up to 71 s before the promotion's own time
      const moves: string[] = []
      const db = await PgDatabase.open({
        connectionString: `${p.url()}?target_session_attrs=read-write`,
        max: 4,
        connectionTimeoutMillis: 2000,
        onError: () => {},
        onServerChange: (now, before) => moves.push(`${before} -> ${now}`)
      })
      await db.query('CREATE TABLE IF NOT EXISTS ha_rows (id int PRIMARY KEY)')
      const w = writer(db)
      try {
        const notes: string[] = []
        let relistened = 0
        await db.listen('ha', { onNotify: s => notes.push(s), onReconnect: () => { relistened++ } })
        // The connection lease renewals use (core/ha): outside the pool, it must follow the primary too.
        const lease = db.dedicated(2000)
        const portOf = async (): Promise<number> =>
          Number((await lease.query<{ port: number }>('SELECT inet_server_port() AS port')).rows[0].port)
        assert.strictEqual(await portOf(), p.primaryPort)
        await eventually(() => w.acked.length >= 30, 10000, 'rows before the fault', 50)
        // The primary stays up but refuses writes from now on, as a demoted one would.
        await direct(p.url('primary'), async c => {
          await c.query('ALTER SYSTEM SET default_transaction_read_only = on')
          await c.query('SELECT pg_reload_conf()')
        })
        await eventually(() => w.errors.includes('25006'), 10000, 'a write refused as read-only', 50)
        const stalledAt = w.acked.length
        await sleep(1000)
        assert.ok(w.acked.length <= stalledAt + 1, 'no write succeeds while no server accepts writes')
        await p.promote()
        await eventually(() => w.acked.length >= stalledAt + 30, 20000, 'writes going on after the promotion', 50)
        assert.strictEqual(db.server, `127.0.0.1:${p.replicaPort}`)
        assert.deepStrictEqual(moves, [`127.0.0.1:${p.primaryPort} -> 127.0.0.1:${p.replicaPort}`])
        await eventually(() => relistened > 0, 10000, 'the LISTEN connection back on the new primary', 50)
        await db.query("SELECT pg_notify('ha', 'after failover')")
        await eventually(() => notes.includes('after failover'), 10000, 'the notification from the new primary', 50)
        await eventually(
          async () => await portOf().catch(() => 0) === p.replicaPort,
          10000,
          'the dedicated connection on the new primary',
          50
        )
        const ro = await lease.query<{ ro: string }>("SELECT current_setting('transaction_read_only') AS ro")
        assert.strictEqual(ro.rows[0].ro, 'off')
      } finally {
        await w.stop()
        await db.close()
      }
      await assertAllOnNewPrimary(p, w)
    })
})

describe('PostgreSQL failover: the primary stopped, the replica promoted, writes go on [postgres]', () => {
  const pairOf = replicaPairPerSuite()

  it('loses no acknowledged write and ends on the new primary', async function () {
    const p = pairOf()
    if (p === undefined) return this.skip()
    this.timeout(60000)
    const db = await PgDatabase.open({
      connectionString: p.url(), max: 4, connectionTimeoutMillis: 2000, onError: () => {}
    })
    await db.query('CREATE TABLE IF NOT EXISTS ha_rows (id int PRIMARY KEY)')
    const w = writer(db)
    let outageMs = 0
    try {
      await eventually(() => w.acked.length >= 50, 10000, 'rows before the failover', 50)
      // Writes go on until the stop lands, which under load may be many: only those acknowledged
      // after the promotion, with the old primary gone, prove the database moved.
      await p.stop('primary')
      const t0 = Date.now()
      await sleep(500)
      await p.promote()
      const promoted = w.acked.length
      await eventually(() => w.acked.length > promoted, 20000, 'a write on the new primary', 10)
      outageMs = Date.now() - t0
      await eventually(() => w.acked.length >= promoted + 50, 20000, 'writes going on after the failover', 50)
      assert.strictEqual(db.server, `127.0.0.1:${p.replicaPort}`)
    } finally {
      await w.stop()
      await db.close()
    }
    await assertAllOnNewPrimary(p, w)
    console.log(`      ${w.acked.length} rows acknowledged, all on the new primary; no write for ` +
      `${outageMs} ms after the primary stopped (0.5 s, promote, next write)`)
  })
})
