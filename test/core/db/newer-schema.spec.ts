import * as assert from 'assert'
import {
  ConnectionState,
  Database,
  DatabaseConnection,
  LEASE_GIVEN_TO_NEWER,
  LeaseKeeper,
  LeaseStore,
  resourceOf,
  SCHEMA_VERSION,
  SchemaNewerError
} from '../../../core'
import { migrations } from '../../../core/db/migrations'
import { connectionStatus } from '../../../nodes/streamer-database/status-text'
import { standbyText } from '../../../nodes/shared/ha'
import { describeEachDatabase, eventually } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'

/**
 * The schema as a newer version of the pack leaves it: one migration more than this version knows,
 * which earlier versions cannot work with unless `additive`.
 */
async function migrateNewer (db: Database, schema: string, additive = false, version = SCHEMA_VERSION + 1):
Promise<void> {
  await db.query(`INSERT INTO "${schema}".schema_migrations (version, name, breaks_older) VALUES ($1, 'newer', $2)`,
    [version, !additive])
}

/** When the lease on `resource` was last renewed, in ms since the epoch (the database's clock). */
async function renewedAt (db: Database, schema: string, resource: string): Promise<number> {
  const r = await db.query<{ ms: number }>(
    `SELECT (extract(epoch FROM renewed_at) * 1000)::float8 AS ms FROM "${schema}".leases WHERE resource = $1`,
    [resource])
  return Number(r.rows[0].ms)
}

/** The test's own database, handed to a connection that must not close it (the fixture does). */
function shared (db: Database): Database {
  return new Proxy(db, { get: (t, k) => k === 'close' ? async () => {} : Reflect.get(t, k) })
}

