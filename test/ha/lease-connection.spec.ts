import * as assert from 'assert'
import {
  Database, LeaseGrant, LeaseLostError, LeaseRegistry, Membership, migrate, PgDatabase, resourceOf
} from '../../core'
import { dropSchema, eventually, serverOptions, uniqueSchema } from '../support/databases'
import { sleep } from '../support/wait'

/**
 * Lease renewals run on a connection of their own (core/db/pg-dedicated.ts): a pool whose every
 * connection waits on a slow statement must not delay them, or the holder loses its lease for no
 * reason and a takeover follows.
 */
const pg = serverOptions()
const describeOnServer = pg === undefined ? describe.skip : describe

describeOnServer('lease renewals on a dedicated connection [postgres]', () => {
  let db: PgDatabase
  let observer: Database
  let schema: string
  const leases: Membership[] = []
  const settings = { instance: 'a', leaseMs: 600, renewMs: 100 }

  beforeEach(async () => {
    // A small pool, so that it is easy to exhaust; every test gets its own, so its own registry.
    db = await PgDatabase.open({ ...pg, max: 2, applicationName: 'fix-streamers-test' })
    observer = await PgDatabase.open({ ...pg, max: 1, applicationName: 'fix-streamers-test' })
    schema = uniqueSchema('hac')
    await migrate(observer, schema)
  })
  afterEach(async () => {
    for (const m of leases.splice(0)) await m.leave()
    await dropSchema(observer, schema)
    await db.close()
    await observer.close()
  })

  function hold (): { grants: LeaseGrant[], losses: LeaseLostError[] } {
    const seen = { grants: [] as LeaseGrant[], losses: [] as LeaseLostError[] }
    leases.push(LeaseRegistry.of(db, schema, settings).join(resourceOf.session('S1'), {
      onActive: async g => { seen.grants.push(g) },
      onLost: async err => { seen.losses.push(err) }
    }))
    return seen
  }

  /** Milliseconds since the lease was last renewed, on the database's clock. */
  async function sinceRenewal (): Promise<number> {
    const r = await observer.query<{ ms: number }>(
      `SELECT (extract(epoch FROM (now() - renewed_at)) * 1000)::float8 AS ms FROM "${schema}".leases
       WHERE resource = $1`, [resourceOf.session('S1')])
    return Number(r.rows[0].ms)
  }

  it('keeps renewing the lease while every pooled connection waits on a slow statement', async function () {
    this.timeout(20000)
    const seen = hold()
    await eventually(() => seen.grants.length === 1, 5000, 'the lease')
    // Both pooled connections sleep for 2.5 s (four lease times) and two more statements queue behind them.
    const busy = [1, 2, 3, 4].map(async () => await db.query('SELECT pg_sleep(2.5)'))
    await sleep(300)
    const gaps: number[] = []
    for (let i = 0; i < 8; i++) {
      gaps.push(await sinceRenewal())
      await sleep(200)
    }
    await Promise.all(busy)
    assert.deepStrictEqual(seen.losses.map(e => e.message), [])
    assert.strictEqual(seen.grants.length, 1)
    // Renewed every 100 ms: never as much as half a lease time without one (load allows some slack).
    assert.ok(Math.max(...gaps) < settings.leaseMs / 2,
      `time since the last renewal: ${gaps.map(Math.round).join(', ')} ms`)
  })

  it('reconnects its dedicated connection after losing it and keeps the lease', async function () {
    this.timeout(20000)
    const seen = hold()
    await eventually(() => seen.grants.length === 1, 5000, 'the lease')
    const renewer = async (): Promise<number[]> => (await observer.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()
       AND query LIKE '%UPDATE "${schema}".leases SET expires_at = now() +%'`)).rows
      .map(r => r.pid)
    const before = await eventually(async () => {
      const pids = await renewer()
      return pids.length === 1 ? pids[0] : undefined
    }, 5000, 'the renewing connection') as number
    await observer.query('SELECT pg_terminate_backend($1)', [before])
    const after = await eventually(async () => {
      const pids = await renewer()
      return pids.length === 1 && pids[0] !== before ? pids[0] : undefined
    }, 5000, 'a new renewing connection')
    assert.notStrictEqual(after, before)
    await sleep(settings.leaseMs * 2)
    assert.deepStrictEqual(seen.losses.map(e => e.message), [])
    assert.ok(await sinceRenewal() < settings.leaseMs / 2)
  })
})
