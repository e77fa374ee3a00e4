import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { helper, runtimeName } from '../support/node-red'
import { eventually } from '../support/databases'
import { envPerTest } from '../support/env'
import { FixTranslator } from '../../core/fix/translator'
import translatorNode = require('../../nodes/fix-translator/fix-translator')

const nos = {
  ClOrdID: 'C-1',
  Side: '1',
  TransactTime: '20240102-03:04:05.678',
  OrdType: '2',
  Price: 0.1 + 0.2,
  Instrument: { Symbol: 'IBM' },
  OrderQtyData: { OrderQty: 100 },
  Parties: { NoPartyIDs: [{ PartyID: 'P1', PartyIDSource: 'D', PartyRole: 1 }] }
}

function flow (config: Record<string, unknown>, outputs = 2): any[] {
  const wires = Array.from({ length: outputs }, (_v, i) => [`out${i}`])
  return [
    {
      id: 't1',
      type: 'fix-translator',
      name: 'translator',
      dictionary: 'FIX.4.4',
      direction: 'toFix',
      msgType: 'D',
      mappings: [],
      routing: 'all',
      types: [],
      ...config,
      wires
    },
    ...wires.map(w => ({ id: w[0], type: 'helper' })),
    { id: 'c1', type: 'catch', scope: ['t1'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' }
  ]
}

/** Collects what arrives on each helper node. */
function collect (ids: string[]): Record<string, any[]> {
  const got: Record<string, any[]> = {}
  for (const id of ids) {
    got[id] = []
    helper.getNode(id).on('input', (msg: any) => got[id].push(msg))
  }
  return got
}

async function wire (t: FixTranslator, msgType: string, body: Record<string, unknown>, seq = 1): Promise<string> {
  const r = t.toFix(msgType, body)
  if (!r.ok) throw new Error(r.message)
  return t.codec
    .encode(
      r.fix.msgType,
      {
        BeginString: t.beginString,
        SenderCompID: 'BROKER',
        TargetCompID: 'CLIENT',
        MsgSeqNum: seq,
        SendingTime: new Date()
      },
      r.payload
    )
    .toString('latin1')
}

describe(`fix-translator node (${runtimeName})`, function () {
  this.timeout(30000)
  let fix44: FixTranslator
  const setTestEnv = envPerTest()
  before(async () => { fix44 = await FixTranslator.create('FIX.4.4') })
  beforeEach(async () => { await helper.startServer() })
  afterEach(async () => {
    await helper.unload()
    await helper.stopServer()
  })

  it('object -> FIX: msg.payload is the message object; msg.fix describes it; ' +
    'other properties pass through', async () => {
    await helper.load(translatorNode, flow({}))
    const got = collect(['out0', 'out1', 'caught'])
    const stream = { name: 'orders', streamer: 's1', position: ['7'], replay: false }
    helper.getNode('t1').receive({ payload: nos, stream, topic: 'orders', keep: { a: 1 } })
    await eventually(() => got.out0.length === 1, 10000, 'a valid message')
    const msg = got.out0[0]
    assert.deepStrictEqual(msg.stream, stream)
    assert.strictEqual(msg.topic, 'orders')
    assert.deepStrictEqual(msg.keep, { a: 1 })
    assert.deepStrictEqual(
      { ...msg.fix, encoded: undefined },
      { msgType: 'D', msgTypeName: 'NewOrderSingle', beginString: 'FIX.4.4', dictionary: 'FIX.4.4', encoded: undefined }
    )
    assert.match(
      msg.fix.encoded,
      /^11=C-1\|453=1\|448=P1\|447=D\|452=1\|55=IBM\|54=1\|60=20240102-03:04:05\.678\|38=100\|40=2\|44=0\.3\|$/
    )
    assert.strictEqual(msg.payload.Price, '0.3')
    assert.deepStrictEqual(got.out1, [])
    assert.deepStrictEqual(got.caught, [])
  })

  it('object -> FIX: builds the message from the mapping table (msg, JSONata, string, number, env, enum)', async () => {
    setTestEnv({ FIX_TEST_ACCOUNT: 'ACC-9' })
    const mappings = [
      { field: 'ClOrdID', vt: 'msg', v: 'payload.id' },
      { field: 'Side', vt: 'enum', v: '2' },
      { field: 'TransactTime', vt: 'jsonata', v: '"20240102-03:04:05.000"' },
      { field: 'OrdType', vt: 'str', v: '2' },
      { field: 'Price', vt: 'jsonata', v: 'payload.px * 2' },
      { field: 'Instrument.Symbol', vt: 'msg', v: 'msg.payload.sym' },
      { field: 'Text', vt: 'msg', v: 'payload["note text"]' },
      { field: 'OrderQtyData.OrderQty', vt: 'num', v: '250' },
      { field: 'Account', vt: 'env', v: 'FIX_TEST_ACCOUNT' },
      { field: 'Parties.NoPartyIDs[0].PartyID', vt: 'str', v: 'FIRM' },
      { field: 'Parties.NoPartyIDs[0].PartyRole', vt: 'num', v: '1' }
    ]
    await helper.load(translatorNode, flow({ mappings }))
    const got = collect(['out0', 'out1', 'caught'])
    helper
      .getNode('t1')
      .receive({ payload: { id: 'ORD-1', px: 50.125, sym: 'VOD.L', 'note text': 'hello', dbColumn: 'ignored' } })
    await eventually(() => got.out0.length + got.caught.length > 0, 10000, 'an output')
    assert.deepStrictEqual(got.caught.map(m => m.error.message), [])
    const p = got.out0[0].payload
    assert.deepStrictEqual(
      [
        p.ClOrdID,
        p.Side,
        p.Price,
        p.Instrument.Symbol,
        p.Text,
        p.OrderQtyData.OrderQty,
        p.Account,
        p.Parties.NoPartyIDs[0].PartyID
      ],
      ['ORD-1', '2', '100.25', 'VOD.L', 'hello', '250', 'ACC-9', 'FIRM']
    )
  })

  it('object -> FIX: an invalid message goes to output 2 and raises a ' +
    'catchable error listing every problem', async () => {
    await helper.load(translatorNode, flow({}))
    const got = collect(['out0', 'out1', 'caught'])
    helper.getNode('t1').receive({
      payload: { ...nos, Side: 'Z', Text: 'café', MsgSeqNum: 5, TransactTime: undefined },
      stream: { name: 's' }
    })
    await eventually(() => got.caught.length === 1 && got.out1.length === 1, 10000, 'error output and catch')
    assert.deepStrictEqual(got.out0, [])
    const bad = got.out1[0]
    assert.deepStrictEqual(bad.stream, { name: 's' })
    assert.deepStrictEqual(bad.fix.problems.map((p: any) => [p.field, p.tag]).sort(), [
      ['MsgSeqNum', 34],
      ['Side', 54],
      ['Text', 58],
      ['TransactTime', 60]
    ])
    const message: string = got.caught[0].error.message
    assert.match(message, /^(Error: )?NewOrderSingle \(D\): 4 problems: /)
    for (const part of ['Side (54)', 'Text (58)', 'MsgSeqNum (34)', 'TransactTime (60)']) {
      assert.ok(message.includes(part), `${part} in ${message}`)
    }
    const status = helper.getNode('t1').status.lastCall.args[0]
    assert.strictEqual(status.fill, 'red')
  })

  it('object -> FIX: takes the message type from msg.fix.msgType when none is chosen', async () => {
    await helper.load(translatorNode, flow({ msgType: '' }))
    const got = collect(['out0', 'out1', 'caught'])
    helper
      .getNode('t1')
      .receive({
        payload: {
          OrigClOrdID: 'C-1',
          ClOrdID: 'C-2',
          Instrument: { Symbol: 'IBM' },
          Side: '1',
          TransactTime: new Date(),
          OrderQtyData: { OrderQty: 1 }
        },
        fix: { msgType: 'F' }
      })
    helper.getNode('t1').receive({ payload: nos })
    await eventually(() => got.out0.length === 1 && got.caught.length === 1, 10000, 'one encoded, one error')
    assert.strictEqual(got.out0[0].fix.msgTypeName, 'OrderCancelRequest')
    assert.match(got.caught[0].error.message, /no message type/)
  })

  it('FIX -> object: decodes raw text, | text, Buffers and fix_in rows, in order', async () => {
    await helper.load(translatorNode, flow({ direction: 'toObject' }, 1))
    const got = collect(['out0', 'caught'])
    const raw = await wire(fix44, 'D', nos, 9)
    const inputs = [
      raw,
      raw.split('\x01').join('|'),
      Buffer.from(raw, 'latin1'),
      { raw_text: raw, rx_sequence: '17', connection: 'X' }
    ]
    for (const payload of inputs) helper.getNode('t1').receive({ payload, stream: { name: 'fix_in' } })
    await eventually(() => got.out0.length === 4, 10000, 'four decoded messages')
    for (const msg of got.out0) {
      assert.strictEqual(msg.fix.msgType, 'D')
      assert.strictEqual(msg.fix.header.MsgSeqNum, 9)
      assert.strictEqual(msg.payload.ClOrdID, 'C-1')
      assert.strictEqual(msg.payload.Price, 0.3)
      assert.deepStrictEqual(msg.payload.Parties.NoPartyIDs.map((p: any) => p.PartyID), ['P1'])
      assert.deepStrictEqual(msg.stream, { name: 'fix_in' })
    }
    assert.deepStrictEqual(got.out0[3].fix.row, { rx_sequence: '17', connection: 'X' })
    assert.deepStrictEqual(got.caught, [])
  })

  it('FIX -> object: garbled, truncated and wrong-checksum input raise catchable errors', async () => {
    await helper.load(translatorNode, flow({ direction: 'toObject' }, 1))
    const got = collect(['out0', 'caught'])
    const raw = await wire(fix44, 'D', nos)
    const badSum = raw.replace(
      /10=(\d{3})\x01$/,
      (_m, n: string) => `10=${String((Number(n) + 1) % 256).padStart(3, '0')}\x01`
    )
    for (const payload of ['not fix', raw.slice(0, 40), badSum, 12]) helper.getNode('t1').receive({ payload })
    await eventually(() => got.caught.length === 4, 10000, 'four errors')
    assert.deepStrictEqual(got.out0, [])
    const messages = got.caught.map(m => m.error.message as string)
    assert.match(messages[1], /shorter than its BodyLength|truncated|ends inside/i)
    assert.match(messages[2], /CheckSum \(10\)/)
  })

  it('FIX -> object: a type filter sends the chosen types to output 1 and the rest to output 2', async () => {
    await helper.load(translatorNode, flow({ direction: 'toObject', routing: 'filter', types: ['8'] }, 2))
    const got = collect(['out0', 'out1', 'caught'])
    const er = await wire(fix44, '8', {
      OrderID: 'O',
      ExecID: 'E',
      ExecType: '0',
      OrdStatus: '0',
      Instrument: { Symbol: 'IBM' },
      Side: '1',
      LeavesQty: 1,
      CumQty: 0,
      AvgPx: 0
    })
    const d = await wire(fix44, 'D', nos)
    for (const payload of [er, d, er]) helper.getNode('t1').receive({ payload })
    await eventually(() => got.out0.length + got.out1.length === 3, 10000, 'three messages')
    assert.deepStrictEqual(got.out0.map(m => m.fix.msgTypeName), ['ExecutionReport', 'ExecutionReport'])
    assert.deepStrictEqual(got.out1.map(m => m.fix.msgTypeName), ['NewOrderSingle'])
  })

  it('FIX -> object: routes each chosen type to its own output, the others to the last', async () => {
    await helper.load(translatorNode, flow({ direction: 'toObject', routing: 'route', types: ['D', '8'] }, 3))
    const got = collect(['out0', 'out1', 'out2', 'caught'])
    const er = await wire(fix44, '8', {
      OrderID: 'O',
      ExecID: 'E',
      ExecType: '0',
      OrdStatus: '0',
      Instrument: { Symbol: 'IBM' },
      Side: '1',
      LeavesQty: 1,
      CumQty: 0,
      AvgPx: 0
    })
    const d = await wire(fix44, 'D', nos)
    const f = await wire(fix44, 'F', {
      OrigClOrdID: 'A',
      ClOrdID: 'B',
      Instrument: { Symbol: 'IBM' },
      Side: '1',
      TransactTime: new Date(),
      OrderQtyData: { OrderQty: 1 }
    })
    for (const payload of [er, d, f]) helper.getNode('t1').receive({ payload })
    await eventually(() => got.out0.length + got.out1.length + got.out2.length === 3, 10000, 'three messages')
    assert.deepStrictEqual([got.out0.length, got.out1.length, got.out2.length], [1, 1, 1])
    assert.strictEqual(got.out0[0].fix.msgType, 'D')
    assert.strictEqual(got.out1[0].fix.msgType, '8')
    assert.strictEqual(got.out2[0].fix.msgType, 'F')
  })

  it('shows "loading dictionary" and never blocks the start; a bad dictionary is reported', async () => {
    await helper.load(translatorNode, flow({ dictionary: 'custom', dictionaryPath: '/no/such/FIX.xml' }))
    const node = helper.getNode('t1')
    assert.strictEqual(node.status.firstCall.args[0].text, 'loading dictionary')
    const got = collect(['out0', 'out1', 'caught'])
    node.receive({ payload: nos })
    await eventually(() => got.caught.length === 1, 10000, 'an error')
    assert.match(got.caught[0].error.message, /does not exist/)
    assert.strictEqual(node.status.lastCall.args[0].fill, 'red')
  })

  it('status: green once the dictionary is loaded, red after a refused ' +
    'message, green again after a good one', async () => {
    await helper.load(translatorNode, flow({}))
    const node = helper.getNode('t1')
    const last = (): any => node.status.lastCall.args[0]
    await eventually(() => last().fill === 'green', 10000, 'the ready status')
    assert.deepStrictEqual(last(), { fill: 'green', shape: 'dot', text: 'FIX 4.4 → NewOrderSingle (D)' })
    const got = collect(['out0', 'out1', 'caught'])
    node.receive({ payload: nos })
    await eventually(() => got.out0.length === 1, 10000, 'a valid message')
    assert.deepStrictEqual(last(), { fill: 'green', shape: 'dot', text: 'FIX 4.4 → NewOrderSingle (D)' })
    node.receive({ payload: { ...nos, Side: 'Z' } })
    await eventually(() => got.out1.length === 1, 10000, 'an invalid message')
    assert.strictEqual(last().fill, 'red')
    node.receive({ payload: nos })
    await eventually(() => got.out0.length === 2, 10000, 'a second valid message')
    assert.strictEqual(last().fill, 'green')
  })

  it('the example flow encodes, rejects and decodes as its comment says', async () => {
    const example = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'flows', '03 FIX translator.json'), 'utf8')
    ) as any[]
    // The helper has no inject or debug nodes: debug becomes a helper, and each inject's payload is sent by hand.
    const nodes = example
      .filter(n => !['tab', 'comment', 'inject'].includes(n.type))
      .map(n => (n.type === 'debug' ? { id: n.id, z: n.z, type: 'helper' } : n))
    await helper.load(translatorNode, [example[0], ...nodes])
    const byName = (name: string): any => example.find(n => n.name === name)
    const got = collect([byName('FIX').id, byName('invalid').id, byName('error').id, byName('object').id])
    for (const name of ['valid order', 'invalid order', 'raw ExecutionReport']) {
      const inject = byName(name)
      helper
        .getNode(inject.wires[0][0])
        .receive({ payload: inject.payloadType === 'json' ? JSON.parse(inject.payload) : inject.payload })
    }
    await eventually(() => Object.values(got).every(list => list.length === 1), 10000, 'one message at each debug')
    assert.match(got[byName('FIX').id][0].fix.encoded, /\|54=1\|.*\|44=0\.3\|/)
    assert.match(got[byName('error').id][0].error.message, /Side \(54\)/)
    assert.strictEqual(got[byName('object').id][0].payload.CumQty, 100)
  })

  describe('admin endpoints', () => {
    it('lists dictionaries, messages and fields', async () => {
      await helper.load(translatorNode, flow({}))
      const dicts = await helper.request().get('/fix-streamers/dictionaries').expect(200)
      assert.deepStrictEqual(dicts.body.map((d: any) => d.id), ['FIX.4.2', 'FIX.4.4', 'FIX.5.0SP2'])
      const messages = await helper.request().get('/fix-streamers/dictionaries/FIX.4.4/messages').expect(200)
      assert.deepStrictEqual(
        messages.body.find((m: any) => m.msgType === 'D'),
        { msgType: 'D', name: 'NewOrderSingle', category: 'app' }
      )
      const fields = await helper.request().get('/fix-streamers/dictionaries/FIX.4.4/messages/D/fields').expect(200)
      const side = fields.body.find((f: any) => f.path === 'Side')
      assert.strictEqual(side.tag, 54)
      assert.deepStrictEqual(side.enums[1], { value: '2', description: 'SELL' })
      assert.ok(fields.body.some((f: any) => f.path === 'Parties.NoPartyIDs[0].PartyID' && f.tag === 448))
      await helper.request().get('/fix-streamers/dictionaries/FIX.4.4/messages/ZZ/fields').expect(404)
      await helper
        .request()
        .get('/fix-streamers/dictionaries/custom/messages?path=relative.xml')
        .set('Node-RED-API-Version', 'v2')
        .expect(400)
    })

    it('previews an encoding with the mapping table, and every validation error', async () => {
      await helper.load(translatorNode, flow({}))
      const good = await helper
        .request()
        .post('/fix-streamers/translator/preview')
        .send({ dictionary: 'FIX.4.4', direction: 'toFix', msgType: 'D', mappings: [], sample: JSON.stringify(nos) })
        .expect(200)
      assert.strictEqual(good.body.ok, true)
      assert.match(good.body.encoded, /^11=C-1\|.*\|44=0\.3\|$/)
      const mapped = await helper
        .request()
        .post('/fix-streamers/translator/preview')
        .send({
          dictionary: 'FIX.4.4',
          direction: 'toFix',
          msgType: 'D',
          mappings: [
            { field: 'ClOrdID', vt: 'jsonata', v: 'payload.id & "-x"' },
            { field: 'Side', vt: 'str', v: 'Z' }
          ],
          sample: '{"id":"A"}'
        })
        .expect(200)
      assert.strictEqual(mapped.body.ok, false)
      assert.deepStrictEqual(mapped.body.problems.map((p: any) => p.field).sort(), ['OrdType', 'Side', 'TransactTime'])
      const notJson = await helper.request().post('/fix-streamers/translator/preview')
        .send({ dictionary: 'FIX.4.4', direction: 'toFix', msgType: 'D', sample: '{oops' }).expect(200)
      assert.match(notJson.body.error, /not JSON/)
    })

    it('refuses mapping paths through __proto__, constructor or prototype, in the ' +
      'preview and in a deployed node', async () => {
      await helper.load(translatorNode, flow({}))
      try {
        for (const field of ['__proto__.polluted', 'constructor.prototype.polluted', 'Instrument.__proto__.polluted']) {
          const r = await helper
            .request()
            .post('/fix-streamers/translator/preview')
            .send({
              dictionary: 'FIX.4.4',
              direction: 'toFix',
              msgType: 'D',
              mappings: [{ field, vt: 'str', v: 'yes' }],
              sample: '{}'
            })
            .expect(200)
          assert.strictEqual(r.body.ok, false, field)
          assert.match(r.body.error, /not allowed/, field)
        }
        const fromProto = await helper
          .request()
          .post('/fix-streamers/translator/preview')
          .send({
            dictionary: 'FIX.4.4',
            direction: 'toFix',
            msgType: 'D',
            mappings: [{ field: 'Text', vt: 'msg', v: 'payload.__proto__' }],
            sample: '{}'
          })
          .expect(200)
        assert.match(fromProto.body.error, /not allowed/)
        assert.strictEqual(({} as any).polluted, undefined, 'Object.prototype untouched')
      } finally {
        delete (Object.prototype as any).polluted
      }
      await helper.unload()
      await helper.load(translatorNode, flow({ mappings: [{ field: '__proto__.polluted', vt: 'str', v: 'yes' }] }))
      const node = helper.getNode('t1')
      await eventually(() => node.status.lastCall?.args[0]?.fill === 'red', 5000, 'a red status')
      assert.match(node.status.lastCall.args[0].text, /is not a FIX field path/)
    })

    it('previews a decoding, and reports a bad checksum', async () => {
      await helper.load(translatorNode, flow({}))
      const raw = (await wire(fix44, 'D', nos)).split('\x01').join('|')
      const r = await helper
        .request()
        .post('/fix-streamers/translator/preview')
        .send({ dictionary: 'FIX.4.4', direction: 'toObject', sample: raw })
        .expect(200)
      assert.strictEqual(r.body.ok, true)
      assert.strictEqual(r.body.msgTypeName, 'NewOrderSingle')
      assert.strictEqual(r.body.payload.ClOrdID, 'C-1')
      const bad = await helper
        .request()
        .post('/fix-streamers/translator/preview')
        .send({ dictionary: 'FIX.4.4', direction: 'toObject', sample: raw.replace(/10=\d{3}\|$/, '10=000|') })
        .expect(200)
      assert.strictEqual(bad.body.ok, false)
      assert.strictEqual(bad.body.reason, 'checksum')
    })
  })
})
