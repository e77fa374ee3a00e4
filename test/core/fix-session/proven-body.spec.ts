import * as assert from 'assert'
import { FixTranslator, provenBody } from '../../../core/fix'
import { OutboundEncoder, OutboundMessageError } from '../../../core/fix-session/outbound-encoder'
import { validateAndWrite } from '../../../core/fix-session/validate-and-write'
import type { SessionSettings } from '../../../core/fix-session/settings'
import { er } from '../../support/fix-messages'

// Node-RED's RED.util.cloneMessage is lodash.clonedeep (it copies every own property, symbol keys too).
const cloneMessage = require('lodash.clonedeep') as <T>(v: T) => T

type Obj = Record<string, unknown>

const transactTime = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))
const samples: Array<[string, string, Obj]> = [
  ['FIX.4.2', 'D', {
    ClOrdID: 'C-1',
    HandlInst: '1',
    Symbol: 'IBM',
    Side: '1',
    TransactTime: transactTime,
    OrdType: '2',
    OrderQty: 100,
    Price: 0.1 + 0.2,
    NoAllocs: [{ AllocAccount: 'A1', AllocShares: 60 }, { AllocShares: 40, AllocAccount: 'A2' }]
  }],
  ['FIX.4.4', 'D', {
    Price: 101.5,
    ClOrdID: 'C-2',
    HandlInst: '1',
    Instrument: { Symbol: 'VOD.L', SecurityID: 'GB00BH4HKS39', SecurityIDSource: '4' },
    Parties: {
      NoPartyIDs: [
        { PartyID: 'FIRM1', PartyIDSource: 'D', PartyRole: 1 },
        { PartyRole: 12, PartyID: 'T7', PartyIDSource: 'D' }
      ]
    },
    Side: 'BUY',
    TransactTime: transactTime,
    OrderQtyData: { OrderQty: 1000 },
    OrdType: '2',
    LocateReqd: false,
    Text: 'a | b'
  }],
  ['FIX.4.4', '8', {
    OrderID: 'O-1',
    ExecID: 'E-1',
    ExecType: 'F',
    OrdStatus: '2',
    Instrument: { Symbol: 'IBM' },
    Side: '1',
    LeavesQty: 0,
    CumQty: 100,
    AvgPx: 99.25,
    LastPx: '99.250',
    LastQty: 100,
    TransactTime: transactTime
  }],
  ['FIX.5.0SP2', 'D', {
    ClOrdID: 'C-3',
    Instrument: { Symbol: 'IBM' },
    Side: '2',
    TransactTime: transactTime,
    OrderQtyData: { OrderQty: 5 },
    OrdType: '1'
  }]
]

const settings = (beginString: string): SessionSettings =>
  ({ beginString, senderCompID: 'CLI', targetCompID: 'BRK' }) as unknown as SessionSettings

async function setUp (dictionary: string): Promise<{ t: FixTranslator, encoder: OutboundEncoder }> {
  const t = await FixTranslator.create(dictionary)
  return { t, encoder: new OutboundEncoder(settings(t.beginString), t.codec, validateAndWrite) }
}

function translated (t: FixTranslator, msgType: string, body: Obj): Obj {
  const r = t.toFix(msgType, body)
  if (!r.ok) throw new Error(r.message)
  return r.payload
}

