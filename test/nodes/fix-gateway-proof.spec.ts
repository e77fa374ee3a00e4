import * as assert from 'assert'
import * as path from 'path'
import { helper, runtimeName } from '../support/node-red'
import { eventually } from '../support/databases'
import { tempDirPerTest } from '../support/temp'
import { freePort } from '../core/fix-session/support'
import { nos } from '../support/fix-messages'
import { FixTranslator } from '../../core/fix'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import sessionNode = require('../../nodes/fix-session/fix-session')
import gatewayNode = require('../../nodes/fix-gateway/fix-gateway')
import translatorNode = require('../../nodes/fix-translator/fix-translator')
import { sessionPair } from '../support/fix-session-pair'

// The Change node stands in for a user's node between the translator and the gateway.
const runtimeDir = path.dirname(require.resolve(`${process.env.NODE_RED_RUNTIME ?? 'node-red'}/package.json`))
const changeNode = require(require.resolve('@node-red/nodes/core/function/15-change.js', { paths: [runtimeDir] }))

const nodes = [databaseNode, sessionNode, gatewayNode, translatorNode, changeNode]

/** translator -> change (sets msg.payload.Side to msg.side, in place) -> the initiator's gateway. */
function flow (dir: string, port: number): any[] {
  return [
    { id: 'db1', type: 'streamer-database', mode: 'embedded', dataDir: dir, schema: 'fx' },
    ...sessionPair({ fixPort: port, database: 'db1', wires: { ga: [['a1'], []], gi: [[], ['i2']] } }),
    {
      id: 'tr',
      type: 'fix-translator',
      name: 'NewOrderSingle',
      dictionary: 'FIX.4.4',
      direction: 'toFix',
      msgType: 'D',
      mappings: [],
      routing: 'all',
      types: [],
      wires: [['edit', 'translated'], []]
    },
    {
      id: 'edit',
      type: 'change',
      rules: [{ t: 'set', p: 'payload.Side', pt: 'msg', to: 'side', tot: 'msg' }],
      wires: [['gi']]
    },
    { id: 'a1', type: 'helper' },
    { id: 'translated', type: 'helper' },
    { id: 'i2', type: 'helper' },
    { id: 'c1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' }
  ]
}

function collect (id: string): any[] {
  const got: any[] = []
  helper.getNode(id).on('input', (m: any) => got.push(m))
  return got
}

describe(`fix-gateway: orders the translator validated and orders from elsewhere (${runtimeName})`, function () {
  this.timeout(120000) // a logon waits up to 45 s: PGlite opening under load is slow
  beforeEach(async () => { await helper.startServer() })
  afterEach(async () => {
    await helper.unload()
    await helper.stopServer()
  })
  const tempDir = tempDirPerTest()

  it('sends a translated order as the translator wrote it, and refuses with a catchable error one changed ' +
    'in place after the translator or injected straight into the gateway, sending none of those', async () => {
    const port = await freePort()
    await helper.load(nodes, flow(tempDir(), port))
    const a1 = collect('a1')
    const translated = collect('translated')
    const caught = collect('caught')
    const i2 = collect('i2')
    await eventually(() => i2.some(m => m.topic === 'logon'), 45000, 'logon event')

    // Unchanged (the Change node writes the same Side): sent, byte for byte the translator's body.
    helper.getNode('tr').receive({ payload: nos('OK1'), side: '1' })
    await eventually(() => a1.length === 1, 20000, 'the valid order at the acceptor')
    assert.strictEqual(a1[0].payload.ClOrdID, 'OK1')
    assert.strictEqual(a1[0].fix.seq, 2)
    const encoded = String(translated[0].fix.encoded)
    assert.ok(a1[0].fix.raw.includes(`|${encoded}10=`), 'the acceptor got the translator\'s body')

    // Changed in place between the translator and the gateway: Side 'Z' is not a Side.
    helper.getNode('tr').receive({ payload: nos('BAD1'), side: 'Z' })
    await eventually(() => caught.length === 1, 20000, 'the changed order refused')
    assert.match(caught[0].error.message, /invalid D: .*54/)
    assert.strictEqual(caught[0].error.source.id, 'gi')

    // Straight into the gateway, never through a translator: a body with a bad Side, and a body the
    // translator validated (it carries the translator's proof), then changed by hand.
    helper.getNode('gi').receive({ payload: { ...nos('BAD2'), Side: 'Z' }, fix: { msgType: 'D' } })
    const t = await FixTranslator.create('FIX.4.4')
    const r = t.toFix('D', nos('BAD3'))
    assert.ok(r.ok)
    r.payload.OrdType = '?'
    helper.getNode('gi').receive({ payload: r.payload, fix: r.fix })
    // A translated body with a field the dictionary lacks added after the translator.
    const r2 = t.toFix('D', nos('BAD4'))
    assert.ok(r2.ok)
    r2.payload.NoSuchField = 'x'
    helper.getNode('gi').receive({ payload: r2.payload, fix: r2.fix })
    await eventually(() => caught.length === 4, 20000, 'the three injected orders refused')
    assert.match(caught[1].error.message, /invalid D: .*Side/)
    assert.match(caught[2].error.message, /invalid D: .*OrdType/)
    assert.match(caught[3].error.message, /invalid D: .*NoSuchField/)

    // Nothing invalid went out: the next valid order is sequence 3 and the acceptor saw two.
    helper.getNode('tr').receive({ payload: nos('OK2'), side: '2' })
    await eventually(() => a1.length === 2, 20000, 'the second valid order at the acceptor')
    assert.deepStrictEqual(a1.map(m => m.payload.ClOrdID), ['OK1', 'OK2'])
    assert.strictEqual(a1[1].payload.Side, '2')
    assert.strictEqual(a1[1].fix.seq, 3)
  })
})
