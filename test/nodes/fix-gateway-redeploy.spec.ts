import * as assert from 'assert'
import { helper, runtimeName } from '../support/node-red'
import { eventually } from '../support/databases'
import { tempDirPerTest } from '../support/temp'
import { freePort, nos } from '../core/fix-session/support'
import { sessionPair } from '../support/fix-session-pair'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import sessionNode = require('../../nodes/fix-session/fix-session')
import gatewayNode = require('../../nodes/fix-gateway/fix-gateway')
import { clientProbe } from '../support/client-probe'

const nodes = [databaseNode, sessionNode, gatewayNode, clientProbe]
/** Node-RED's log level numbers. */
const ERROR = 20

function flow (dir: string, port: number, initiatorName?: string): any[] {
  return [
    { id: 'db1', type: 'streamer-database', mode: 'embedded', dataDir: dir, schema: 'fx' },
    ...sessionPair({
      fixPort: port,
      database: 'db1',
      wires: { ga: [['a1'], []], gi: [[], ['i2']] },
      initiator: initiatorName !== undefined ? { name: initiatorName } : undefined
    }),
    { id: 'a1', type: 'helper' },
    { id: 'i2', type: 'helper' },
    { id: 'client1', type: 'client-probe' }
  ]
}

function collect (id: string): any[] {
  const got: any[] = []
  helper.getNode(id).on('input', (m: any) => got.push(m))
  return got
}

/** A streamer client's row at `position` (client 'client1'). */
const row = (position: string, replay = false): object =>
  ({ name: 'orders', streamer: 's1', client: 'orders-client', clientId: 'client1', position: [position], replay })

describe(`fix-gateway when its fix-session is redeployed while it holds stream rows (${runtimeName})`, function () {
  this.timeout(120000) // a logon waits up to 45 s: PGlite opening under load is slow
  beforeEach(async () => { await helper.startServer() })
  afterEach(async () => {
    await helper.unload()
    await helper.stopServer()
  })
  const tempDir = tempDirPerTest() // after the unload above: no flow holds its folders any more

  it('logs one line saying the held rows go again, not an error per row, and sends them once when they ' +
    'come again', async () => {
    const port = await freePort()
    const dir = tempDir()
    await helper.load(nodes, flow(dir, port))
    const i2 = collect('i2')
    await eventually(() => i2.some(m => m.topic === 'logon'), 45000, 'logon')
    helper.getNode('gi').receive({ topic: 'fix:logout', payload: 'hold the rows' })
    await eventually(() => i2.some(m => m.topic === 'logout'), 10000, 'logout')
    for (const p of ['1', '2', '3']) {
      helper.getNode('gi').receive({ payload: nos(`H${p}`), fix: { msgType: 'D' }, stream: row(p) })
    }
    const status = helper.getNode('gi').status
    await eventually(() => status.getCalls().some((c: any) => /3 waiting/.test(c.args[0].text ?? '')), 10000,
      'status: 3 waiting')
    const gatewayLog = (): any[] => helper.log().args.map((a: any) => a[0]).filter((e: any) => e.type === 'fix-gateway')
    const before = gatewayLog().length

    // A modified-nodes deploy of the session alone: its gateway restarts with it.
    await helper.setFlows(flow(dir, port, 'renamed'), 'nodes')
    const i2b = collect('i2')
    const a1 = collect('a1')
    await eventually(() => i2b.some(m => m.topic === 'logon'), 45000, 'logon after the redeploy')
    const lines = gatewayLog().slice(before)
    assert.deepStrictEqual(lines.filter(e => e.level === ERROR).map(e => String(e.msg)), [],
      'no error line for the held rows')
    const told = lines.filter(e => /\b3 stream messages\b.*again/.test(String(e.msg)))
    assert.strictEqual(told.length, 1, `one line for the three rows: ${lines.map(e => String(e.msg)).join(' | ')}`)
    assert.deepStrictEqual(helper.getNode('client1').confirmed, [], 'none was confirmed')

    // The streamer client sends them again after the redeploy: each goes out once and is confirmed.
    for (const p of ['1', '2', '3']) {
      helper.getNode('gi').receive({ payload: nos(`H${p}`), fix: { msgType: 'D' }, stream: row(p, true) })
    }
    await eventually(() => helper.getNode('client1').confirmed.length === 3, 20000, 'the three rows confirmed')
    assert.deepStrictEqual(helper.getNode('client1').confirmed, [['1'], ['2'], ['3']])
    await eventually(() => a1.length === 3, 10000, 'the three orders at the acceptor')
    assert.deepStrictEqual(a1.map(m => m.payload.ClOrdID), ['H1', 'H2', 'H3'])
  })
})
