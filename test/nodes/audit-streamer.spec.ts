import * as assert from 'assert'
import * as fs from 'fs'
import { PgDatabase, PgliteDatabase, Database } from '../../core'
import type { StreamRow } from '../../core/stream'
import { eventually, serverOptions, tempDir, uniqueSchema } from '../support/databases'
import { helper, runtimeName } from '../support/node-red'

const databaseNode = require('../../nodes/streamer-database/streamer-database')
const streamerNode = require('../../nodes/audit-streamer/audit-streamer')
const clientNode = require('../../nodes/streamer-client/streamer-client')

interface Target {
  name: string
  dbNode: () => Record<string, unknown>
  setup: (sql: string[]) => Promise<void>
  query: (sql: string) => Promise<void>
  count: (sql: string) => Promise<number>
  cleanup: () => Promise<void>
}

function targets (): Target[] {
  const out: Target[] = []
  const dir = tempDir('fix-streamers-node-')
  out.push({
    name: 'pglite',
    dbNode: () => ({
      id: 'db',
      type: 'streamer-database',
      mode: 'embedded',
      dataDir: `${dir}/db`,
      schema: 'fix_streamers'
    }),
    // The embedded folder may be open in one place only: prepare it before the flow opens it.
    setup: async sql => {
      const db = await PgliteDatabase.open({ dataDir: `${dir}/db` })
      for (const s of sql) await db.query(s)
      await db.close()
    },
    query: async sql => {
      const db = await (helper.getNode('db') as any).acquire() as Database
      await db.query(sql)
    },
    count: async () => 300, // one session: nothing can hold rows back
    cleanup: async () => { fs.rmSync(dir, { recursive: true, force: true }) } // the data folder, tables and all
  })
  const pg = serverOptions()
  if (pg !== undefined && process.env.DATABASE_URL !== undefined) {
    const packSchema = uniqueSchema('fsn')
    let admin: PgDatabase | undefined
    out.push({
      name: 'postgres',
      dbNode: () => ({
        id: 'db',
        type: 'streamer-database',
        mode: 'server',
        urlEnv: 'DATABASE_URL',
        schema: packSchema,
        poolSize: 5
      }),
      setup: async sql => {
        admin = admin ?? (await PgDatabase.open(pg))
        for (const s of sql) await admin.query(s)
      },
      query: async sql => {
        await admin?.query(sql)
      },
      count: async sql => (await (admin as PgDatabase).query<{ n: number }>(sql)).rows[0].n,
      cleanup: async () => {
        await admin?.query(`DROP SCHEMA IF EXISTS "${packSchema}" CASCADE`)
        await admin?.close()
      }
    })
  }
  return out
}

/** Every status the node has set so far (the helper spies on the Node prototype). */
function statusesOf (id: string): any[] {
  const n = helper.getNode(id) as any
  return n.status.getCalls().filter((c: any) => c.thisValue === n).map((c: any) => c.args[0])
}

