import * as assert from 'assert'
import { PgDatabase } from '../../core'
import { helper, runtimeName } from '../support/node-red'
import { eventually, serverOptions, uniqueSchema } from '../support/databases'
import { tempDirPerTest } from '../support/temp'
import { replicaPairPerSuite } from '../ha/failover-servers'
import databaseNode = require('../../nodes/streamer-database/streamer-database')

/**
 * A minimal flow node that uses the config node the way the pack's nodes do: it registers,
 * so its status follows the connection, and runs a query on each input.
 */
function probeNode (RED: any): void {
  function Probe (this: any, config: any): void {
    RED.nodes.createNode(this, config)
    const db = RED.nodes.getNode(config.database)
    db.register(this)
    this.on('input', (msg: any, send: any, done: any) => {
      db.acquire()
        .then(async (d: any) => await d.query('SELECT $1::text AS echo, current_schema() AS s', [String(msg.payload)]))
        .then((r: any) => { msg.payload = r.rows[0]; send(msg); done() })
        .catch((err: Error) => done(err))
    })
    this.on('close', (_removed: boolean, done: () => void) => { db.deregister(this); done() })
  }
  RED.nodes.registerType('db-probe', Probe)
}

const nodes = [databaseNode, probeNode]

function flow (dbConfig: Record<string, unknown>): any[] {
  return [
    { id: 'db1', type: 'streamer-database', name: 'db', ...dbConfig },
    { id: 'p1', type: 'db-probe', database: 'db1', wires: [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'c1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' }
  ]
}

async function lastStatus (nodeId: string, match: (s: any) => boolean, what: string): Promise<any> {
  const node = helper.getNode(nodeId)
  return await eventually(() => {
    const calls = node.status.getCalls?.() ?? []
    const s = calls.length > 0 ? calls[calls.length - 1].args[0] : undefined
    return s !== undefined && match(s) ? s : undefined
  }, 20000, what)
}

describe(`streamer-database config node (${runtimeName})`, function () {
  beforeEach(async () => { await helper.startServer() })
  afterEach(async () => {
    await helper.unload()
    await helper.stopServer()
  })
  const tempDir = tempDirPerTest() // after the unload above: no flow holds its folders any more

  it('embedded: opens PGlite in its data folder, migrates, and answers queries', async () => {
    const dir = tempDir()
    await helper.load(nodes, flow({ mode: 'embedded', dataDir: dir, schema: 'fx' }))
    const out = helper.getNode('out')
    const got = new Promise<any>(resolve => out.on('input', resolve))
    helper.getNode('p1').receive({ payload: 'hello' })
    const msg = await got
    assert.deepStrictEqual(msg.payload, { echo: 'hello', s: 'public' })
    await lastStatus('p1', s => s.fill === 'green', 'green status')
    const db = await helper.getNode('db1').acquire()
    const versions = await db.query('SELECT version FROM fx.schema_migrations')
    assert.ok(versions.rowCount >= 1)
  })

  it('embedded: data survives a redeploy of the config node', async () => {
    const dir = tempDir()
    await helper.load(nodes, flow({ mode: 'embedded', dataDir: dir }))
    const db = await helper.getNode('db1').acquire()
    await db.query('CREATE TABLE kept (v text)')
    await db.query("INSERT INTO kept VALUES ('still here')")
    // A changed config node is closed and recreated on deploy.
    await helper.setFlows(flow({ mode: 'embedded', dataDir: dir, name: 'renamed' }), 'nodes')
    const db2 = await helper.getNode('db1').acquire()
    assert.notStrictEqual(db2, db)
    assert.ok(db.closed, 'the old instance was closed')
    assert.deepStrictEqual((await db2.query('SELECT v FROM kept')).rows, [{ v: 'still here' }])
  })

  it('embedded: 20 redeploys close every old instance and leave one open', async function () {
    this.timeout(240000)
    const dir = tempDir()
    await helper.load(nodes, flow({ mode: 'embedded', dataDir: dir }))
    const seen: any[] = []
    for (let i = 0; i < 20; i++) {
      seen.push(await helper.getNode('db1').acquire())
      await helper.setFlows(flow({ mode: 'embedded', dataDir: dir, name: `deploy ${i}` }), 'nodes')
    }
    const last = await helper.getNode('db1').acquire()
    assert.strictEqual(new Set(seen).size, 20, 'a new instance per deploy')
    assert.ok(seen.every(db => db.closed), 'every earlier instance is closed')
    assert.ok(!last.closed)
    assert.strictEqual((await last.query('SELECT 1 AS one')).rows[0].one, 1)
  })

  it('embedded: two config nodes on one data folder share one database instead of corrupting it', async () => {
    const dir = tempDir()
    await helper.load(nodes, [
      ...flow({ mode: 'embedded', dataDir: dir }),
      { id: 'db2', type: 'streamer-database', mode: 'embedded', dataDir: dir, schema: 'other' }
    ])
    const [a, b] = await Promise.all([helper.getNode('db1').acquire(), helper.getNode('db2').acquire()])
    await a.query('CREATE TABLE seen_by_both (v text)')
    await b.query("INSERT INTO seen_by_both VALUES ('yes')")
    assert.deepStrictEqual((await a.query('SELECT v FROM seen_by_both')).rows, [{ v: 'yes' }])
    assert.strictEqual((await b.query('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema ' +
      "IN ('fix_streamers', 'other') AND table_name = 'checkpoints'")).rows[0].n, 2)
  })

  it('refuses a hostile schema name with a clear error and a red status, without crashing', async () => {
    await helper.load(nodes, flow({ mode: 'embedded', dataDir: tempDir(), schema: 'x"; drop table y; --' }))
    const s = await lastStatus('p1', s => s.fill === 'red', 'red status')
    assert.match(s.text, /config/)
    const errors = helper
      .log()
      .args.filter((a: any[]) => a[0]?.level === helper.log().ERROR)
      .map((a: any[]) => String(a[0].msg))
    assert.ok(
      errors.some((m: string) => /schema "x\?; drop table y; --" is not allowed|schema .* is not allowed/.test(m)),
      errors.join('\n')
    )
    // A message to the user node fails through done(err), which Catch nodes receive.
    const caught = new Promise<any>(resolve => helper.getNode('caught').on('input', resolve))
    helper.getNode('p1').receive({ payload: 'x' })
    const msg = await caught
    assert.match(msg.error.message, /configuration error/)
  })

  it('runs the setup SQL after the migrations, before any node gets the database', async () => {
    const setupSql = 'CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY, sym text);\nINSERT INTO orders (sym) ' +
      'SELECT $$IBM$$ WHERE NOT EXISTS (SELECT 1 FROM orders);'
    const dir = tempDir()
    await helper.load(nodes, flow({ mode: 'embedded', dataDir: dir, setupSql }))
    const db = await helper.getNode('db1').acquire()
    assert.deepStrictEqual((await db.query('SELECT sym FROM orders')).rows, [{ sym: 'IBM' }])
    // Idempotent: a redeploy runs it again and changes nothing.
    await helper.setFlows(flow({ mode: 'embedded', dataDir: dir, setupSql, name: 'again' }), 'nodes')
    const db2 = await helper.getNode('db1').acquire()
    assert.deepStrictEqual((await db2.query('SELECT count(*)::int AS n FROM orders')).rows, [{ n: 1 }])
  })

  it('a failing setup SQL turns the users red with the reason', async () => {
    await helper.load(nodes, flow({ mode: 'embedded', dataDir: tempDir(), setupSql: 'CREATE TABLE broken (' }))
    const s = await lastStatus('p1', s => s.fill === 'red', 'red status')
    assert.match(s.text, /setup SQL failed: syntax error/)
  })

  it('refuses a data folder outside the user directory', async () => {
    await helper.load(nodes, flow({ mode: 'embedded', dataDir: '../../etc' }))
    assert.match(helper.getNode('db1').configError, /must stay inside the Node-RED user directory/)
  })

  it('server: an unreachable server gives a red status and a log line, and is ' +
    'retried; Node-RED keeps running', async () => {
    // Port 9 on loopback: nothing listens there.
    await helper.load(nodes, flow({ mode: 'server', host: '127.0.0.1', port: 9, database: 'x' }), {
      db1: { user: 'u', password: 'secret-pw' }
    })
    const s = await lastStatus('p1', s => s.fill === 'red', 'red status')
    assert.match(s.text, /connection refused/)
    await eventually(() => helper.getNode('db1').connection.state.attempt >= 2, 15000, 'a second attempt')
    const warnings = helper
      .log()
      .args.filter((a: any[]) => a[0]?.level === helper.log().WARN)
      .map((a: any[]) => String(a[0].msg))
    assert.ok(
      warnings.some((m: string) => /Database unavailable: connection refused.*Retrying in \d+ s/.test(m)),
      warnings.join('\n')
    )
    assert.ok(
      warnings.every((m: string) => !m.includes('secret-pw')),
      'no password in the log'
    )
  })

  const server = serverOptions()
  const withServer = server === undefined ? it.skip : it

  withServer('server: connects with credentials from Node-RED credentials and a ' +
    'connection string from an env var', async () => {
    process.env.FIX_STREAMERS_TEST_URL = process.env.DATABASE_URL
    try {
      await helper.load(nodes, flow({ mode: 'server', urlEnv: 'FIX_STREAMERS_TEST_URL', schema: uniqueSchema('nd') }))
      const out = helper.getNode('out')
      const got = new Promise<any>(resolve => out.on('input', resolve))
      helper.getNode('p1').receive({ payload: 'over tcp' })
      assert.strictEqual((await got).payload.echo, 'over tcp')
      await lastStatus('p1', s => s.fill === 'green', 'green status')
    } finally {
      delete process.env.FIX_STREAMERS_TEST_URL
    }
  })

  withServer('server: a database that does not exist gives a clear status and is retried', async () => {
    const url = new URL(process.env.DATABASE_URL!)
    url.pathname = '/no_such_database_here'
    process.env.FIX_STREAMERS_TEST_URL = url.toString()
    try {
      await helper.load(nodes, flow({ mode: 'server', urlEnv: 'FIX_STREAMERS_TEST_URL' }))
      const s = await lastStatus('p1', s => s.fill === 'red', 'red status')
      assert.match(s.text, /database does not exist/)
    } finally {
      delete process.env.FIX_STREAMERS_TEST_URL
    }
  })

  it('server: a missing URL environment variable is a configuration error', async () => {
    delete process.env.FIX_STREAMERS_UNSET_URL
    await helper.load(nodes, flow({ mode: 'server', urlEnv: 'FIX_STREAMERS_UNSET_URL' }))
    assert.match(helper.getNode('db1').configError, /environment variable FIX_STREAMERS_UNSET_URL is not set/)
    await lastStatus('p1', s => s.fill === 'red', 'red status')
  })

  withServer('server: prepares statements that run often, unless Prepared is off ' +
    '(PgBouncer in transaction mode)', async function () {
    this.timeout(60000)
    process.env.FIX_STREAMERS_TEST_URL = process.env.DATABASE_URL
    const schema = uniqueSchema('prep')
    try {
      for (const prepared of [undefined, false]) {
        await helper.load(
          nodes,
          flow({
            mode: 'server',
            urlEnv: 'FIX_STREAMERS_TEST_URL',
            schema,
            poolSize: 2,
            ...(prepared === undefined ? {} : { prepared })
          })
        )
        for (let i = 0; i < 5; i++) {
          const got = new Promise<any>(resolve => helper.getNode('out').once('input', resolve))
          helper.getNode('p1').receive({ payload: `x${i}` })
          assert.strictEqual((await got).payload.echo, `x${i}`)
        }
        const db = await (helper.getNode('db1') as any).acquire()
        if (prepared === false) assert.strictEqual(db.preparedStatements, 0, 'nothing prepared with Prepared off')
        else {
          assert.ok(
            db.preparedStatements >= 1,
            "the probe's statement is prepared by default (flows saved before the option keep it on)"
          )
        }
        await helper.unload()
      }
    } finally {
      delete process.env.FIX_STREAMERS_TEST_URL
      const admin = await PgDatabase.open({ ...server!, max: 1 })
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await admin.close()
    }
  })

  withServer('server: 20 redeploys leave no connection behind', async function () {
    this.timeout(120000)
    process.env.FIX_STREAMERS_TEST_URL = process.env.DATABASE_URL
    const admin = await PgDatabase.open({ ...server!, applicationName: 'fix-streamers-leak-check' })
    const schema = uniqueSchema('leak')
    try {
      const countOurs = async (): Promise<number> => Number((await admin.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'node-red-fix-streamers:db1'")).rows[0].n)
      await helper.load(nodes, flow({ mode: 'server', urlEnv: 'FIX_STREAMERS_TEST_URL', schema, poolSize: 3 }))
      for (let i = 0; i < 20; i++) {
        const probe = helper.getNode('p1')
        const got = new Promise<any>(resolve => helper.getNode('out').once('input', resolve))
        probe.receive({ payload: i })
        await got
        await helper.setFlows(
          flow({ mode: 'server', urlEnv: 'FIX_STREAMERS_TEST_URL', schema, poolSize: 3, name: `deploy ${i}` }),
          'nodes'
        )
      }
      const got = new Promise<any>(resolve => helper.getNode('out').once('input', resolve))
      helper.getNode('p1').receive({ payload: 'last' })
      await got
      // Only the current pool may hold connections (at most its size of 3).
      const n = await eventually(
        async () => {
          const c = await countOurs()
          return c <= 3 ? c : undefined
        },
        10000,
        'old pools to close'
      )
      assert.ok(n !== undefined && n >= 1 && n <= 3, `connections open: ${n}`)
      await helper.unload()
      await eventually(async () => (await countOurs()) === 0, 10000, 'all connections closed after unload')
    } finally {
      delete process.env.FIX_STREAMERS_TEST_URL
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await admin.close()
    }
  })

  withServer('server: keeps the whole pool open from the start by default, or the number set in Kept open',
    async function () {
      this.timeout(60000)
      process.env.FIX_STREAMERS_TEST_URL = process.env.DATABASE_URL
      const admin = await PgDatabase.open({ ...server!, max: 1, applicationName: 'fix-streamers-floor-check' })
      const schema = uniqueSchema('floor')
      try {
        const countOurs = async (): Promise<number> => Number((await admin.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'node-red-fix-streamers:db1'"
        )).rows[0].n)
        // Starting uses up to three at once (migrations, setup), which may add to the floor while it is
        // opened: at least five open tells the setting from the connections of the start alone.
        for (const [poolSize, poolMin, open] of [[4, undefined, 4], [8, '5', 5]] as const) {
          await helper.load(nodes, flow({
            mode: 'server',
            urlEnv: 'FIX_STREAMERS_TEST_URL',
            schema,
            poolSize,
            ...(poolMin === undefined ? {} : { poolMin })
          }))
          // No query from the flow: the config node opens them once the database is ready.
          await lastStatus('p1', s => s.fill === 'green', 'green status')
          await eventually(async () => (await countOurs()) >= open, 10000, `${open} connections open`)
          await helper.unload()
          await eventually(async () => (await countOurs()) === 0, 10000, 'all connections closed after unload')
        }
        await helper.load(
          nodes, flow({ mode: 'server', urlEnv: 'FIX_STREAMERS_TEST_URL', schema, poolSize: 4, poolMin: 5 })
        )
        assert.match(helper.getNode('db1').configError,
          /kept open must be a whole number from 0 to the pool size \(4\)/)
      } finally {
        delete process.env.FIX_STREAMERS_TEST_URL
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        await admin.close()
      }
    })

  it('server: a bad host or port list is a configuration error that names the mistake', async () => {
    await helper.load(nodes, flow({ mode: 'server', host: 'db1,,db2', port: 5432 }))
    assert.match(helper.getNode('db1').configError, /empty entry/)
    await helper.unload()
    await helper.load(nodes, flow({ mode: 'server', host: 'db1,db2,db3', port: '5432,5433' }))
    assert.match(helper.getNode('db1').configError, /2 ports for 3 hosts/)
    await lastStatus('p1', s => s.fill === 'red', 'red status')
    await helper.unload()
    process.env.FIX_STREAMERS_TEST_URL = 'postgresql://u:secret-pw@db1,db2/x?target_session_attrs=standby'
    try {
      await helper.load(nodes, flow({ mode: 'server', urlEnv: 'FIX_STREAMERS_TEST_URL' }))
      const error = helper.getNode('db1').configError as string
      assert.match(error, /FIX_STREAMERS_TEST_URL: target_session_attrs "standby" is not supported/)
      assert.ok(!error.includes('secret-pw'))
    } finally {
      delete process.env.FIX_STREAMERS_TEST_URL
    }
  })

  describe('server: a primary and its synchronous replica [postgres]', () => {
    const pairOf = replicaPairPerSuite()

    it('uses the primary of a host list in any order, says so in the log, and moves to the promoted replica',
      async function () {
        const p = pairOf()
        if (p === undefined) return this.skip()
        this.timeout(60000)
        await helper.load(nodes, flow({
          mode: 'server',
          host: '127.0.0.1, 127.0.0.1',
          port: `${p.replicaPort},${p.primaryPort}`,
          database: 'fix_streamers_test',
          schema: uniqueSchema('ha')
        }), { db1: { user: 'postgres', password: '' } })
        // One listener for the whole test (Node-RED keeps input listeners in a list of its own).
        const answers: string[] = []
        helper.getNode('out').on('input', (msg: any) => { answers.push(msg.payload.echo) })
        const ask = async (payload: string): Promise<boolean> => {
          helper.getNode('p1').receive({ payload })
          return await eventually(() => answers.includes(payload), 3000, 'the answer').catch(() => false)
        }
        assert.ok(await ask('before'), 'answered before the failover')
        const lines = (level: number): string[] => helper.log().args
          .filter((a: any[]) => a[0]?.level === level).map((a: any[]) => String(a[0].msg))
        const primary = `127.0.0.1:${p.primaryPort}`
        const replica = `127.0.0.1:${p.replicaPort}`
        assert.ok(lines(helper.log().INFO).some(m => m.includes(`connected to the PostgreSQL primary at ${primary} ` +
          `(of ${replica}, ${primary})`)), lines(helper.log().INFO).join('\n'))
        await p.stop('primary')
        await p.promote()
        // The probe's query fails on the stopped primary (transient), which sends the node to the new one.
        await eventually(async () => await ask('after'), 30000,
          'a query answered by the new primary')
        await eventually(() => lines(helper.log().WARN).some(m => m.includes(`PostgreSQL primary is now ${replica} ` +
          `(was ${primary})`)), 10000, 'the log line of the move')
      })
  })
})
