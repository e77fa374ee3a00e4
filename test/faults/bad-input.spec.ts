import * as assert from 'assert'
import { execFileSync } from 'child_process'
import * as fs from 'fs'
import * as path from 'path'
import { Client } from 'pg'
import { helper, runtimeName } from '../support/node-red'
import { eventually, tempDir } from '../support/databases'
import { serverBinaries, ThrowawayPostgres } from '../support/throwaway-postgres'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import streamerNode = require('../../nodes/audit-streamer/audit-streamer')
import sqlNode = require('../../nodes/streamer-sql/streamer-sql')
import { ProcessErrors } from '../support/process-errors'
import { setEnv } from '../support/env'

const nodes = [databaseNode, streamerNode, sqlNode]

/**
 * Issue 17, "Bad input": a wrong password, a revoked privilege, a dropped table and a full disk
 * each give a red status naming the cause and a log line, and the node resumes on its own once the
 * cause is removed. A server of the test's own with password authentication for the pack's role
 * (pg_hba: scram-sha-256 on 127.0.0.1, the test's postgres superuser trusted), the faults made for
 * real: ALTER ROLE ... PASSWORD, REVOKE/GRANT, DROP/CREATE TABLE, and a tablespace on a 1 MB tmpfs
 * filled up.
 */
describe(`bad input recovers on its own [postgres] (${runtimeName})`, function () {
  const bin = serverBinaries()
  let pg: ThrowawayPostgres | undefined
  let admin: Client | undefined
  let recorded: ProcessErrors | undefined
  let restoreEnv: (() => void) | undefined

  before(async function () {
    if (bin === undefined) return this.skip() // no PostgreSQL server binaries under /usr/lib/postgresql
    this.timeout(60000)
    pg = await ThrowawayPostgres.start(bin)
    const hba = path.join(pg.dataDir, 'pg_hba.conf')
    fs.writeFileSync(hba, 'local all all trust\nhost all postgres 127.0.0.1/32 trust\n' +
      'host all all 127.0.0.1/32 scram-sha-256\n')
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', hba])
    admin = new Client({ connectionString: pg.url })
    admin.on('error', () => {})
    await admin.connect()
    await admin.query('SELECT pg_reload_conf()')
    await admin.query("CREATE ROLE app LOGIN PASSWORD 'right-one'")
    await admin.query('GRANT CREATE ON DATABASE postgres TO app')
    await admin.query('CREATE SCHEMA src AUTHORIZATION postgres')
    await admin.query('GRANT USAGE ON SCHEMA src TO app')
    await admin.query('CREATE TABLE src.orders (id bigserial PRIMARY KEY, sym text)')
    await admin.query('GRANT SELECT ON src.orders, src.orders_id_seq TO app')
    await admin.query('GRANT pg_read_all_stats TO app')
    restoreEnv = setEnv({
      FIX_STREAMERS_APP_URL: `postgres://app:right-one@127.0.0.1:${pg.port}/postgres`,
      FIX_STREAMERS_SUPER_URL: pg.url
    })
  })
  after(async function () {
    this.timeout(30000)
    restoreEnv?.()
    await admin?.end().catch(() => {})
    pg?.destroy()
  })
  beforeEach(async () => {
    recorded = new ProcessErrors()
    await helper.startServer()
  })
  afterEach(async function () {
    this.timeout(30000)
    // A test that failed half-way must not leave its fault to the next one: the password, the table
    // and the privilege are set back whatever happened (each statement is a no-op when they are).
    await admin?.query("ALTER ROLE app PASSWORD 'right-one'")
    await admin?.query('CREATE TABLE IF NOT EXISTS src.orders (id bigserial PRIMARY KEY, sym text)')
    await admin?.query('GRANT SELECT ON src.orders, src.orders_id_seq TO app')
    await helper.unload()
    await helper.stopServer()
    recorded?.stop()
    assert.deepStrictEqual(recorded?.errors, [], 'nothing reached the process as an uncaught error')
  })

  /** Status texts (with their colour) and log lines of a node. */
  const statuses = (n: any): Array<{ fill: string, text: string }> =>
    n.status.getCalls().map((c: any) => ({ fill: String(c.args[0].fill), text: String(c.args[0].text) }))
  const logs = (n: any): string[] => [...n.warn.getCalls(), ...n.error.getCalls()].map((c: any) => String(c.args[0]))
  const lastStatus = (n: any): { fill: string, text: string } => statuses(n).slice(-1)[0]

  const streamerFlow = (): any[] => [
    {
      id: 'db',
      type: 'streamer-database',
      mode: 'server',
      urlEnv: 'FIX_STREAMERS_APP_URL',
      ssl: 'disable',
      poolSize: 3,
      schema: 'pack_app'
    },
    {
      id: 's1',
      type: 'audit-streamer',
      database: 'db',
      stream: 'orders',
      table: 'src.orders',
      positionColumns: 'id',
      batchSize: 100,
      listen: false,
      pollInterval: 50,
      output: 'row',
      start: 'beginning',
      columns: [],
      wires: [['h1']]
    },
    { id: 'h1', type: 'helper' }
  ]
  /** Loads the streamer and waits for a first row; returns the syms it streams from then on. */
  async function streaming (): Promise<string[]> {
    await helper.load(nodes, streamerFlow())
    const got: string[] = []
    helper.getNode('h1').on('input', (m: any) => got.push(m.payload.sym))
    await admin!.query("INSERT INTO src.orders (sym) VALUES ('first')")
    await eventually(() => got.includes('first'), 30000, 'the first row streamed')
    got.splice(0)
    return got
  }
  const insert = async (sym: string): Promise<void> => {
    await admin!.query('INSERT INTO src.orders (sym) VALUES ($1)', [sym])
  }

  it('a wrong password: a red status and a log line saying so, and streaming again once it is set back',
    async function () {
      this.timeout(120000)
      const got = await streaming()
      const s1 = helper.getNode('s1') as any
      const db = helper.getNode('db') as any
      await admin!.query("ALTER ROLE app PASSWORD 'changed-by-the-dba'")
      await admin!.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'")
      await insert('during')
      await eventually(() => /password authentication failed/.test(lastStatus(s1).text), 30000,
        'the streamer\'s status naming the password')
      assert.strictEqual(lastStatus(s1).fill, 'red')
      await eventually(() => [...logs(s1), ...logs(db)].some(l => /password authentication failed/.test(l)), 30000,
        'a log line naming the password')
      await admin!.query("ALTER ROLE app PASSWORD 'right-one'")
      await eventually(() => got.length === 1, 60000, 'the row inserted meanwhile, once the password is right again')
        .catch(err => {
          const said = [...logs(s1), ...logs(db)].join(' | ')
          throw new Error(`${String(err)}: ${JSON.stringify(statuses(s1).slice(-4))} ${said}`)
        })
      await insert('after')
      await eventually(() => got.length === 2, 30000, 'the next row')
      assert.deepStrictEqual(got, ['during', 'after'])
      await eventually(() => lastStatus(s1).fill === 'green', 10000, 'a green status again')
    })

  it('a revoked privilege: a red status and a log line naming it, and streaming again once granted', async function () {
    this.timeout(120000)
    const got = await streaming()
    const s1 = helper.getNode('s1') as any
    await admin!.query('REVOKE SELECT ON src.orders FROM app')
    await insert('during')
    await eventually(() => /permission denied/.test(lastStatus(s1).text), 30000, 'a status naming the privilege')
    assert.strictEqual(lastStatus(s1).fill, 'red')
    assert.ok(logs(s1).some(l => /permission denied/.test(l)), `a log line: ${logs(s1).join(' | ')}`)
    await admin!.query('GRANT SELECT ON src.orders TO app')
    await eventually(() => got.length === 1, 60000, 'the row inserted meanwhile, once granted again')
    assert.deepStrictEqual(got, ['during'])
  })

  it('a dropped table: a red status and a log line naming it, and streaming again once it is created',
    async function () {
      this.timeout(120000)
      const got = await streaming()
      const s1 = helper.getNode('s1') as any
      const last = (await admin!.query('SELECT max(id)::int AS id FROM src.orders')).rows[0].id as number
      await admin!.query('DROP TABLE src.orders')
      await eventually(() => /does not exist/.test(lastStatus(s1).text), 30000, 'a status naming the missing table')
      assert.strictEqual(lastStatus(s1).fill, 'red')
      assert.ok(logs(s1).some(l => /src\.orders.*does not exist|does not exist.*src\.orders/.test(l)),
      `a log line naming the table: ${logs(s1).join(' | ')}`)
      // Created again, its ids going on from where the old one stopped (the stream's position).
      await admin!.query('CREATE TABLE src.orders (id bigserial PRIMARY KEY, sym text)')
      await admin!.query('SELECT setval(\'src.orders_id_seq\', $1)', [last])
      await admin!.query('GRANT SELECT ON src.orders, src.orders_id_seq TO app')
      await insert('recreated')
      await eventually(() => got.length === 1, 60000, 'the row of the table created again')
      assert.deepStrictEqual(got, ['recreated'])
      await eventually(() => lastStatus(s1).fill === 'green', 10000, 'a green status again')
    })

  it('a full disk: streamer-sql waits with a status and one log line naming it, and writes once there is ' +
    'room again', async function () {
    this.timeout(120000)
    const mnt = tempDir('fix-streamers-full-')
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' })
    } catch (err) {
      fs.rmSync(mnt, { recursive: true, force: true })
      // Not root, or the container forbids mount: there is no small filesystem to fill here.
      console.log(`      (skipped: cannot mount a 1 MB tmpfs: ${String((err as Error).message).split('\n')[0]})`)
      return this.skip()
    }
    try {
      const ts = path.join(mnt, 'ts')
      fs.mkdirSync(ts)
      if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', ts])
      await admin!.query(`CREATE TABLESPACE small LOCATION '${ts}'`)
      await admin!.query('CREATE TABLE sink (n int PRIMARY KEY) TABLESPACE small')
      await admin!.query('CREATE TABLE filler (t text) TABLESPACE small')
      await admin!.query('ALTER TABLE filler ALTER COLUMN t SET STORAGE PLAIN')
      // Fill the filesystem: the failed insert keeps the pages it allocated.
      const full = await admin!.query("INSERT INTO filler SELECT repeat('x', 1800) FROM generate_series(1, 2000)")
        .then(() => undefined, (err: { code?: string }) => err.code)
      assert.strictEqual(full, '53100', 'the tablespace is full (disk_full)')
      await helper.load(nodes, [
        {
          id: 'db',
          type: 'streamer-database',
          mode: 'server',
          urlEnv: 'FIX_STREAMERS_SUPER_URL',
          ssl: 'disable',
          poolSize: 3,
          schema: 'pack_super'
        },
        {
          id: 'q1',
          type: 'streamer-sql',
          database: 'db',
          sql: 'INSERT INTO sink (n) VALUES ($1)',
          params: [{ v: 'payload', vt: 'msg' }],
          wires: [['out']]
        },
        { id: 'out', type: 'helper' },
        { id: 'c1', type: 'catch', scope: ['q1'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' }
      ])
      const out: number[] = []
      const caught: any[] = []
      helper.getNode('out').on('input', () => out.push(out.length + 1))
      helper.getNode('caught').on('input', (m: any) => caught.push(m))
      const q1 = helper.getNode('q1') as any
      await eventually(() => lastStatus(q1)?.fill === 'green', 30000, 'streamer-sql connected')
      for (let n = 1; n <= 3; n++) q1.receive({ payload: n })
      await eventually(() => /disk full/.test(lastStatus(q1).text), 30000, 'a status naming the disk')
        .catch(err => { throw new Error(`${String(err)}: ${JSON.stringify(statuses(q1))} ${out.join(',')}`) })
      // Every status naming the disk is red: a full disk needs a person, it is not a yellow outage
      // (the message's own wait and the database node's retry state both say it).
      const disk = statuses(q1).filter(x => /disk full/.test(x.text))
      assert.deepStrictEqual(disk.filter(x => x.fill !== 'red'), [], `not red: ${JSON.stringify(disk)}`)
      const said = logs(q1).filter(l => /disk full/.test(l))
      await new Promise(resolve => setTimeout(resolve, 2000)) // several tries
      assert.strictEqual(logs(q1).filter(l => /disk full/.test(l)).length, 1,
        `one log line for the outage, not one per try: ${said.join(' | ')}`)
      assert.deepStrictEqual([out, caught.length], [[], 0], 'nothing written, nothing failed')
      await admin!.query('DROP TABLE filler')
      await eventually(() => out.length === 3, 60000, 'the messages written once there is room')
      assert.deepStrictEqual(out, [1, 2, 3])
      assert.strictEqual(caught.length, 0)
      const rows = await admin!.query('SELECT n FROM sink ORDER BY n')
      assert.deepStrictEqual(rows.rows.map(r => r.n), [1, 2, 3])
      await eventually(() => lastStatus(q1).fill === 'green', 10000, 'a green status again')
    } finally {
      await helper.unload()
      await admin!.query('DROP TABLE IF EXISTS sink').catch(() => {})
      await admin!.query('DROP TABLE IF EXISTS filler').catch(() => {})
      await admin!.query('DROP TABLESPACE IF EXISTS small').catch(() => {})
      execFileSync('umount', [mnt], { stdio: 'pipe' })
      fs.rmSync(mnt, { recursive: true, force: true })
    }
  })
})
