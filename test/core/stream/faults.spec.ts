import * as assert from 'assert'
import { Client } from 'pg'
import { PgDatabase } from '../../../core'
import { Streamer, SubscriptionState } from '../../../core/stream'
import { eventually, serverOptions, uniqueSchema } from '../../support/databases'
import { Collector } from '../../support/stream'
import { serverBinaries, ThrowawayPostgres } from '../../support/throwaway-postgres'

describe('streamer faults [postgres]', () => {
  describe('database restart mid-stream', () => {
    const bin = serverBinaries()
    let pg: ThrowawayPostgres | undefined

    before(async function () {
      if (bin === undefined) this.skip() // no PostgreSQL server binaries under /usr/lib/postgresql
      this.timeout(60000)
      pg = await ThrowawayPostgres.start(bin as string)
    })
    after(function () {
      this.timeout(30000)
      pg?.destroy()
    })

    it('retries with backoff while the server is down and resumes with nothing lost or repeated', async function () {
      if (pg === undefined) return this.skip()
      this.timeout(90000)
      const server = pg
      const db = await PgDatabase.open({ connectionString: server.url, onError: () => {} })
      const writer = async (n: number): Promise<void> => {
        const c = new Client({ connectionString: server.url })
        await c.connect()
        await c.query('INSERT INTO ev (n) SELECT g FROM generate_series((SELECT coalesce(max(n), 0) + 1 FROM ev), ' +
          '(SELECT coalesce(max(n), 0) FROM ev) + $1::int) g', [n])
        await c.end()
      }
      try {
        await db.query(
          'CREATE TABLE ev (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT pg_current_xact_id(), n int NOT NULL)'
        )
        await db.query('CREATE INDEX ON ev (tx, seq)')
        await writer(2000)
        const s = new Streamer({
          name: 'ev',
          database: db,
          table: 'ev',
          positionColumns: ['tx', 'seq'],
          batchSize: 100,
          pollMs: 50,
          retryInitialMs: 200,
          retryMaxMs: 1000
        })
        const c = new Collector(2) // slow enough that the restart lands mid-replay
        s.subscribe({ kind: 'beginning' }, c)
        const live = new Collector()
        s.subscribe({ kind: 'live' }, live)
        await eventually(() => c.rows.length >= 300, 20000, 'replay under way')
        server.down('immediate')
        await eventually(
          () => c.phase === 'retrying' && live.phase === 'retrying',
          20000,
          'retrying while the server is down'
        )
        assert.match(c.lastError as string, /connection|terminat|shutting down|refused/i)
        server.up()
        await writer(500)
        // On a timeout the message says where each subscriber stopped, so a failure in CI can be read.
        const where = (x: Collector): string => `${x.rows.length} rows, ${x.phase ?? 'no state'}` +
          (x.lastError !== undefined ? ` (last error: ${x.lastError})` : '')
        await eventually(() => c.rows.length >= 2500 && live.rows.length >= 500, 60000, 'every row after the restart')
          .catch(err => {
            throw new Error(`${(err as Error).message}: replay ${where(c)}; live ${where(live)}; ` +
              `subscriptions ${JSON.stringify(s.subscriptions)}`)
          })
        await new Promise(resolve => setTimeout(resolve, 300))
        assert.deepStrictEqual(c.seqs('n'), Array.from({ length: 2500 }, (_, i) => i + 1))
        assert.deepStrictEqual(live.seqs('n'), Array.from({ length: 500 }, (_, i) => i + 2001))
        assert.strictEqual(c.phase, 'live')
        assert.strictEqual(live.phase, 'live')
        await s.close()
      } finally {
        await db.close()
      }
    })
  })

  describe('missing privilege', () => {
    const options = serverOptions()
    let admin: PgDatabase | undefined
    const schema = uniqueSchema('pv')
    const role = `fs_noread_${process.pid}_${Math.floor(Math.random() * 1e6)}`

    before(async function () {
      if (options === undefined) return this.skip() // needs DATABASE_URL
      admin = await PgDatabase.open(options)
      await admin.query(`CREATE SCHEMA "${schema}"`)
      await admin.query(
        `CREATE TABLE "${schema}".secret (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT pg_current_xact_id())`
      )
      await admin.query(`CREATE ROLE "${role}" LOGIN`)
      await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`)
    })
    after(async () => {
      if (admin === undefined) return
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await admin.query(`DROP ROLE IF EXISTS "${role}"`)
      await admin.close()
    })

    it('names the table and the missing right, keeps looking, and streams once the right is granted', async () => {
      const url = new URL(options?.connectionString ?? 'postgres://127.0.0.1')
      url.username = role
      const db = await PgDatabase.open({ connectionString: url.toString() })
      try {
        const c = new Collector()
        const s = new Streamer({
          name: 'secret',
          database: db,
          table: `${schema}.secret`,
          positionColumns: ['tx', 'seq'],
          retryInitialMs: 20,
          retryMaxMs: 200
        })
        s.subscribe({ kind: 'beginning' }, c)
        const waiting = await eventually(() => c.states.find(x => x.phase === 'retrying'), 10000, 'retrying') as any
        assert.match(
          waiting.error as string,
          new RegExp(`permission denied: .* may not SELECT from "${schema}.secret"`)
        )
        assert.strictEqual(waiting.needsAction, true, 'flagged as needing a person')
        assert.ok(!c.states.some(x => x.phase === 'failed'), 'not failed for good')
        await admin?.query(`INSERT INTO "${schema}".secret DEFAULT VALUES`)
        await admin?.query(`GRANT SELECT ON "${schema}".secret TO "${role}"`)
        await eventually(() => c.rows.length === 1, 10000, 'the row, once SELECT is granted')
        await s.close()
      } finally {
        await db.close()
      }
    })
  })

  describe('a login the server refuses mid-stream', () => {
    const options = serverOptions()
    let admin: PgDatabase | undefined
    const schema = uniqueSchema('nl')
    const role = `fs_nologin_${process.pid}_${Math.floor(Math.random() * 1e6)}`

    before(async function () {
      if (options === undefined) return this.skip() // needs DATABASE_URL
      admin = await PgDatabase.open(options)
      await admin.query(`CREATE SCHEMA "${schema}"`)
      await admin.query(
        `CREATE TABLE "${schema}".ev (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT pg_current_xact_id())`
      )
      await admin.query(`CREATE ROLE "${role}" LOGIN`)
      await admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`)
      await admin.query(`GRANT SELECT ON "${schema}".ev TO "${role}"`)
    })
    after(async () => {
      if (admin === undefined) return
      await admin.query(`ALTER ROLE "${role}" LOGIN`)
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${role}'`)
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await admin.query(`DROP ROLE IF EXISTS "${role}"`)
      await admin.close()
    })

    it('says that only a person can end the wait (needsOperator), and streams again once the login is allowed',
      async function () {
        this.timeout(30000)
        const url = new URL(options?.connectionString ?? 'postgres://127.0.0.1')
        url.username = role
        const db = await PgDatabase.open({ connectionString: url.toString(), onError: () => {} })
        try {
          const c = new Collector()
          const s = new Streamer({
            name: 'ev',
            database: db,
            table: `${schema}.ev`,
            positionColumns: ['tx', 'seq'],
            pollMs: 50,
            retryInitialMs: 20,
            retryMaxMs: 200
          })
          s.subscribe({ kind: 'live' }, c)
          await eventually(() => c.phase === 'live', 10000, 'live')
          // A DBA refuses the role's logins and ends its sessions: every read after that needs a new one.
          await admin!.query(`ALTER ROLE "${role}" NOLOGIN`)
          await admin!.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${role}'`)
          await admin!.query(`INSERT INTO "${schema}".ev DEFAULT VALUES`)
          const refused = await eventually(
            () => c.states.find(x => x.phase === 'retrying' && x.needsOperator === true), 10000,
            'a retry that says only a person can end it') as Extract<SubscriptionState, { phase: 'retrying' }>
          assert.match(refused.error, /not permitted to log in/)
          assert.notStrictEqual(refused.needsAction, true, 'still a wait for the database, not a missing source')
          // Waiting out the other reasons of the same outage does not say so.
          for (const x of c.states) {
            if (x.phase === 'retrying' && !/not permitted to log in/.test(x.error)) {
              assert.notStrictEqual(x.needsOperator, true, x.error)
            }
          }
          await admin!.query(`ALTER ROLE "${role}" LOGIN`)
          await eventually(() => c.rows.length === 1 && c.phase === 'live', 10000, 'the row, once the login is allowed')
          await s.close()
        } finally {
          await db.close()
        }
      })
  })
})
