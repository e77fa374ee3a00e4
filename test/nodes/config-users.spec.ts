import * as assert from 'assert'
import { helper, runtimeName } from '../support/node-red'
import { eventually, serverOptions } from '../support/databases'
import { tempDirPerTest } from '../support/temp'
import { envForSuite } from '../support/env'
import { freePort } from '../support/ports'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import sqlNode = require('../../nodes/streamer-sql/streamer-sql')
import sessionNode = require('../../nodes/fix-session/fix-session')
import gatewayNode = require('../../nodes/fix-gateway/fix-gateway')

const nodes = [databaseNode, sqlNode, sessionNode, gatewayNode]

/** Runs `SELECT $1` through a streamer-sql node and resolves with what came out. */
async function ask (id: string, out: string, value: string): Promise<any> {
  const got = new Promise<any>(resolve => helper.getNode(out).once('input', resolve))
  helper.getNode(id).receive({ payload: value })
  return await got
}

describe(`config nodes and their users (${runtimeName})`, function () {
  // Each test opens a fresh embedded database: its first start is slow on a loaded machine.
  this.timeout(150000)
  envForSuite(() => ({ FIX_STREAMERS_USERS_TEST_URL: process.env.DATABASE_URL }))
  beforeEach(async () => await helper.startServer())
  afterEach(async () => {
    await helper.unload()
    await helper.stopServer()
  })
  const tempDir = tempDirPerTest() // after the unload above: no flow holds its folders any more

  for (const target of ['pglite', 'postgres'] as const) {
    const it_ = target === 'postgres' && serverOptions() === undefined ? it.skip : it
    const dbConfig = (): Record<string, unknown> => target === 'pglite'
      ? { mode: 'embedded', dataDir: tempDir() }
      : { mode: 'server', urlEnv: 'FIX_STREAMERS_USERS_TEST_URL', schema: 'users_pack' }
    const user = (id: string, name = `user ${id}`): any[] => [
      {
        id,
        name,
        type: 'streamer-sql',
        database: 'db1',
        sql: 'SELECT $1::text AS v',
        params: [{ v: 'payload', vt: 'msg' }],
        wires: [[`${id}out`]]
      },
      { id: `${id}out`, type: 'helper' }
    ]

    it_(`[${target}] a redeploy of one user leaves the database open for the others`, async () => {
      const db = { id: 'db1', type: 'streamer-database', ...dbConfig() }
      await helper.load(nodes, [db, ...user('q1'), ...user('q2')])
      assert.deepStrictEqual((await ask('q2', 'q2out', 'a')).payload, [{ v: 'a' }])
      const connection = helper.getNode('db1').connection
      await helper.setFlows([db, ...user('q1', 'renamed'), ...user('q2')], 'nodes')
      assert.strictEqual(connection.state.state, 'connected', 'q2 still uses it')
      assert.strictEqual(helper.getNode('db1').connection, connection)
      assert.deepStrictEqual((await ask('q2', 'q2out', 'b')).payload, [{ v: 'b' }])
      assert.deepStrictEqual((await ask('q1', 'q1out', 'c')).payload, [{ v: 'c' }])
    })

    it_(`[${target}] the last user removed from the flows closes the database before its close is ` +
      'done, and a new user opens it again', async () => {
      const db = { id: 'db1', type: 'streamer-database', ...dbConfig() }
      await helper.load(nodes, [db, ...user('q1'), ...user('q2')])
      assert.deepStrictEqual((await ask('q1', 'q1out', 'a')).payload, [{ v: 'a' }])
      const connection = helper.getNode('db1').connection
      // Every user redeployed, none removed: as Node-RED's MQTT broker, the database stays open.
      await helper.setFlows([db, ...user('q1', 'again'), ...user('q2', 'again')], 'nodes')
      assert.strictEqual(connection.state.state, 'connected')
      assert.strictEqual(helper.getNode('db1').connection, connection)
      // Both users removed, the config node unchanged: the deploy waits for their close.
      await helper.setFlows([db], 'nodes')
      assert.strictEqual(connection.state.state, 'closed', 'closed by the time the last user is done')
      await helper.setFlows([db, ...user('q3')], 'nodes')
      assert.deepStrictEqual((await ask('q3', 'q3out', 'again')).payload, [{ v: 'again' }])
      assert.notStrictEqual(helper.getNode('db1').connection, connection)
    })
  }

  describe('fix-session', () => {
    function flow (dir: string, port: number, gateways: string[], renamed = ''): any[] {
      const common = {
        beginString: 'FIX.4.4', heartBtInt: 30, resetPolicy: 'never', database: 'db1', weekdays: '0,1,2,3,4,5,6'
      }
      const session = (id: string, role: string, sender: string, target: string, at: object): object =>
        ({ id, type: 'fix-session', role, port, senderCompID: sender, targetCompID: target, ...common, ...at })
      return [
        { id: 'db1', type: 'streamer-database', mode: 'embedded', dataDir: dir, schema: 'users_fx' },
        session('sa', 'acceptor', 'BRK', 'CLI', { bindAddress: '127.0.0.1' }),
        session('si', 'initiator', 'CLI', 'BRK', { host: '127.0.0.1', backoffInitial: 0.2, backoffMax: 1 }),
        { id: 'ga', type: 'fix-gateway', session: 'sa' },
        ...gateways.map(id =>
          ({ id, name: id === renamed ? 'renamed' : `gateway ${id}`, type: 'fix-gateway', session: 'si' }))
      ]
    }

    it('stays logged on while one of its two gateways is redeployed, and logs out when the last one leaves',
      async () => {
        const port = await freePort()
        const dir = tempDir()
        await helper.load(nodes, flow(dir, port, ['g1', 'g2']))
        const si = helper.getNode('si')
        await eventually(() => si.currentStatus.phase === 'logged-on', 90000, 'logon')
        await helper.setFlows(flow(dir, port, ['g1', 'g2'], 'g1'), 'nodes')
        // A Logout and a new Logon take a reconnect (0.2 s at least): still logged on means never out.
        assert.strictEqual(si.currentStatus.phase, 'logged-on', 'g2 still uses it')
        assert.strictEqual(helper.getNode('si'), si)
        // Both gateways gone, the session unchanged: it logs out, and the deploy waits for that.
        await helper.setFlows(flow(dir, port, []), 'nodes')
        assert.strictEqual(si.currentStatus.phase, 'disconnected', 'logged out by the time the last user is done')
      })
  })
})
