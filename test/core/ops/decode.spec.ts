import * as assert from 'assert'
import { loadDictionary } from '../../../core/fix/dictionaries'
import type { FixDefinitions } from '../../../core/fix/jspurefix'
import { decodeForDisplay, DisplayDecodeError, rawFields } from '../../../core/ops/decode'

const SOH = '\x01'
const msg = (...fields: string[]): string => fields.join(SOH) + SOH

describe('journal message decoding for display', () => {
  let fix44: FixDefinitions
  before(async function () {
    this.timeout(30000)
    fix44 = await loadDictionary('FIX.4.4')
  })

  it('names every field and describes enum values (54=1 is Side Buy)', () => {
    const raw = msg(
      '8=FIX.4.4',
      '9=120',
      '35=8',
      '49=EXCH',
      '56=GW',
      '34=7',
      '52=20260101-10:00:00.000',
      '37=O1',
      '17=E1',
      '150=0',
      '39=0',
      '11=C1',
      '55=EURUSD',
      '54=1',
      '38=100',
      '151=100',
      '14=0',
      '6=0',
      '10=123'
    )
    const d = decodeForDisplay(raw, fix44)
    assert.strictEqual(d.msgName, 'ExecutionReport')
    const side = d.fields.find(f => f.tag === 54)
    assert.deepStrictEqual(side, { tag: 54, name: 'Side', value: '1', description: 'BUY' })
    assert.strictEqual(d.fields.find(f => f.tag === 49)?.name, 'SenderCompID')
    assert.strictEqual(d.fields.find(f => f.tag === 10)?.name, 'CheckSum')
    assert.strictEqual(d.fields.find(f => f.tag === 150)?.description, 'NEW')
    assert.deepStrictEqual(d.problems, [])
  })

  it('nests repeating groups under their NumInGroup field, one list per instance', () => {
    const raw = msg('8=FIX.4.4', '9=99', '35=D', '49=GW', '56=EXCH', '34=2', '52=20260101-10:00:00.000', '11=C9',
      '453=2', '448=TRADER1', '447=D', '452=11', '448=DESK', '447=D', '452=3', '21=1', '55=EURUSD', '54=2',
      '60=20260101-10:00:00.000', '38=5', '40=1', '10=001')
    const d = decodeForDisplay(raw, fix44)
    const parties = d.fields.find(f => f.tag === 453)
    assert.strictEqual(parties?.name, 'NoPartyIDs')
    assert.strictEqual(parties?.groups?.length, 2)
    assert.deepStrictEqual(
      parties?.groups?.[1].map(f => [f.name, f.value]),
      [
        ['PartyID', 'DESK'],
        ['PartyIDSource', 'D'],
        ['PartyRole', '3']
      ]
    )
    // The fields after the group are back at the top level.
    assert.ok(d.fields.some(f => f.tag === 21 && f.name === 'HandlInst'))
    assert.strictEqual(d.fields.find(f => f.tag === 54)?.description, 'SELL')
    assert.deepStrictEqual(d.problems, [])
  })

  it('reports a group count that does not match its instances instead of failing', () => {
    const raw = msg('8=FIX.4.4', '35=D', '11=C9', '453=3', '448=A', '447=D', '452=1', '55=X', '10=001')
    const d = decodeForDisplay(raw, fix44)
    assert.deepStrictEqual(d.problems, ['NoPartyIDs: says 3, found 1'])
    assert.ok(d.fields.some(f => f.tag === 55))
  })

  it('shows an unknown MsgType and unknown tags by number, with a problem line', () => {
    const d = decodeForDisplay(msg('8=FIX.4.4', '35=ZZ', '9999=x', '55=EURUSD'), fix44)
    assert.deepStrictEqual(d.problems, ['MsgType ZZ is not in the dictionary'])
    assert.deepStrictEqual(d.fields.find(f => f.tag === 9999), { tag: 9999, value: 'x' })
    assert.strictEqual(d.fields.find(f => f.tag === 55)?.name, 'Symbol')
  })

  it('without a dictionary shows every field by tag and says so', () => {
    const d = decodeForDisplay('8=FIX.4.4|35=0|10=000|', undefined)
    assert.deepStrictEqual(d.fields.map(f => f.tag), [8, 35, 10])
    assert.deepStrictEqual(d.problems, ['no dictionary: fields shown by tag only'])
  })

  it('refuses text that is not tag=value with a named error', () => {
    assert.throws(() => rawFields('hello world'), DisplayDecodeError)
    assert.throws(() => decodeForDisplay('', fix44), /empty message/)
  })
})
