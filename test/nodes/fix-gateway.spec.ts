import * as assert from 'assert'
import * as fs from 'fs'
import * as net from 'net'
import * as path from 'path'
import { helper, runtimeName } from '../support/node-red'
import { eventually } from '../support/databases'
import { tempDirPerTest } from '../support/temp'
import { freePort, nos } from '../core/fix-session/support'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import sessionNode = require('../../nodes/fix-session/fix-session')
import gatewayNode = require('../../nodes/fix-gateway/fix-gateway')
import { clientProbe } from '../support/client-probe'
import { sessionPair } from '../support/fix-session-pair'

const nodes = [databaseNode, sessionNode, gatewayNode, clientProbe]

function flow (dir: string, port: number, over: { ini?: Record<string, unknown> } = {}): any[] {
  return [
    { id: 'db1', type: 'streamer-database', mode: 'embedded', dataDir: dir, schema: 'fx' },
    ...sessionPair({
      fixPort: port,
      database: 'db1',
      wires: { ga: [['a1'], ['a2']], gi: [['i1'], ['i2']] },
      initiator: over.ini
    }),
    { id: 'a1', type: 'helper' },
    { id: 'a2', type: 'helper' },
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

describe(`fix-session and fix-gateway nodes (${runtimeName})`, function () {
  this.timeout(120000) // a logon waits up to 45 s: PGlite opening under load is slow
  beforeEach(async () => { await helper.startServer() })
  afterEach(async () => {
    await helper.unload()
    await helper.stopServer()
  })
  const tempDir = tempDirPerTest() // after the unload above: no flow holds its folders any more

  it('sends a translator message, journals it, confirms it to the streamer client, and ' +
    'delivers it at the other side', async () => {
    const port = await freePort()
    await helper.load(nodes, flow(tempDir(), port))
    const a1 = collect('a1')
    const i2 = collect('i2')
    // the first PGlite open of a busy run is slow
    await eventually(() => i2.some(m => m.topic === 'logon'), 45000, 'logon event')
    const stream = {
      name: 'orders',
      streamer: 's1',
      client: 'orders-client',
      clientId: 'client1',
      position: ['7', '1'],
      replay: false
    }
    helper.getNode('gi').receive({ payload: nos('N1'), fix: { msgType: 'NewOrderSingle' }, stream })
    await eventually(() => a1.length === 1)
    assert.strictEqual(a1[0].topic, 'D')
    assert.strictEqual(a1[0].payload.ClOrdID, 'N1')
    assert.strictEqual(a1[0].fix.seq, 2)
    assert.match(a1[0].fix.receiveSeq, /^\d+$/)
    assert.deepStrictEqual(helper.getNode('client1').confirmed, [['7', '1']])
    // A replay of the same stream row: confirmed again, not sent again.
    helper.getNode('gi').receive({ payload: nos('N1'), fix: { msgType: 'D' }, stream: { ...stream, replay: true } })
    await eventually(() => helper.getNode('client1').confirmed.length === 2)
    await new Promise(resolve => setTimeout(resolve, 300))
    assert.strictEqual(a1.length, 1, 'no duplicate order')
    // A raw FIX string the other way.
    const i1 = collect('i1')
    helper
      .getNode('ga')
      .receive({ payload: '8=FIX.4.4|9=5|35=8|37=O1|11=N1|17=E1|150=0|39=0|55=IBM|54=1|151=100|14=0|6=0|10=000|' })
    await eventually(() => i1.length === 1)
    assert.strictEqual(i1[0].payload.OrderID, 'O1')
    const status = helper.getNode('gi').status
    await eventually(
      () => status.getCalls().some((c: any) => /logged on out 3 in 3/.test(c.args[0].text ?? '')),
      5000,
      'status with sequence numbers'
    )
  })

  it('does not send or confirm while not logged on: a plain message gets a catchable error, a stream ' +
    'message waits in order for the logon', async () => {
    const port = await freePort()
    await helper.load(nodes, flow(tempDir(), port))
    const caught = collect('caught')
    const a1 = collect('a1')
    const i2 = collect('i2')
    await eventually(() => i2.some(m => m.topic === 'logon'), 45000, 'logon')
    helper.getNode('gi').receive({ topic: 'fix:logout', payload: 'down for the test' })
    await eventually(() => i2.some(m => m.topic === 'logout'))
    helper.getNode('gi').receive({ payload: nos('N0'), fix: { msgType: 'D' } })
    await eventually(() => caught.length === 1)
    assert.match(caught[0].error.message, /not (logged on|running)/)
    const meta = (p: string): object => ({
      name: 'o',
      streamer: 's',
      client: 'c',
      clientId: 'client1',
      position: [p],
      replay: false
    })
    helper.getNode('gi').receive({ payload: nos('N2'), fix: { msgType: 'D' }, stream: meta('2') })
    helper.getNode('gi').receive({ payload: nos('N3'), fix: { msgType: 'D' }, stream: meta('3') })
    const status = helper.getNode('gi').status
    await eventually(
      () => status.getCalls().some((c: any) => /2 waiting/.test(c.args[0].text ?? '')),
      5000,
      'status: 2 waiting'
    )
    await new Promise(resolve => setTimeout(resolve, 500))
    assert.deepStrictEqual(helper.getNode('client1').confirmed, [], 'nothing confirmed while not logged on')
    assert.strictEqual(caught.length, 1, 'stream messages are not errored')
    assert.strictEqual(a1.length, 0)
    // Logged on again: the held messages go out in order and are confirmed.
    helper.getNode('gi').receive({ topic: 'fix:logon' })
    await eventually(() => a1.length === 2, 20000, 'both held orders at the acceptor')
    assert.deepStrictEqual(
      a1.map(m => m.payload.ClOrdID),
      ['N2', 'N3']
    )
    assert.deepStrictEqual(helper.getNode('client1').confirmed, [['2'], ['3']])
  })

  it('logs out and on by control topics, sets sequence numbers, and continues them after a redeploy', async () => {
    const port = await freePort()
    const dir = tempDir()
    await helper.load(nodes, flow(dir, port))
    const i2 = collect('i2')
    const a1 = collect('a1')
    await eventually(() => i2.some(m => m.topic === 'logon'), 45000, 'logon')
    helper.getNode('gi').receive({ topic: 'fix:logout', payload: 'maintenance' })
    await eventually(() => i2.some(m => m.topic === 'logout'))
    helper.getNode('gi').receive({ topic: 'fix:set-sequence', payload: { nextSenderSeq: 50 } })
    await eventually(() => i2.some(m => m.topic === 'sequence-numbers' && m.payload.nextSenderSeq === 50))
    helper.getNode('gi').receive({ topic: 'fix:logon' })
    await eventually(() => i2.filter(m => m.topic === 'logon').length === 2, 20000, 'second logon')
    helper.getNode('gi').receive({ payload: nos('S1'), fix: { msgType: 'D' } })
    await eventually(() => a1.length === 1)
    assert.strictEqual(a1[0].fix.seq, 51, 'Logon 50, order 51')
    // Redeploy the initiator session (changed config): clean Logout, then the numbers continue.
    await helper.setFlows(flow(dir, port, { ini: { name: 'renamed' } }), 'nodes')
    const a1b = collect('a1')
    const i2b = collect('i2')
    await eventually(() => i2b.some(m => m.topic === 'logon'), 20000, 'logon after redeploy')
    helper.getNode('gi').receive({ payload: nos('S2'), fix: { msgType: 'D' } })
    await eventually(() => a1b.length === 1)
    assert.strictEqual(a1b[0].fix.seq, 54, 'Logout 52, Logon 53, order 54: no reset, no gap')
  })

  it('redeploying the session while the gateway holds stream rows logs one line saying they go again, not an ' +
    'error per row, and sends them once when they come again', async () => {
    const port = await freePort()
    const dir = tempDir()
    const row = (position: string, replay = false): object =>
      ({ name: 'orders', streamer: 's1', client: 'orders-client', clientId: 'client1', position: [position], replay })
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
    await helper.setFlows(flow(dir, port, { ini: { name: 'renamed' } }), 'nodes')
    const i2b = collect('i2')
    const a1 = collect('a1')
    await eventually(() => i2b.some(m => m.topic === 'logon'), 45000, 'logon after the redeploy')
    const lines = gatewayLog().slice(before)
    assert.deepStrictEqual(lines.filter(e => e.level === 20 /* Node-RED's error level */).map(e => String(e.msg)), [],
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

  it('shows a port in use as a red status and keeps running', async () => {
    const port = await freePort()
    // Something else (not a fix-session: those would share the port) holds this one.
    const busy = await freePort()
    const other = net.createServer()
    await new Promise<void>(resolve => other.listen(busy, '127.0.0.1', resolve))
    other.unref()
    const f = flow(tempDir(), port)
    f.push({
      id: 'sa2',
      type: 'fix-session',
      role: 'acceptor',
      bindAddress: '127.0.0.1',
      port: busy,
      senderCompID: 'BRK2',
      targetCompID: 'CLI2',
      beginString: 'FIX.4.4',
      dictionary: 'FIX.4.4',
      heartBtInt: 30,
      database: 'db1'
    })
    f.push({ id: 'ga2', type: 'fix-gateway', session: 'sa2', wires: [[], []] })
    await helper.load(nodes, f)
    const status = helper.getNode('ga2').status
    const red = await eventually(
      () =>
        status
          .getCalls()
          .map((c: any) => c.args[0])
          .find((s: any) => s.fill === 'red' && /in use/.test(s.text)),
      20000,
      'red status'
    )
    assert.match(red.text, new RegExp(`port ${busy}`))
    const i2 = collect('i2')
    await eventually(
      () =>
        i2.some(m => m.topic === 'logon') ||
        helper
          .getNode('gi')
          .status.getCalls()
          .some((c: any) => /logged on/.test(c.args[0].text ?? '')),
      20000,
      'the first pair still works'
    )
    other.close()
  })

  it('writes daily message and event log files when a log folder is set, with the logon password masked', async () => {
    const port = await freePort()
    const dir = tempDir()
    const logs = path.join(dir, 'fix-logs')
    await helper.load(nodes, flow(dir, port, { ini: { logDirectory: logs } }), {
      si: { username: 'trader1', password: 'Pa55-word' },
      sa: { expectUsername: 'trader1', expectPassword: 'Pa55-word' }
    })
    const i2 = collect('i2')
    await eventually(() => i2.some(m => m.topic === 'logon'), 20000, 'logon with credentials')
    const day = new Date().toISOString().slice(0, 10)
    const file = path.join(logs, `FIX.4.4_CLI-_BRK.messages.${day}.log`)
    const text = String(await eventually((): string | undefined => {
      const t = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''
      return /<< 8=FIX\.4\.4\|.*\|35=A\|/.test(t) ? t : undefined
    }, 10000, 'the logon both ways in the message log'))
    assert.match(text, />> 8=FIX\.4\.4\|.*\|35=A\|.*\|553=trader1\|554=\*\*\*\|/)
    assert.ok(!text.includes('Pa55-word'), 'no password in the log file')
    // The events file opens on its own stream, after or before the messages file: waited for, not assumed.
    const events = path.join(logs, `FIX.4.4_CLI-_BRK.events.${day}.log`)
    await eventually(() => fs.existsSync(events) && /\blogon \{/.test(fs.readFileSync(events, 'utf8')), 10000,
      'the logon in the events file')
    // The acceptor has no log folder: nothing else is written there.
    assert.deepStrictEqual(fs.readdirSync(logs).filter(f => !f.startsWith('FIX.4.4_CLI-_BRK.')), [])
  })

  it('refuses a builtin dictionary made for another BeginString, with a red status and a log line', async () => {
    const port = await freePort()
    await helper.load(nodes, flow(tempDir(), port, { ini: { dictionary: 'FIX.4.2' } }))
    const status = helper.getNode('gi').status
    const red = await eventually(
      () =>
        status
          .getCalls()
          .map((c: any) => c.args[0])
          .find((s: any) => s.fill === 'red'),
      20000,
      'red status'
    )
    assert.match(red.text, /FIX\.4\.2 dictionary is for BeginString FIX\.4\.2/)
    const logged = helper.log().args.map((a: any) => String(a[0].msg)).filter((m: string) => /could not start/.test(m))
    assert.ok(
      logged.some((m: string) =>
        /FIX\.4\.2 dictionary is for BeginString FIX\.4\.2, but the session uses FIX\.4\.4/.test(m)
      ),
      `an error in the Node-RED log: ${logged.join('; ')}`
    )
  })

  it('takes only the message types listed by name under "Receive only" and answers ' +
    'others with a BusinessMessageReject', async () => {
    const port = await freePort()
    const f = flow(tempDir(), port)
    Object.assign(f.find(n => n.id === 'sa'), { receiveMsgTypes: 'ExecutionReport, OrderCancelReject' })
    await helper.load(nodes, f)
    const a1 = collect('a1')
    const a2 = collect('a2')
    const i1 = collect('i1')
    const i2 = collect('i2')
    await eventually(() => i2.some(m => m.topic === 'logon'), 45000, 'logon')
    helper.getNode('gi').receive({ payload: nos('REFUSED'), fix: { msgType: 'NewOrderSingle' } })
    const bmr = await eventually(
      () => i1.find(m => m.topic === 'j'),
      10000,
      'the BusinessMessageReject at the initiator'
    )
    assert.strictEqual(bmr.payload.RefMsgType, 'D')
    assert.strictEqual(String(bmr.payload.BusinessRejectReason), '3')
    assert.ok(
      a2.some(m => m.topic === 'business-reject-sent' && m.payload.refMsgType === 'D'),
      'the acceptor reports it on output 2'
    )
    assert.strictEqual(a1.length, 0, 'the order did not reach the acceptor\'s flow')
  })

  it('with "also store decoded" off, writes fix_in raw only and still gives a ' +
    'wired output the decoded message', async () => {
    const port = await freePort()
    const f = flow(tempDir(), port)
    Object.assign(
      f.find(n => n.id === 'sa'),
      { storeDecoded: false }
    )
    await helper.load(nodes, f)
    const a1 = collect('a1')
    const i2 = collect('i2')
    await eventually(() => i2.some(m => m.topic === 'logon'), 45000, 'logon')
    helper.getNode('gi').receive({ payload: nos('RAW1'), fix: { msgType: 'NewOrderSingle' } })
    await eventually(() => a1.length === 1)
    assert.strictEqual(a1[0].payload.ClOrdID, 'RAW1')
    const db = await (helper.getNode('db1') as any).acquire()
    const r = await db.query('SELECT message, raw FROM fx.fix_in WHERE receive_seq = $1', [a1[0].fix.receiveSeq])
    assert.strictEqual(r.rows[0].message, null)
    assert.match(r.rows[0].raw, /\x0111=RAW1\x01/)
  })
})
