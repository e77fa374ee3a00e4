import * as assert from 'assert'
import * as vm from 'vm'
import type { FixDefinitions } from 'jspurefix'
import { loadDictionary } from '../../../core/fix/dictionaries'
import { FixCodec, SOH_CHAR } from '../../../core/fix/codec'
import { describeProblems, formatDecimal, FixProblem, validateMessage, writeBody } from '../../../core/fix/validation'

const nos = (): Record<string, unknown> => ({
  ClOrdID: 'C-1',
  Side: '1',
  TransactTime: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
  OrdType: '2',
  Price: 99.5,
  Instrument: { Symbol: 'IBM' },
  OrderQtyData: { OrderQty: 100 },
  Parties: { NoPartyIDs: [{ PartyID: 'P1', PartyIDSource: 'D', PartyRole: 1 }] }
})

function only (problems: FixProblem[], field: string): FixProblem {
  const found = problems.filter(p => p.field === field)
  assert.strictEqual(found.length, 1, `one problem for ${field} in ${JSON.stringify(problems)}`)
  return found[0]
}

describe('FIX validation', () => {
  let fix44: FixDefinitions
  let codec: FixCodec
  before(async () => {
    fix44 = await loadDictionary('FIX.4.4')
    codec = await FixCodec.create('FIX.4.4')
  })
  const check = (body: Record<string, unknown>, msgType = 'D'): ReturnType<typeof validateMessage> =>
    validateMessage(fix44, msgType, body)

  it('accepts a valid NewOrderSingle and gives every value as its exact FIX text', () => {
    const r = check(nos())
    assert.deepStrictEqual(r.problems, [])
    assert.strictEqual(r.ok, true)
    assert.strictEqual(r.msgType, 'D')
    assert.strictEqual(r.msgTypeName, 'NewOrderSingle')
    assert.deepStrictEqual(r.body, {
      ClOrdID: 'C-1',
      Side: '1',
      TransactTime: '20240102-03:04:05.006',
      OrdType: '2',
      Price: '99.5',
      Instrument: { Symbol: 'IBM' },
      OrderQtyData: { OrderQty: '100' },
      Parties: { NoPartyIDs: [{ PartyID: 'P1', PartyIDSource: 'D', PartyRole: '1' }] }
    })
  })

  it('accepts objects and Dates made in another realm (a Node-RED function node sandbox)', () => {
    const sandbox = vm.runInNewContext('({ body: { ...base, TransactTime: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, ' +
      '6)), Instrument: { Symbol: "IBM" } } })',
    { base: { ...nos(), TransactTime: undefined } }) as { body: Record<string, unknown> }
    assert.ok(!(sandbox.body.TransactTime instanceof Date), 'the Date really is from another realm')
    const r = check(sandbox.body)
    assert.deepStrictEqual(r.problems, [])
    assert.strictEqual(r.body.TransactTime, '20240102-03:04:05.006')
  })

  it('takes the message type by name as well as by code', () => {
    const r = validateMessage(fix44, 'NewOrderSingle', nos())
    assert.strictEqual(r.ok, true)
    assert.strictEqual(r.msgType, 'D')
  })

  it('does not modify the input object', () => {
    const input = nos()
    const copy = JSON.parse(JSON.stringify(input))
    check(input)
    assert.deepStrictEqual(JSON.parse(JSON.stringify(input)), copy)
  })

  describe('required fields', () => {
    it('reports each missing required field of the message', () => {
      const input = nos()
      delete input.Side
      delete input.OrdType
      const r = check(input)
      assert.strictEqual(r.ok, false)
      assert.deepStrictEqual(r.problems.map(p => [p.field, p.tag, p.path]).sort(), [
        ['OrdType', 40, 'OrdType'],
        ['Side', 54, 'Side']
      ])
      assert.match(only(r.problems, 'Side').problem, /required field is missing/)
    })

    it('recurses into a missing required component and its repeating group', () => {
      const r = check({ Headline: 'News' }, 'B')
      const p = only(r.problems, 'NoLinesOfText')
      assert.strictEqual(p.tag, 33)
      assert.strictEqual(p.path, 'LinesOfTextGrp.NoLinesOfText')
    })

    it('recurses into group instances', () => {
      const r = check(
        {
          ListID: 'L1',
          BidType: 1,
          TotNoOrders: 1,
          ListOrdGrp: {
            NoOrders: [
              { ClOrdID: 'A', ListSeqNo: 1, Side: '1', Instrument: { Symbol: 'X' }, OrderQtyData: { OrderQty: 1 } },
              { ClOrdID: 'B', Instrument: { Symbol: 'Y' } }
            ]
          }
        },
        'E'
      )
      assert.deepStrictEqual(r.problems.map(p => p.path).sort(), [
        'ListOrdGrp.NoOrders[1].ListSeqNo',
        'ListOrdGrp.NoOrders[1].Side'
      ])
    })

    it('treats null and empty text as absent', () => {
      const r = check({ ...nos(), Side: null, OrdType: '' })
      assert.deepStrictEqual(r.problems.map(p => p.field).sort(), ['OrdType', 'Side'])
    })
  })

  describe('types and exact formatting', () => {
    it('writes 0.1 + 0.2 as 0.3, never 0.30000000000000004', () => {
      const r = check({ ...nos(), Price: 0.1 + 0.2, StopPx: 1.005 * 1000 })
      assert.strictEqual(r.body.Price, '0.3')
      assert.strictEqual(r.body.StopPx, '1005')
      const wire = codec.encodeBody(r.msgType, r.body).split(SOH_CHAR)
      assert.ok(wire.includes('44=0.3'), wire.join('|'))
    })

    it('never uses exponent notation and keeps decimal text verbatim', () => {
      assert.strictEqual(formatDecimal(1e-7), '0.0000001')
      assert.strictEqual(formatDecimal(-2.5e-8), '-0.000000025')
      assert.strictEqual(formatDecimal(1e21), '1000000000000000000000')
      assert.strictEqual(formatDecimal(123456.789), '123456.789')
      assert.strictEqual(formatDecimal(-0), '0')
      assert.strictEqual(check({ ...nos(), Price: '100.50' }).body.Price, '100.50')
    })

    it('uses a fixed number of decimals when one is set for the field', () => {
      const r = validateMessage(fix44, 'D', { ...nos(), Price: 0.1 + 0.2 }, { decimals: { Price: 2 } })
      assert.strictEqual(r.body.Price, '0.30')
    })

    it('rejects a float field that is not a finite decimal', () => {
      const r = check({ ...nos(), Price: 'abc', StopPx: Number.NaN, PrevClosePx: '1e5' })
      assert.deepStrictEqual(r.problems.map(p => p.field).sort(), ['PrevClosePx', 'Price', 'StopPx'])
    })

    it('writes integers as integers and rejects fractions', () => {
      const ok = check({ ...nos(), PriceType: 2, GTBookingInst: '1' })
      assert.strictEqual(ok.body.PriceType, '2')
      const r = check({ ...nos(), PriceType: 2.5 })
      assert.match(only(r.problems, 'PriceType').problem, /integer/)
      assert.strictEqual(only(r.problems, 'PriceType').tag, 423)
    })

    it('writes UTC timestamps with milliseconds and rejects bad ones', () => {
      assert.strictEqual(
        check({ ...nos(), TransactTime: '2024-01-02T04:04:05.5+01:00' }).body.TransactTime,
        '20240102-03:04:05.500'
      )
      assert.strictEqual(
        check({ ...nos(), TransactTime: Date.UTC(2024, 0, 2) }).body.TransactTime,
        '20240102-00:00:00.000'
      )
      assert.strictEqual(
        check({ ...nos(), TransactTime: '20240102-03:04:05.123456' }).body.TransactTime,
        '20240102-03:04:05.123456'
      )
      for (const bad of ['notadate', '20240230-00:00:00', '2024-01-02T03:04:05', new Date('x'), true]) {
        const r = check({ ...nos(), TransactTime: bad })
        assert.match(only(r.problems, 'TransactTime').problem, /UTC timestamp/, String(bad))
      }
    })

    it('never shifts a LocalMktDate by the machine timezone', () => {
      const saved = process.env.TZ
      try {
        for (const tz of ['America/New_York', 'Asia/Tokyo', 'UTC']) {
          process.env.TZ = tz
          const r = check({
            ...nos(),
            TradeDate: new Date(Date.UTC(2024, 0, 2)),
            SettlDate: '20240103',
            ExpireDate: '2024-01-04'
          })
          assert.deepStrictEqual(
            [r.body.TradeDate, r.body.SettlDate, r.body.ExpireDate],
            ['20240102', '20240103', '20240104'],
            tz
          )
          const wire = codec.encodeBody('D', r.body)
          assert.ok(wire.includes(`${SOH_CHAR}75=20240102${SOH_CHAR}`), `${tz}: ${wire}`)
        }
      } finally {
        if (saved === undefined) delete process.env.TZ
        else process.env.TZ = saved
      }
    })

    it('rejects an impossible date', () => {
      const r = check({ ...nos(), TradeDate: '20240230', SettlDate: 'tomorrow' })
      assert.deepStrictEqual(r.problems.map(p => p.field).sort(), ['SettlDate', 'TradeDate'])
    })

    it('writes booleans as Y/N and rejects anything else', () => {
      const r = check({ ...nos(), LocateReqd: true, SolicitedFlag: false, ForexReq: 'Y' })
      assert.deepStrictEqual([r.body.LocateReqd, r.body.SolicitedFlag, r.body.ForexReq], ['Y', 'N', 'Y'])
      const bad = check({ ...nos(), LocateReqd: 'yes' })
      assert.strictEqual(only(bad.problems, 'LocateReqd').tag, 114)
    })

    it('checks CHAR, currency and multiple-value fields', () => {
      const r = check({ ...nos(), HandlInst: '12', Currency: 'usd', ExecInst: ['1', '2'] })
      assert.deepStrictEqual(r.problems.map(p => p.field).sort(), ['Currency', 'HandlInst'])
      assert.strictEqual(r.body.ExecInst, '1 2')
    })

    it('writes numbers given for text fields as text (jspurefix would corrupt them)', () => {
      const r = check({ ...nos(), ClOrdID: 123 })
      assert.strictEqual(r.body.ClOrdID, '123')
      assert.ok(codec.encodeBody('D', r.body).startsWith(`11=123${SOH_CHAR}`))
    })

    it('rejects objects in a simple field', () => {
      const r = check({ ...nos(), Account: { a: 1 } })
      assert.match(only(r.problems, 'Account').problem, /expected text/)
    })
  })

  describe('enums', () => {
    it('rejects a value outside the field\'s enum and lists the valid ones', () => {
      const r = check({ ...nos(), Side: 'Z' })
      const p = only(r.problems, 'Side')
      assert.strictEqual(p.tag, 54)
      assert.match(p.problem, /"Z" is not a valid Side \(1 BUY, 2 SELL/)
    })

    it('accepts an enum by its name or description', () => {
      assert.strictEqual(check({ ...nos(), Side: 'Sell' }).body.Side, '2')
      assert.strictEqual(check({ ...nos(), Side: 'SELL' }).body.Side, '2')
    })

    it('checks each value of a multiple-value field', () => {
      const r = check({ ...nos(), ExecInst: '1 ZZ' })
      assert.match(only(r.problems, 'ExecInst').problem, /"ZZ"/)
    })

    it('checks enums inside group instances', () => {
      const input = nos()
      input.Parties = {
        NoPartyIDs: [
          { PartyID: 'P1', PartyIDSource: 'D', PartyRole: 1 },
          { PartyID: 'P2', PartyIDSource: 'D', PartyRole: 999 }
        ]
      }
      const p = only(check(input).problems, 'PartyRole')
      assert.strictEqual(p.path, 'Parties.NoPartyIDs[1].PartyRole')
      assert.strictEqual(p.tag, 452)
    })
  })

  describe('repeating groups', () => {
    it('derives the count from the array and accepts the group directly under its component', () => {
      const input = nos()
      input.Parties = [
        { PartyID: 'P1', PartyIDSource: 'D', PartyRole: 1 },
        { PartyID: 'P2', PartyIDSource: 'D', PartyRole: 3 }
      ]
      const r = check(input)
      assert.deepStrictEqual(r.problems, [])
      const wire = codec.encodeBody('D', r.body).split(SOH_CHAR)
      assert.deepStrictEqual(wire.filter(f => /^(453|448)=/.test(f)), ['453=2', '448=P1', '448=P2'])
    })

    it('rejects a group that is not an array (a count instead of instances)', () => {
      const r = check({ ...nos(), Parties: { NoPartyIDs: 2 } })
      const p = only(r.problems, 'NoPartyIDs')
      assert.strictEqual(p.tag, 453)
      assert.match(p.problem, /must be an array of instances/)
    })

    it('rejects an instance that is not an object', () => {
      const r = check({ ...nos(), Parties: { NoPartyIDs: [{ PartyID: 'P1' }, 'P2'] } })
      assert.strictEqual(only(r.problems, 'NoPartyIDs').path, 'Parties.NoPartyIDs[1]')
    })

    it('rejects an instance without the group\'s first field', () => {
      const r = check({ ...nos(), Parties: { NoPartyIDs: [{ PartyID: 'P1' }, { PartyRole: 3 }] } })
      const p = only(r.problems, 'PartyID')
      assert.strictEqual(p.tag, 448)
      assert.strictEqual(p.path, 'Parties.NoPartyIDs[1].PartyID')
    })

    it('rejects a component that is not an object', () => {
      const r = check({ ...nos(), Instrument: 'IBM' })
      assert.match(only(r.problems, 'Instrument').problem, /must be an object/)
    })
  })

  describe('text fields', () => {
    it('rejects SOH inside a value (field injection)', () => {
      const r = check({ ...nos(), ClOrdID: `X${SOH_CHAR}58=evil` })
      assert.match(only(r.problems, 'ClOrdID').problem, /SOH/)
    })

    it('rejects non-ASCII and control characters in plain strings, pointing at EncodedText', () => {
      const r = check({ ...nos(), Text: 'café', Account: 'a\nb' })
      assert.match(only(r.problems, 'Text').problem, /non-ASCII.*EncodedText/)
      assert.match(only(r.problems, 'Account').problem, /control character/)
    })

    it('sends Unicode in EncodedText as UTF-8 bytes with EncodedTextLen derived', () => {
      const r = check({ ...nos(), EncodedText: 'café € 日本' })
      assert.deepStrictEqual(r.problems, [])
      assert.ok(Buffer.isBuffer(r.body.EncodedText))
      assert.strictEqual(r.body.EncodedTextLen, String(Buffer.byteLength('café € 日本')))
      const parsed = codec.parse(
        codec.encode(
          'D',
          { BeginString: 'FIX.4.4', SenderCompID: 'A', TargetCompID: 'B', MsgSeqNum: 1, SendingTime: new Date() },
          r.body
        )
      )
      const back = parsed.toObject() as { EncodedText: Buffer }
      assert.strictEqual(Buffer.from(back.EncodedText).toString('utf8'), 'café € 日本')
    })

    it('writes raw data exactly as jspurefix does', () => {
      const r = check({ ...nos(), EncodedText: 'café € 日本', Text: 'plain' })
      assert.strictEqual(writeBody(fix44, 'D', r.body), codec.encodeBody('D', r.body))
    })

    it('rejects an EncodedTextLen that does not match, or one without EncodedText', () => {
      assert.match(
        only(check({ ...nos(), EncodedText: 'abc', EncodedTextLen: 5 }).problems, 'EncodedTextLen').problem,
        /3 bytes/
      )
      assert.match(
        only(check({ ...nos(), EncodedTextLen: 5 }).problems, 'EncodedTextLen').problem,
        /without EncodedText/
      )
    })
  })

  describe('header and trailer fields in the body', () => {
    it('rejects StandardHeader, StandardTrailer and session fields by name or tag', () => {
      const r = check({
        ...nos(),
        StandardHeader: { MsgSeqNum: 5 },
        StandardTrailer: { CheckSum: '000' },
        MsgSeqNum: 7,
        SenderCompID: 'EVIL',
        OnBehalfOfCompID: 'X',
        52: 'x',
        10: '000',
        8: 'FIX.4.4',
        9: 10
      })
      const fields = r.problems.map(p => `${p.field}:${p.tag ?? ''}`).sort()
      assert.deepStrictEqual(fields, [
        'BeginString:8',
        'BodyLength:9',
        'CheckSum:10',
        'MsgSeqNum:34',
        'OnBehalfOfCompID:115',
        'SenderCompID:49',
        'SendingTime:52',
        'StandardHeader:',
        'StandardTrailer:'
      ])
      assert.ok(r.problems.every(p => /must not be in the body/.test(p.problem)))
      assert.strictEqual(r.body.MsgSeqNum, undefined)
    })
  })

  describe('unknown input', () => {
    it('rejects a field that is not part of the message (jspurefix would drop it silently)', () => {
      const r = check({ ...nos(), Foo: 1, LastPx: 5, 44: 5 })
      assert.match(only(r.problems, 'Foo').problem, /not a field of NewOrderSingle \(D\)/)
      assert.strictEqual(only(r.problems, 'LastPx').tag, 31)
      assert.match(only(r.problems, 'Price').problem, /keyed by name/)
    })

    it('rejects an unknown message type and a message that is not an object', () => {
      assert.strictEqual(validateMessage(fix44, 'ZZZ', {}).problems[0].tag, 35)
      assert.match(validateMessage(fix44, 'D', 'x').problems[0].problem, /must be an object/)
      assert.match(validateMessage(fix44, 'D', [nos()]).problems[0].problem, /must be an object/)
    })
  })

  it('lists every problem, not just the first', () => {
    const r = check({
      ClOrdID: 'A\x01',
      Side: 'Z',
      TransactTime: 'x',
      Price: 'abc',
      Text: 'é',
      MsgSeqNum: 1,
      Foo: 1,
      Instrument: { Symbol: 'IBM' },
      Parties: { NoPartyIDs: [{ PartyRole: 1 }] }
    })
    assert.deepStrictEqual(r.problems.map(p => p.field).sort(), [
      'ClOrdID',
      'Foo',
      'MsgSeqNum',
      'OrdType',
      'PartyID',
      'Price',
      'Side',
      'Text',
      'TransactTime'
    ])
    const line = describeProblems('NewOrderSingle (D)', r.problems)
    assert.match(line, /^NewOrderSingle \(D\): 9 problems: /)
    assert.match(line, /Side \(54\): "Z" is not a valid Side/)
    assert.match(line, /PartyID \(448\) at Parties\.NoPartyIDs\[0\]\.PartyID/)
  })

  it('validates 4.2 and 5.0SP2 messages against their own dictionaries', async () => {
    const fix42 = await loadDictionary('FIX.4.2')
    const r42 = validateMessage(fix42, 'D', {
      ClOrdID: 'A',
      HandlInst: '1',
      Symbol: 'IBM',
      Side: '1',
      TransactTime: new Date(),
      OrdType: '1',
      Instrument: { Symbol: 'IBM' }
    })
    assert.deepStrictEqual(r42.problems.map(p => p.field), ['Instrument'])
    const fix50 = await loadDictionary('FIX.5.0SP2')
    const r50 = validateMessage(fix50, 'D', { ...nos(), OrderRequestID: 5 })
    assert.deepStrictEqual(r50.problems, [])
    assert.strictEqual(
      validateMessage(fix50, 'D', { ...nos(), ApplVerID: '9' }).problems[0].problem,
      'is a header field: the session sets the header, it must not be in the body'
    )
  })
})