describe('a body the translator validated, sent by the session without validating it again', () => {
  it('is proven for its dictionary and message type, and the session sends exactly the text and fields a full ' +
    'validation of the same body gives', async () => {
    for (const [dictionary, msgType, body] of samples) {
      const { t, encoder } = await setUp(dictionary)
      const r = t.toFix(msgType, body)
      assert.ok(r.ok, dictionary)
      const payload = r.payload
      const proven = provenBody(t.definitions, msgType, payload)
      assert.ok(proven !== undefined, `${dictionary} ${msgType} proven`)
      assert.strictEqual(proven.text.split('\x01').join('|'), r.fix.encoded)
      const full = encoder.applicationBody({ msgType, body: JSON.parse(JSON.stringify(payload)) })
      assert.deepStrictEqual(encoder.applicationBody({ msgType, body: payload }), full, `${dictionary} ${msgType}`)
    }
  })

  it('is not proven once changed in place, for another message type or dictionary, as a copy, or with a ' +
    'value holding "="', async () => {
    const { t } = await setUp('FIX.4.4')
    const { t: t42 } = await setUp('FIX.4.2')
    const body = samples[1][2]
    const changed = (edit: (p: any) => void): Obj => {
      const p = translated(t, 'D', body)
      edit(p)
      return p
    }
    const cases: Array<[string, Obj]> = [
      ['a value changed', changed(p => { p.Side = '2' })],
      ['a value made a number', changed(p => { p.Price = 101.5 })],
      ['a field removed', changed(p => { delete p.Text })],
      ['a field added', changed(p => { p.Account = 'A1' })],
      ['an unknown key added', changed(p => { p.NoSuchField = 'x' })],
      ['a group entry removed', changed(p => { p.Parties.NoPartyIDs.pop() })],
      ['a nested value changed', changed(p => { p.Parties.NoPartyIDs[1].PartyRole = '3' })],
      ['a routing header added', changed(p => { p.StandardHeader = { OnBehalfOfCompID: 'DESK' } })]
    ]
    for (const [what, p] of cases) assert.strictEqual(provenBody(t.definitions, 'D', p), undefined, what)
    const p = translated(t, 'D', body)
    assert.ok(provenBody(t.definitions, 'D', p) !== undefined)
    assert.strictEqual(provenBody(t.definitions, '8', p), undefined, 'another message type')
    assert.strictEqual(provenBody(t42.definitions, 'D', p), undefined, 'another dictionary')
    assert.strictEqual(provenBody(t.definitions, 'D', { ...p }), undefined, 'a spread copy')
    assert.strictEqual(provenBody(t.definitions, 'D', cloneMessage(p)), undefined, 'Node-RED\'s clone')
    assert.strictEqual(provenBody(t.definitions, 'D', structuredClone(p)), undefined, 'structuredClone')
    const eq = translated(t, 'D', { ...body, Text: 'x=1' })
    assert.strictEqual(provenBody(t.definitions, 'D', eq), undefined, 'a value holding "="')
  })

  it('leaves the body as it was to whoever reads it: same keys, JSON, deep equality and clone', async () => {
    const { t } = await setUp('FIX.4.4')
    const p = translated(t, 'D', samples[1][2])
    const plain = JSON.parse(JSON.stringify(p))
    assert.deepStrictEqual(p, plain)
    assert.deepStrictEqual(Object.keys(p), Object.keys(plain))
    assert.deepStrictEqual(Object.getOwnPropertySymbols(p), [])
    assert.deepStrictEqual(cloneMessage(p), plain)
  })

  it('refuses a proven body changed in place as the full validation does, naming the field', async () => {
    const { t, encoder } = await setUp('FIX.4.4')
    const p = translated(t, 'D', samples[1][2])
    p.Side = 'Z'
    assert.throws(() => encoder.applicationBody({ msgType: 'D', body: p }),
      (err: Error) => err instanceof OutboundMessageError && /Side \(54\): "Z" is not a valid Side/.test(err.message))
    const q = translated(t, 'D', samples[1][2])
    q.Price = 'cheap'
    assert.throws(() => encoder.applicationBody({ msgType: 'D', body: q }),
      (err: Error) => err instanceof OutboundMessageError && /Price \(44\)/.test(err.message))
  })
})

describe('a body the session validates itself, sent without its inbound check run a second time', () => {
  // The same validation run through another function: the encoder then takes no shortcut and checks
  // the written text with the inbound rules, as every body was checked before.
  const fullCheck = (d: any, m: string, b: Obj): ReturnType<typeof validateAndWrite> => validateAndWrite(d, m, b)

  type Outcome = { text: string, fields: Array<[number, string]> } | { error: string, problems: string[] }
  const outcome = (encoder: OutboundEncoder, msgType: string, body: Obj): Outcome => {
    try {
      return encoder.applicationBody({ msgType, body })
    } catch (err) {
      assert.ok(err instanceof OutboundMessageError, String(err))
      return { error: err.message, problems: err.problems }
    }
  }

  it('gives the text and fields, or the refusal, that the full check gives, for every body', async () => {
    const report = er('C1', 1) as Obj
    const variants = (body: Obj): Obj[] => [
      body,
      { ...body, Text: 'x=1' },
      { ...body, Text: '35=D' },
      { ...body, Text: 'café' },
      { ...body, Text: 'a\tb' },
      { ...body, Text: 'a\x01b' },
      { ...body, Text: ' ' },
      { ...body, Text: 12 },
      { ...body, Side: 'Z' },
      { ...body, NoSuchField: 'x' },
      { ...body, StandardHeader: { OnBehalfOfCompID: 'DESK' } },
      { ...body, StandardHeader: { MsgSeqNum: 7 } },
      { ...body, StandardTrailer: { CheckSum: '000' } },
      { ...body, TransactTime: new Date(Number.NaN) },
      { ...body, Price: -0 },
      { ...body, Price: 1e21 },
      // What the session's own one-walk write (OutboundEncoder.written) must leave to the full path
      // or write the same way: absent header and trailer, skipped values, empty components and groups.
      { ...body, StandardHeader: null, StandardTrailer: undefined },
      { ...body, StandardHeader: {} },
      { ...body, Side: undefined, Text: null },
      { ...body, Text: '' },
      { ...body, Instrument: {} },
      { ...body, Parties: { NoPartyIDs: [] } },
      { ...body, Parties: { NoPartyIDs: [{ PartyID: 'P', PartyIDSource: 'D', PartyRole: 1 }, 'x'] } },
      { ...body, Parties: [{ PartyID: 'P', PartyIDSource: 'D', PartyRole: 1 }] },
      { ...body, Text: Buffer.from('abc') }
    ]
    const all: Array<[string, string, Obj]> = [...samples, ['FIX.4.4', '8', report]]
    let shortcuts = 0
    for (const [dictionary, msgType, body] of all) {
      const { t, encoder } = await setUp(dictionary)
      const checked = new OutboundEncoder(settings(t.beginString), t.codec, fullCheck)
      for (const [i, v] of variants(body).entries()) {
        const expected = outcome(checked, msgType, v)
        assert.deepStrictEqual(outcome(encoder, msgType, v), expected, `${dictionary} ${msgType} variant ${i}`)
        if ('text' in expected) shortcuts++
      }
    }
    assert.ok(shortcuts >= 10, `${shortcuts} bodies sent`)
  })
})
