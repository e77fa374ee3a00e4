import * as assert from 'assert'
import * as fs from 'fs'
import { helper, runtimeName } from '../support/node-red'
import { eventually } from '../support/databases'
import { tempDirPerTest } from '../support/temp'
import { freePort, nos } from '../core/fix-session/support'
import { counterpartyBinary, describeWithQuickfix, QuickfixCounterparty } from '../support/quickfix'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import sessionNode = require('../../nodes/fix-session/fix-session')
import gatewayNode = require('../../nodes/fix-gateway/fix-gateway')
import { clientProbe } from '../support/client-probe'
import { initiatorSession } from '../support/fix-session-pair'

const nodes = [databaseNode, sessionNode, gatewayNode, clientProbe]

function flow (dir: string, port: number, name = ''): any[] {
  return [
    { id: 'db1', type: 'streamer-database', mode: 'embedded', dataDir: dir, schema: 'fx' },
    initiatorSession({ id: 'si', name, port, database: 'db1', senderCompID: 'CLIQ', targetCompID: 'BRKQ' }),
    { id: 'gi', type: 'fix-gateway', session: 'si', wires: [['i1'], ['i2']] },
    { id: 'i1', type: 'helper' },
    { id: 'i2', type: 'helper' },
    { id: 'client1', type: 'client-probe' },
    { id: 'c1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' }
  ]
}

function collect (id: string): any[] {
  const got: any[] = []
  helper.getNode(id).on('input', (m: any) => got.push(m))
  return got
}

describeWithQuickfix(`fix-gateway node against QuickFIX/C++ (${runtimeName})`, function () {
  this.timeout(60000)
  let qf: QuickfixCounterparty | undefined
  before(function () {
    this.timeout(120000)
    counterpartyBinary()
  })
  beforeEach(async () => { await helper.startServer() })
  afterEach(async function () {
    await helper.unload()
    await helper.stopServer()
    if (qf !== undefined) {
      if (this.currentTest?.state === 'failed') {
        console.log(`--- QuickFIX transcript ---\n${qf.transcript()}\n${qf.stderr}`)
      }
      await qf.stop()
      qf.kill()
      fs.rmSync(qf.o.dir, { recursive: true, force: true })
      qf = undefined
    }
  })
  const tempDir = tempDirPerTest() // after the unload above: no flow holds its folders any more

  it('sends a streamed order through the gateway to a validating QuickFIX acceptor, gets its execution reports, and ' +
    'continues the numbers after a redeploy', async () => {
    const port = await freePort()
    qf = new QuickfixCounterparty({
      role: 'acceptor',
      port,
      senderCompID: 'BRKQ',
      targetCompID: 'CLIQ',
      dir: tempDir()
    })
    await qf.start()
    const dir = tempDir()
    await helper.load(nodes, flow(dir, port))
    const i1 = collect('i1')
    const i2 = collect('i2')
    const caught = collect('caught')
    await eventually(() => i2.some(m => m.topic === 'logon'), 20000, 'logon event')
    const stream = {
      name: 'orders',
      streamer: 's1',
      client: 'orders-client',
      clientId: 'client1',
      position: ['1'],
      replay: false
    }
    helper.getNode('gi').receive({ payload: nos('NQ1'), fix: { msgType: 'NewOrderSingle' }, stream })
    await eventually(() => i1.length === 2, 10000, 'two execution reports on output 1')
    assert.deepStrictEqual(
      i1.map(m => [m.topic, m.payload.ClOrdID, m.payload.ExecType]),
      [
        ['8', 'NQ1', '0'],
        ['8', 'NQ1', 'F']
      ]
    )
    assert.deepStrictEqual(helper.getNode('client1').confirmed, [['1']])
    assert.deepStrictEqual(qf.app.map(m => m.get(11)), ['NQ1'], 'the order passed QuickFIX validation')
    // A raw FIX string goes through too.
    const now = new Date().toISOString().replace(/-/g, '').replace('T', '-').slice(0, 21)
    helper.getNode('gi').receive({
      payload: `8=FIX.4.4|9=5|35=D|11=NQ2|21=1|55=IBM|54=1|60=${now}|38=100|40=1|10=000|`
    })
    await eventually(() => i1.length === 4, 10000, 'NQ2 answered')
    assert.deepStrictEqual(qf.rejectsSent.map(m => m.raw), [])
    assert.ok(!i2.some(m => m.topic === 'reject-sent'))
    assert.deepStrictEqual(caught, [])
    // Redeploy: a clean Logout to QuickFIX, then the next Logon continues the numbers.
    const logonSeq = Number(qf.receivedOfType('A')[0].get(34))
    await helper.setFlows(flow(dir, port, 'renamed'), 'nodes')
    const i2b = collect('i2')
    await eventually(() => i2b.some(m => m.topic === 'logon'), 20000, 'logon after redeploy')
    await qf.waitFor(
      'our Logout and second Logon',
      () => qf!.receivedOfType('5').length === 1 && qf!.receivedOfType('A').length === 2
    )
    const second = qf.receivedOfType('A')[1]
    assert.strictEqual(
      Number(second.get(34)),
      logonSeq + 4,
      'Logon 1, orders 2 and 3, Logout 4, Logon 5: no reset, no gap'
    )
    assert.strictEqual(second.get(141), undefined)
    assert.strictEqual(qf.sentOfType('2').length + qf.receivedOfType('2').length, 0, 'no ResendRequest')
    // The logout control: QuickFIX gets our Logout with its text.
    helper.getNode('gi').receive({ topic: 'fix:logout', payload: 'end of day' })
    await qf.waitFor('the control Logout', () => qf!.receivedOfType('5').some(m => m.get(58) === 'end of day'))
  })
})