describeEachDatabase('an older version of the pack on a schema a newer version migrated', target => {
  const f = schemaFixture(target, { migrate: true })

  it('its database connection waits with a red status that says so, and changes nothing', async () => {
    await migrateNewer(f.db, f.schema)
    const connection = new DatabaseConnection({ kind: 'pglite' }, f.schema, '', async () => shared(f.db))
    const states: ConnectionState[] = []
    connection.on('state', (s: ConnectionState) => states.push(s))
    const ready = connection.ready()
    ready.catch(() => {})
    try {
      const waiting = await eventually(() => states.find(s => s.state === 'retrying'), 10000, 'a retrying state')
      assert.ok(waiting?.state === 'retrying' && waiting.needsOperator === true, JSON.stringify(waiting))
      assert.ok(waiting.error.startsWith(`schema needs a newer pack (schema "${f.schema}" holds migration ` +
        `${SCHEMA_VERSION + 1}, which a newer version of the pack applied and earlier versions cannot work with; ` +
        `this version knows migrations up to ${SCHEMA_VERSION}`), waiting.error)
      assert.deepStrictEqual(connectionStatus(waiting, { connecting: '', connected: '', closed: '' }),
        { fill: 'red', shape: 'ring', text: 'waiting for database: schema needs a newer pack' })
    } finally {
      await connection.close()
    }
    await assert.rejects(ready, /closed/)
    const versions = await f.db.query(
      `SELECT max(version) AS v, count(*)::int AS n FROM "${f.schema}".schema_migrations`)
    assert.deepStrictEqual(versions.rows[0], { v: SCHEMA_VERSION + 1, n: migrations.length + 1 })
  })

  it('connects and takes a lease as before when the newer version only added to it', async () => {
    await migrateNewer(f.db, f.schema, true)
    const connection = new DatabaseConnection({ kind: 'pglite' }, f.schema, '', async () => shared(f.db))
    try {
      await connection.ready()
      assert.strictEqual(connection.state.state, 'connected')
    } finally {
      await connection.close()
    }
    assert.ok(await new LeaseStore(f.db, f.schema).acquire(resourceOf.session('S1'), 'old', 5000))
  })

  it('takes no lease in it, not even one whose holder has gone, and its standby says why', async () => {
    const resource = resourceOf.session('S1')
    const older = new LeaseStore(f.db, f.schema) // this version, older than the one that migrated
    await migrateNewer(f.db, f.schema)
    await assert.rejects(older.acquire(resource, 'old', 5000), (err: Error) => err instanceof SchemaNewerError &&
      err.found === SCHEMA_VERSION + 1 && err.known === SCHEMA_VERSION)
    assert.strictEqual(await older.holder(resource), undefined, 'nothing taken')

    // The newer instance held the session and went away: its lease ran out a moment ago.
    await f.db.query(`INSERT INTO "${f.schema}".leases (resource, holder, token, expires_at, acquired_at, renewed_at)
      VALUES ($1, 'new', 1, now() - interval '1 millisecond', now(), now())`, [resource])

    const seen: unknown[] = []
    let active = 0
    const keeper = new LeaseKeeper({
      store: older,
      resource,
      settings: { instance: 'old', leaseMs: 600, renewMs: 100 },
      onActive: async () => { active++ },
      onLost: async () => {},
      onStandby: (_on, error) => { seen.push(error) }
    })
    f.closing.push({ close: async () => await keeper.stop() })
    keeper.start()
    await eventually(() => seen.length >= 5, 10000, 'five looks at the lease')
    assert.strictEqual(active, 0, 'the older instance never went active')
    assert.ok(seen.every(e => e instanceof SchemaNewerError), String(seen))
    assert.strictEqual(standbyText(undefined, seen[0]), 'standby (schema needs a newer pack)')
    const h = await older.holder(resource)
    assert.ok(h !== undefined && h.holder === 'new' && h.remainingMs <= 0, JSON.stringify(h))
  })

  it('a holder keeps its lease through an additive newer migration, and gives it back at its next renewal ' +
    'after a breaking one, its resource stopped first, then stands by saying why', async () => {
    const resource = resourceOf.session('S1')
    const older = new LeaseStore(f.db, f.schema)
    const events: string[] = []
    const seen: unknown[] = []
    const keeper = new LeaseKeeper({
      store: older,
      resource,
      settings: { instance: 'old', leaseMs: 3000, renewMs: 100 },
      onActive: async () => { events.push('active') },
      onLost: async err => {
        // The resource stops while the lease is still its own: its last writes go through.
        const h = await older.holder(resource)
        events.push(`lost (${err.reason}), ${h !== undefined && h.remainingMs > 0 ? 'still held' : 'not held'}`)
      },
      onStandby: (_on, error) => { if (error !== undefined) seen.push(error) }
    })
    f.closing.push({ close: async () => await keeper.stop() })
    keeper.start()
    await eventually(() => events.includes('active'), 10000, 'the lease taken')
    const token = keeper.grant?.token

    await migrateNewer(f.db, f.schema, true)
    const additiveAt = await renewedAt(f.db, f.schema, resource)
    await eventually(async () => await renewedAt(f.db, f.schema, resource) >= additiveAt + 300, 10000,
      'three renewals after the additive migration')
    assert.deepStrictEqual(events, ['active'])
    assert.strictEqual(keeper.grant?.token, token, 'still the same grant')

    await migrateNewer(f.db, f.schema, false, SCHEMA_VERSION + 2)
    await eventually(() => seen.length > 0, 10000, 'the standby refused the lease')
    assert.deepStrictEqual(events, ['active', `lost (${LEASE_GIVEN_TO_NEWER}), still held`])
    assert.ok(seen.every(e => e instanceof SchemaNewerError && e.found === SCHEMA_VERSION + 2), String(seen))
    assert.strictEqual(standbyText(undefined, seen[0]), 'standby (schema needs a newer pack)')
    assert.strictEqual(keeper.grant, undefined)
    // Given back (released), not left to run out: the renewal had extended it by 3 s.
    const h = await older.holder(resource)
    assert.ok(h !== undefined && h.holder === 'old' && h.token === token && h.remainingMs <= 0, JSON.stringify(h))
  })
})
