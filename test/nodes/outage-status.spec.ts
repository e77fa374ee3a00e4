import * as assert from 'assert'
import { helper, runtimeName, FlowNode } from '../support/node-red'
import { eventually } from '../support/databases'
import { faultyPostgres } from '../support/faulty-postgres'
import { sleep } from '../support/wait'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import streamerNode = require('../../nodes/audit-streamer/audit-streamer')
import clientNode = require('../../nodes/streamer-client/streamer-client')

/**
 * Issue 17 point 2 and issue 20 point 4, as an operator sees them: while the PostgreSQL server is
 * down, the streamer and its client say "waiting for database: <reason>", and each logs the outage
 * once, not once per read, backoff round or changed error message.
 */
describe(`status and log of a stream during a database outage [postgres] (${runtimeName})`, function () {
  const faulty = faultyPostgres({
    env: 'FIX_STREAMERS_OUTAGE_URL',
    setUp: async pg => {
      await pg.admin(async c => { await c.query('CREATE TABLE src (id bigserial PRIMARY KEY, sym text)') })
    }
  })
  beforeEach(async () => { await helper.startServer() })
  afterEach(async () => {
    await helper.unload()
    await helper.stopServer()
  })

  const flow: FlowNode[] = [
    {
      id: 'db',
      type: 'streamer-database',
      mode: 'server',
      urlEnv: 'FIX_STREAMERS_OUTAGE_URL',
      ssl: 'disable',
      schema: 'pack'
    },
    {
      id: 's1',
      type: 'audit-streamer',
      database: 'db',
      table: 'public.src',
      positionColumns: 'id',
      stream: 'src',
      listen: false,
      pollInterval: 50,
      start: 'beginning',
      columns: [],
      wires: [['c1']]
    },
    {
      id: 'c1',
      type: 'streamer-client',
      database: 'db',
      clientName: 'outage',
      replayable: true,
      filter: '',
      payload: '',
      routeMode: 'single',
      routes: [],
      inFlight: 10,
      confirmMode: 'send',
      wires: [['h1'], []]
    },
    { id: 'h1', type: 'helper' }
  ]
  // The helper's spies may be shared by every node: keep the calls made on this node.
  const calls = (n: any, method: string): any[] => n[method].getCalls().filter((c: any) => c.thisValue === n)
  const texts = (n: any): string[] => calls(n, 'status').map((c: any) => String(c.args[0].text))
  const warnings = (n: any, re: RegExp): string[] =>
    calls(n, 'warn').map((c: any) => String(c.args[0])).filter((w: string) => re.test(w))

  it('says "waiting for database: <reason>" on the streamer and the client, and logs each outage once',
    async function () {
      this.timeout(90000)
      const server = faulty.pg
      await helper.load([databaseNode, streamerNode, clientNode], flow)
      const got: any[] = []
      helper.getNode('h1').on('input', (m: any) => got.push(m))
      const s1 = helper.getNode('s1') as any
      const c1 = helper.getNode('c1') as any
      await server.admin(async c => { await c.query("INSERT INTO src (sym) VALUES ('A')") })
      await eventually(() => got.length === 1, 30000, 'the first row')
      await eventually(() => /^live/.test(texts(c1).slice(-1)[0] ?? ''), 10000, 'the client live')

      // Down long enough for several backoff rounds and more than one error message.
      server.server.down('fast')
      await eventually(
        () => texts(s1).some(t => /^waiting for database: /.test(t)) &&
          texts(c1).some(t => /^waiting for database: /.test(t)),
        30000,
        `both waiting: ${texts(s1).slice(-2).join(' | ')} / ${texts(c1).slice(-2).join(' | ')}`
      )
      await sleep(4000)
      const shown = [...texts(s1), ...texts(c1)].filter(t => /^waiting for database: /.test(t))
      assert.ok(shown.every(t => t.length <= 50), `short: ${shown.join(' | ')}`)
      server.server.up()
      await server.admin(async c => { await c.query("INSERT INTO src (sym) VALUES ('B')") })
      await eventually(() => got.length === 2, 60000, 'the row written after the outage')
      await eventually(() => /^live/.test(texts(c1).slice(-1)[0] ?? ''), 15000, 'the client live again')
      assert.ok(!texts(s1).some(t => /retrying/.test(t)), texts(s1).join(' | '))

      const waitRe = /waiting for (the )?database/
      assert.strictEqual(warnings(s1, waitRe).length, 1, `streamer: ${warnings(s1, /./).join(' | ')}`)
      assert.strictEqual(warnings(c1, waitRe).length, 1, `client: ${warnings(c1, /./).join(' | ')}`)
      assert.deepStrictEqual(warnings(c1, /retrying/), [], 'no per-round "retrying:" line')
      assert.ok(warnings(c1, /checkpoint/).length <= 1, warnings(c1, /checkpoint/).join(' | '))
    })
})
