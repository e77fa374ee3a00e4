import * as assert from 'assert'
import { FixTranslator } from '../../core/fix'
import { translator } from '../../nodes/shared/i18n'
import { decode, encode, loadTranslator } from '../../nodes/fix-translator/translate'
import catalog = require('../../nodes/fix-translator/locales/en-US/fix-translator.json')

const _ = translator({ _: (key: string) => key }, catalog)

const nos = {
  ClOrdID: 'C-1',
  Side: '1',
  TransactTime: '20240102-03:04:05.678',
  OrdType: '1',
  Instrument: { Symbol: 'IBM' },
  OrderQtyData: { OrderQty: 100 }
}

/** A heartbeat on the wire, with its real checksum. */
function heartbeat (): string {
  const head = '8=FIX.4.4\x019=5\x0135=0\x01'
  const sum = [...Buffer.from(head)].reduce((a, b) => a + b, 0) % 256
  return `${head}10=${String(sum).padStart(3, '0')}\x01`
}

describe('fix-translator translating one message', () => {
  let t: FixTranslator
  before(async () => { t = await FixTranslator.create('FIX.4.4') })

  it('loads a builtin dictionary and says what it builds, or that it decodes to objects', async () => {
    const building = await loadTranslator('FIX.4.4', true, 'D', _)
    assert.ok('translator' in building)
    assert.strictEqual(building.ready, 'FIX 4.4 → NewOrderSingle (D)')
    const typeFromMsg = await loadTranslator('FIX.4.4', true, '', _)
    assert.ok('translator' in typeFromMsg)
    assert.strictEqual(typeFromMsg.ready, 'FIX 4.4 → FIX')
    const decoding = await loadTranslator('FIX.4.4', false, 'ZZ', _)
    assert.ok('translator' in decoding)
    assert.strictEqual(decoding.ready, 'FIX 4.4 → object')
  })

  it('refuses at load a message type the dictionary does not have', async () => {
    const r = await loadTranslator('FIX.4.4', true, 'ZZ', _)
    assert.deepStrictEqual(r, { error: 'message type "ZZ" is not in the dictionary' })
  })

  it('says why a dictionary did not load, in the log and in the status', async () => {
    const r = await loadTranslator('/nowhere/at/all/FIX44.xml', true, 'D', _)
    const why = 'FIX dictionary not loaded: custom FIX dictionary "/nowhere/at/all/FIX44.xml" does not exist'
    assert.deepStrictEqual(r, { error: why, status: why })
  })

  it('encodes a valid message to the first output and shows ready', async () => {
    const msg: any = { payload: nos }
    const o = await encode(t, 'D', async m => m.payload, msg, _)
    assert.strictEqual(o.error, undefined)
    assert.strictEqual(o.status, 'ready')
    assert.deepStrictEqual(o.send, [msg, null])
    assert.strictEqual(msg.payload.OrderQtyData.OrderQty, '100')
    assert.strictEqual(msg.fix.msgTypeName, 'NewOrderSingle')
    assert.match(msg.fix.encoded, /^11=C-1\|/)
  })

  it('sends an invalid message to the second output with its problems, and fails it', async () => {
    const msg: any = { payload: { ...nos, Side: 'Z' } }
    const o = await encode(t, 'D', async m => m.payload, msg, _)
    assert.deepStrictEqual(o.send, [null, msg])
    assert.ok(o.error instanceof Error)
    assert.ok(o.status !== 'ready')
    assert.strictEqual(o.status.key, 'invalid:Side')
    assert.strictEqual(o.status.status.fill, 'red')
    assert.match(o.status.status.text ?? '', /^invalid: 1 problem\(s\), Side \(54\)/)
    assert.strictEqual(msg.fix.problems[0].field, 'Side')
  })

  it('takes the type from msg.fix.msgType, and fails a message that has none without sending it', async () => {
    const typed: any = { payload: nos, fix: { msgType: 'D' } }
    assert.strictEqual((await encode(t, '', async m => m.payload, typed, _)).status, 'ready')
    const o = await encode(t, '', async m => m.payload, { payload: nos }, _)
    assert.strictEqual(o.send, undefined)
    const noType = { fill: 'red', shape: 'ring', text: 'no message type' }
    assert.deepStrictEqual(o.status, { key: 'no-type', status: noType })
    assert.match(o.error?.message ?? '', /^no message type: choose one/)
  })

  it('fails a message whose mapping fails with the mapping\'s own error', async () => {
    const broken = new Error('Price: "x" is not a number')
    const o = await encode(t, 'D', async () => { throw broken }, { payload: nos }, _)
    assert.strictEqual(o.error, broken)
    assert.strictEqual(o.send, undefined)
    assert.ok(o.status !== 'ready' && o.status.key === 'mapping')
  })

  it('decodes FIX to an object routed by its type, keeping a fix_in row\'s columns', () => {
    const text = heartbeat()
    const msg: any = { payload: { raw: Buffer.from(text), raw_text: text, connection: 7 } }
    const o = decode(t, 'filter', ['0'], msg, _)
    assert.strictEqual(o.status, 'ready')
    assert.deepStrictEqual(o.send, [msg, null])
    assert.strictEqual(msg.fix.msgType, '0')
    assert.deepStrictEqual(msg.fix.row, { connection: 7 })
    const other: any = { payload: text }
    assert.deepStrictEqual(decode(t, 'filter', ['D'], other, _).send, [null, other])
  })

  it('fails input that is not FIX with its reason in the status, sending nothing', () => {
    const o = decode(t, 'all', [], { payload: heartbeat().replace(/10=\d+/, '10=000') }, _)
    assert.strictEqual(o.send, undefined)
    assert.deepStrictEqual(o.status, {
      key: 'bad:checksum', status: { fill: 'red', shape: 'ring', text: 'bad FIX input: checksum' }
    })
    assert.match(o.error?.message ?? '', /^not a valid FIX message: /)
  })
})