for (const target of targets()) {
  describe(`audit-streamer node [${target.name}] on ${runtimeName}`, function () {
    this.timeout(30000)
    const src = uniqueSchema('ns')

    before(async () => {
      await target.setup([
        `CREATE SCHEMA "${src}"`,
        `CREATE TABLE "${src}".fix_in (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT pg_current_xact_id(), ` +
          'msg_type text, amount numeric, received timestamptz DEFAULT clock_timestamp())',
        `CREATE INDEX ON "${src}".fix_in (tx, seq)`,
        `INSERT INTO "${src}".fix_in (msg_type, amount) SELECT 'D', (g * 1.01)::numeric(20,2) + 100000000000000000 ` +
          'FROM generate_series(1, 300) g',
        `CREATE TABLE "${src}".orders (id int PRIMARY KEY, qty int)`,
        `CREATE TABLE "${src}".fills (id int PRIMARY KEY, qty int)`
      ])
      await new Promise<void>(resolve => helper.startServer(resolve))
    })
    afterEach(async () => { await helper.unload() })
    after(async () => {
      await new Promise<void>(resolve => helper.stopServer(resolve))
      await target.query(`DROP SCHEMA IF EXISTS "${src}" CASCADE`).catch(() => {})
      await target.cleanup()
    })

    function flow (
      streamer: Record<string, unknown>,
      out: Array<{ id: string; type: string }> = [{ id: 'out', type: 'helper' }]
    ): any[] {
      return [
        target.dbNode(),
        {
          id: 's',
          type: 'audit-streamer',
          database: 'db',
          stream: 'fix-in',
          table: `${src}.fix_in`,
          positionColumns: 'tx, seq',
          timeColumn: 'received',
          batchSize: 50,
          listen: true,
          pollInterval: 100,
          start: 'beginning',
          output: 'row',
          wires: [out.map(o => o.id)],
          ...streamer
        },
        ...out.map(o => ({ ...o, wires: [] }))
      ]
    }

    it('replays rows to a wired node, then goes live; status shows progress then live', async () => {
      const got: any[] = []
      // On a shared server another session's open transaction can hold rows back (the horizon
      // is cluster-wide): wait until all 300 rows are readable, so they count as replayed.
      await eventually(
        async () =>
          (await target.count(
            `SELECT count(*)::int AS n FROM "${src}".fix_in WHERE tx < pg_snapshot_xmin(pg_current_snapshot())`
          )) === 300,
        20000,
        'rows readable'
      )
      await helper.load([databaseNode, streamerNode], flow({}))
      helper.getNode('out').on('input', (msg: any) => got.push(msg))
      await eventually(() => got.length === 300, 20000, '300 replayed rows')
      // A row inserted before the switch to live is still read by the catch-up, as a replayed row.
      await eventually(() => /live$/.test(statusesOf('s').pop()?.text ?? ''), 10000, 'live status')
      await target.query(`INSERT INTO "${src}".fix_in (msg_type, amount) VALUES ('8', 1.5)`)
      await eventually(() => got.length === 301, 10000, 'a live row')
      await target.query(`DELETE FROM "${src}".fix_in WHERE seq > 300`)
      const m = got[0]
      assert.strictEqual(m.topic, 'fix-in')
      assert.strictEqual(m.payload.msg_type, 'D')
      assert.strictEqual(m.payload.amount, '100000000000000001.01')
      assert.deepStrictEqual(Object.keys(m.stream).sort(), ['name', 'position', 'replay', 'streamer'])
      assert.strictEqual(m.stream.name, 'fix-in')
      assert.strictEqual(m.stream.streamer, 's')
      assert.strictEqual(m.stream.replay, true)
      assert.strictEqual(m.stream.position[1], '1')
      assert.strictEqual(got[300].stream.replay, false)
      assert.deepStrictEqual(got.map(x => Number(x.payload.seq)), Array.from({ length: 301 }, (_, i) => i + 1))
      await eventually(() => /live$/.test(statusesOf('s').pop()?.text ?? ''), 5000, 'live status')
      assert.strictEqual(statusesOf('s').pop()?.fill, 'green')
    })

    it('sends one message per batch with the projection and filter applied', async () => {
      const got: any[] = []
      await helper.load(
        [databaseNode, streamerNode],
        flow({ output: 'batch', columns: [{ column: 'seq', as: 'id' }, { column: 'msg_type' }], filter: 'seq <= 120' })
      )
      helper.getNode('out').on('input', (msg: any) => got.push(msg))
      await eventually(() => got.reduce((n, m) => n + m.payload.length, 0) === 120, 20000, '120 rows')
      assert.deepStrictEqual(got.map(m => m.payload.length), [50, 50, 20])
      assert.deepStrictEqual(got[0].payload[0], { id: '1', msg_type: 'D' })
      assert.strictEqual(got[0].stream.count, 50)
      assert.strictEqual(got[0].stream.position[1], '50')
    })

    it('exposes node.stream to streamer clients and runs no output ' +
      'subscription when only clients are wired', async () => {
      await helper.load(
        [databaseNode, streamerNode, clientNode],
        flow({}, [{ id: 'c', type: 'streamer-client' }]).map(n =>
          n.id === 'c'
            ? {
                ...n,
                database: 'db',
                clientName: 'only-client',
                replayable: false,
                confirmMode: 'send',
                mappings: [],
                routes: [],
                wires: [[], []]
              }
            : n
        )
      )
      const s = helper.getNode('s') as any
      await eventually(() => s.stream.subscriptions.length === 1, 10000, "the client's subscription")
      await new Promise(resolve => setTimeout(resolve, 300))
      assert.strictEqual(s.stream.subscriptions.length, 1, "the client's subscription only: none for the output")
      assert.deepStrictEqual(
        s.stream.initialStart,
        { kind: 'beginning' },
        'the start setting, for clients with no checkpoint'
      )
      const rows: StreamRow[] = []
      const sub = s.stream.subscribe(
        { kind: 'after', position: ['0', '250'] },
        {
          deliver: async (r: StreamRow[]) => {
            rows.push(...r)
          }
        }
      )
      // ['0', '250'] is before every real transaction id, so every row comes; the position is the client's to choose.
      await eventually(() => rows.length >= 300, 20000, 'rows through node.stream')
      assert.strictEqual(typeof s.stream.head, 'function')
      assert.strictEqual(s.stream.name, 'fix-in')
      assert.strictEqual(await s.stream.rowsAfter(rows[249].position), rows.length - 250, 'exact lag after row 250')
      await sub.close()
    })

    it('shows a red status naming a missing table, and starts streaming once the table is created', async function () {
      this.timeout(60000)
      await helper.load([databaseNode, streamerNode], flow({ table: `${src}.nowhere` }))
      await eventually(
        () => statusesOf('s').some(s => s?.fill === 'red' && /nowhere/.test(s.text)),
        20000,
        'red status'
      ).catch(err => {
        throw new Error(`${(err as Error).message}: ${JSON.stringify(statusesOf('s'))}`)
      })
      const n = helper.getNode('s') as any
      const logged = n.error.getCalls().filter((c: any) => c.thisValue === n).map((c: any) => String(c.args[0]))
      assert.ok(
        logged.some((l: string) => l.includes(`"${src}.nowhere" does not exist`)),
        `log line names the table: ${logged.join(' | ')}`
      )
      // Created while the flow runs: no redeploy needed.
      await target.query(`CREATE TABLE "${src}".nowhere (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT ` +
        'pg_current_xact_id(), received timestamptz DEFAULT now(), note text)')
      await eventually(
        () => {
          const last = statusesOf('s').at(-1)
          return last !== undefined && last.fill !== 'red'
        },
        40000,
        'status no longer red'
      )
    })

    it('refuses a hostile table name without touching the database', async () => {
      await helper.load([databaseNode, streamerNode], flow({ table: `${src}.fix_in; DROP TABLE x` }))
      await eventually(
        () => statusesOf('s').some(x => x?.fill === 'red' && /not allowed/.test(x.text)),
        5000,
        'red status'
      )
    })

    it('creates and streams a managed audit table of a source table', async () => {
      const got: any[] = []
      await helper.load(
        [databaseNode, streamerNode],
        flow({ table: `${src}.orders`, managed: true, start: 'live', stream: '' })
      )
      helper.getNode('out').on('input', (msg: any) => got.push(msg))
      await eventually(() => /live$/.test(statusesOf('s').pop()?.text ?? ''), 20000, 'live')
      await target.query(`INSERT INTO "${src}".orders VALUES (1, 10)`)
      await target.query(`UPDATE "${src}".orders SET qty = 20 WHERE id = 1`)
      await target.query(`DELETE FROM "${src}".orders WHERE id = 1`)
      await eventually(() => got.length === 3, 10000, 'three audit rows')
      assert.deepStrictEqual(
        got.map(m => [m.payload.audit_event_type, m.payload.qty]),
        [
          ['INSERT', 10],
          ['UPDATE', 20],
          ['DELETE', 20]
        ]
      )
      assert.strictEqual(got[0].topic, 'orders_audit')
    })

    /** Rows from the flow's own database (the embedded one is open in the flow only). */
    async function rows<T> (sql: string): Promise<T[]> {
      const db = await (helper.getNode('db') as any).acquire() as Database
      return (await db.query(sql)).rows as T[]
    }
    /** The audit triggers on a table of the test schema, by name. */
    async function auditTriggers (table: string): Promise<string[]> {
      return (await rows<{ name: string }>(`SELECT tgname AS name FROM pg_trigger WHERE tgrelid =
        '"${src}".${table}'::regclass AND tgname LIKE '${table}_audit%' ORDER BY 1`)).map(r => r.name)
    }

    it('records and streams only the writes ticked under Record: with INSERT only, updates and deletes ' +
      'leave no audit row', async () => {
      const got: any[] = []
      await helper.load(
        [databaseNode, streamerNode],
        flow({ table: `${src}.fills`, managed: true, auditEvents: ['insert'], start: 'live', stream: '' })
      )
      helper.getNode('out').on('input', (msg: any) => got.push(msg))
      await eventually(() => /live$/.test(statusesOf('s').pop()?.text ?? ''), 20000, 'live')
      await target.query(`INSERT INTO "${src}".fills VALUES (1, 10)`)
      await target.query(`UPDATE "${src}".fills SET qty = 20 WHERE id = 1`)
      await target.query(`DELETE FROM "${src}".fills WHERE id = 1`)
      await target.query(`INSERT INTO "${src}".fills VALUES (2, 30)`)
      await eventually(() => got.length >= 2, 10000, 'two audit rows')
      assert.deepStrictEqual(got.map(m => [m.payload.audit_event_type, m.payload.qty]),
        [['INSERT', 10], ['INSERT', 30]])
      assert.deepStrictEqual(await rows(`SELECT count(*)::int AS n FROM "${src}".fills_audit`), [{ n: 2 }])
      assert.deepStrictEqual(await auditTriggers('fills'), ['fills_audit_insert'])
    })

    it('refuses an empty or unknown choice under Record with a red status and a log line naming the events',
      async () => {
        const choices = [[[], /no audit events chosen/], ['insert, upsert', /"upsert"/]] as const
        for (const [auditEvents, reason] of choices) {
          await helper.load([databaseNode, streamerNode],
            flow({ table: `${src}.fills`, managed: true, auditEvents, start: 'live', stream: '' }))
          await eventually(() => statusesOf('s').some(x => x?.fill === 'red' && reason.test(x.text)), 5000,
            'red status')
            .catch(err => { throw new Error(`${(err as Error).message}: ${JSON.stringify(statusesOf('s'))}`) })
          const n = helper.getNode('s') as any
          const logged = n.error.getCalls().filter((c: any) => c.thisValue === n).map((c: any) => String(c.args[0]))
          assert.ok(logged.some((l: string) => reason.test(l) && l.includes('insert, update, delete')),
            logged.join(' | '))
          await helper.unload()
        }
      })

    it('lists tables for the editor and creates an audit table from the panel button', async () => {
      await helper.load([databaseNode, streamerNode], [target.dbNode()])
      const list = await helper.request().get('/fix-streamers/tables').query({ db: 'db' }).expect(200)
      const names = list.body.tables.map((t: any) => t.name)
      assert.ok(names.includes(`${src}.fix_in`), names.join(','))
      await helper.request().get('/fix-streamers/tables').query({ db: 'nope' }).expect(404)
      await target.query(`CREATE TABLE "${src}".quotes (id int)`)
      const made = await helper
        .request()
        .post('/fix-streamers/audit-tables')
        .send({ db: 'db', table: `${src}.quotes` })
        .expect(200)
      assert.strictEqual(made.body.audit, `${src}.quotes_audit`)
      assert.strictEqual(made.body.created, true)
      // The panel's Record checkboxes reach the table; an empty choice is refused with the reason.
      await helper.request().post('/fix-streamers/audit-tables')
        .send({ db: 'db', table: `${src}.quotes`, auditEvents: ['insert', 'delete'] }).expect(200)
      assert.deepStrictEqual(await auditTriggers('quotes'), ['quotes_audit_delete', 'quotes_audit_insert'])
      const none = await helper.request().post('/fix-streamers/audit-tables')
        .send({ db: 'db', table: `${src}.quotes`, auditEvents: [] }).expect(400)
      assert.match(none.body.error, /no audit events chosen/)
      const bad = await helper
        .request()
        .post('/fix-streamers/audit-tables')
        .send({ db: 'db', table: 'x"; drop' })
        .expect(400)
      assert.match(bad.body.error, /not allowed/)
    })
  })
}
