import * as assert from 'assert'
import { FixCodec } from '../../../core/fix/codec'
import { validateAndWrite } from '../../../core/fix-session/session-runtime'

// The session's default validator writes the wire text itself; it must be exactly what the
// codec's jspurefix encoder writes for the same validated body.
const transactTime = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))
const parties = {
  NoPartyIDs: [
    { PartyID: 'FIRM1', PartyIDSource: 'D', PartyRole: 1 },
    { PartyID: 'TRADER7', PartyIDSource: 'D', PartyRole: 12 }
  ]
}
// [message type as given (code or name), its code, body]
const bodies: Record<string, Array<[string, string, Record<string, unknown>]>> = {
  'FIX.4.2': [
    [
      'D',
      'D',
      {
        Price: 0.1 + 0.2,
        ClOrdID: 'C-1',
        HandlInst: '1',
        Symbol: 'IBM',
        Side: '1',
        TransactTime: transactTime,
        OrdType: '2',
        OrderQty: 100,
        NoAllocs: [
          { AllocShares: 60, AllocAccount: 'A1' },
          { AllocAccount: 'A2', AllocShares: 40 }
        ]
      }
    ],
    [
      '8',
      '8',
      {
        OrderID: 'O-1',
        ExecID: 'E-1',
        ExecTransType: '0',
        ExecType: '2',
        OrdStatus: '2',
        Symbol: 'IBM',
        Side: '1',
        LeavesQty: 0,
        CumQty: 100,
        AvgPx: 99.25,
        LastPx: '99.250',
        LastShares: 100,
        TransactTime: transactTime
      }
    ]
  ],
  'FIX.4.4': [
    [
      'NewOrderSingle',
      'D',
      {
        TradeDate: '20240102',
        ClOrdID: 'C-1',
        Parties: parties,
        Instrument: { SecurityIDSource: '1', Symbol: 'IBM', SecurityID: '459200101' },
        Side: '1',
        TransactTime: transactTime,
        OrderQtyData: { OrderQty: 100 },
        OrdType: '2',
        Price: 101.5,
        LocateReqd: false,
        EncodedText: 'café € 日本',
        Text: 'plain'
      }
    ],
    [
      'ExecutionReport',
      '8',
      {
        OrderID: 'O-1',
        ExecID: 'E-1',
        ExecType: 'F',
        OrdStatus: '2',
        Instrument: { Symbol: 'IBM' },
        Side: '1',
        LeavesQty: 0,
        CumQty: 100,
        AvgPx: 99.25,
        LastPx: 99.25,
        LastQty: 100,
        TransactTime: transactTime
      }
    ]
  ],
  'FIX.5.0SP2': [
    [
      'D',
      'D',
      {
        ClOrdID: 'C-1',
        Parties: parties,
        Instrument: { Symbol: 'IBM' },
        Side: '2',
        TransactTime: transactTime,
        OrderQtyData: { OrderQty: 100 },
        OrdType: '1'
      }
    ]
  ]
}

describe('session default validator: validateAndWrite', () => {
  for (const [dictionary, list] of Object.entries(bodies)) {
    describe(dictionary, () => {
      let codec: FixCodec
      before(async () => { codec = await FixCodec.create(dictionary) })
      for (const [msgType, code, body] of list) {
        it(`${msgType}: the encoded text is the codec's encoding of the checked body`, () => {
          const check = validateAndWrite(codec.definitions, msgType, body)
          assert.deepStrictEqual(check.problems, [])
          assert.ok(check.ok && check.body !== undefined && check.encoded !== undefined)
          assert.strictEqual(check.encoded, codec.encodeBody(code, check.body))
        })
      }
    })
  }

  it('writes nothing for an invalid body', async () => {
    const codec = await FixCodec.create('FIX.4.4')
    const check = validateAndWrite(codec.definitions, 'D', { ClOrdID: 'C-1', Side: '9', Foo: 1 })
    assert.strictEqual(check.ok, false)
    assert.ok(check.problems.length > 0)
    assert.strictEqual(check.encoded, undefined)
  })
})
