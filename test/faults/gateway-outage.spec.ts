import * as assert from 'assert'
import { helper, runtimeName } from '../support/node-red'
import { eventually } from '../support/databases'
import { faultyPostgres } from '../support/faulty-postgres'
import { ProcessErrors } from '../support/process-errors'
import { sleep } from '../support/wait'
import { freePort, nos } from '../core/fix-session/support'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import sessionNode = require('../../nodes/fix-session/fix-session')
import gatewayNode = require('../../nodes/fix-gateway/fix-gateway')
import { clientProbe } from '../support/client-probe'
import { sessionPair } from '../support/fix-session-pair'

/**
 * Issue 17 point 2 for the FIX gateway, as an operator sees it: the PostgreSQL server stops while
 * the session is logged on and a stream message comes in. The gateway shows "waiting for database:
 * <reason>", the session logs the outage once, and once the server is back the message is journaled
 * and sent once, then confirmed to its client.
 */
describe(`fix-gateway during a database outage [postgres] (${runtimeName})`, function () {
  const faulty = faultyPostgres({ env: 'FIX_STREAMERS_GATEWAY_OUTAGE_URL' })
  let recorded: ProcessErrors | undefined
  beforeEach(async () => {
    recorded = new ProcessErrors()
    await helper.startServer()
  })
  afterEach(async function () {
    this.timeout(30000)
    await helper.unload()
    await helper.stopServer()
    recorded?.stop()
    assert.deepStrictEqual(recorded?.errors, [], 'nothing reached the process as an uncaught error')
  })

  const calls = (n: any, method: string): any[] => n[method].getCalls().filter((c: any) => c.thisValue === n)
  const texts = (id: string): string[] => calls(helper.getNode(id), 'status').map((c: any) => String(c.args[0].text))
  const lines = (id: string, re: RegExp): string[] => ['log', 'warn', 'error']
    .flatMap(m => calls(helper.getNode(id), m).map((c: any) => String(c.args[0])))
    .filter(l => re.test(l))

  it('says "waiting for database: <reason>", logs the outage once, and sends the message once when the ' +
    'database is back', async function () {
    this.timeout(120000)
    const port = await freePort()
    await helper.load([databaseNode, sessionNode, gatewayNode, clientProbe], [
      {
        id: 'db1',
        type: 'streamer-database',
        mode: 'server',
        urlEnv: 'FIX_STREAMERS_GATEWAY_OUTAGE_URL',
        ssl: 'disable',
        schema: 'fx'
      },
      ...sessionPair({ fixPort: port, database: 'db1', wires: { ga: [['a1'], []], gi: [['i1'], ['i2']] } }),
      { id: 'a1', type: 'helper' },
      { id: 'i1', type: 'helper' },
      { id: 'i2', type: 'helper' },
      { id: 'client1', type: 'client-probe' }
    ])
    const a1: any[] = []
    helper.getNode('a1').on('input', (m: any) => a1.push(m))
    const i2: any[] = []
    helper.getNode('i2').on('input', (m: any) => i2.push(m))
    await eventually(() => i2.some(m => m.topic === 'logon'), 45000, 'logon')
    const stream = { name: 'orders', streamer: 's1', client: 'orders-client', clientId: 'client1', replay: false }

    faulty.pg.server.down('fast')
    helper.getNode('gi').receive({ payload: nos('W1'), fix: { msgType: 'D' }, stream: { ...stream, position: ['1'] } })
    await eventually(() => texts('gi').some(t => /^waiting for database: /.test(t)), 30000,
      `the gateway waiting: ${texts('gi').slice(-3).join(' | ')}; session: ${texts('si').slice(-3).join(' | ')}; ` +
      `${lines('si', /./).slice(-5).join(' | ')}`)
    await sleep(3000) // several retries
    assert.deepStrictEqual([a1.length, helper.getNode('client1').confirmed], [0, []], 'not sent, not confirmed')
    faulty.pg.server.up()

    await eventually(() => a1.length === 1, 60000, 'the order at the acceptor once the database is back')
    assert.strictEqual(a1[0].payload.ClOrdID, 'W1')
    await eventually(() => helper.getNode('client1').confirmed.length === 1, 10000, 'confirmed to its client')
    assert.deepStrictEqual(helper.getNode('client1').confirmed, [['1']])
    await sleep(500)
    assert.strictEqual(a1.length, 1, 'sent once')
    const told = lines('si', /waiting for database/)
    assert.strictEqual(told.length, 1, `the session logs the outage once: ${told.join(' | ')}`)
  })
})
