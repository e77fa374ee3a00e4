import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { FixHeader, FixParseError, SOH_CHAR } from '../../../core/fix/codec'
import { FixInputError, FixTranslator } from '../../../core/fix/translator'
import { parseFieldPath, setFieldPath } from '../../../core/fix/mapping'
import { listFields, listMessages } from '../../../core/fix/catalog'
import { tempDirPerSuite } from '../../support/temp'

type Obj = Record<string, unknown>

const transactTime = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678))
const parties = {
  NoPartyIDs: [
    { PartyID: 'FIRM1', PartyIDSource: 'D', PartyRole: 1 },
    { PartyID: 'TRADER7', PartyIDSource: 'D', PartyRole: 12 }
  ]
}

/** The four order messages, plus the repeating group each version has for them. */
const samples: Record<string, Record<string, Obj>> = {
  'FIX.4.2': {
    D: {
      ClOrdID: 'C-1',
      HandlInst: '1',
      Symbol: 'IBM',
      Side: '1',
      TransactTime: transactTime,
      OrdType: '2',
      OrderQty: 100,
      Price: 0.1 + 0.2,
      TimeInForce: '0',
      NoAllocs: [
        { AllocAccount: 'A1', AllocShares: 60 },
        { AllocAccount: 'A2', AllocShares: 40 }
      ]
    },
    8: {
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
      LastPx: 99.25,
      LastShares: 100,
      TradeDate: '20240102',
      TransactTime: transactTime,
      NoContraBrokers: [{ ContraBroker: 'BRK1', ContraTradeQty: 100 }]
    },
    F: { OrigClOrdID: 'C-1', ClOrdID: 'C-2', Symbol: 'IBM', Side: '1', TransactTime: transactTime, OrderQty: 100 },
    G: {
      OrigClOrdID: 'C-1',
      ClOrdID: 'C-3',
      HandlInst: '1',
      Symbol: 'IBM',
      Side: '1',
      TransactTime: transactTime,
      OrdType: '2',
      OrderQty: 150,
      Price: 101.5
    }
  },
  'FIX.4.4': {
    D: {
      ClOrdID: 'C-1',
      Parties: parties,
      Instrument: { Symbol: 'IBM', SecurityID: '459200101', SecurityIDSource: '1' },
      Side: '1',
      TransactTime: transactTime,
      OrderQtyData: { OrderQty: 100 },
      OrdType: '2',
      Price: 0.1 + 0.2,
      TradeDate: '20240102',
      LocateReqd: false
    },
    8: {
      OrderID: 'O-1',
      ExecID: 'E-1',
      ExecType: 'F',
      OrdStatus: '2',
      Parties: parties,
      Instrument: { Symbol: 'IBM' },
      Side: '1',
      LeavesQty: 0,
      CumQty: 100,
      AvgPx: 99.25,
      LastPx: 99.25,
      LastQty: 100,
      TransactTime: transactTime
    },
    F: {
      OrigClOrdID: 'C-1',
      ClOrdID: 'C-2',
      Instrument: { Symbol: 'IBM' },
      Side: '1',
      TransactTime: transactTime,
      OrderQtyData: { OrderQty: 100 }
    },
    G: {
      OrigClOrdID: 'C-1',
      ClOrdID: 'C-3',
      Parties: parties,
      Instrument: { Symbol: 'IBM' },
      Side: '1',
      TransactTime: transactTime,
      OrderQtyData: { OrderQty: 150 },
      OrdType: '2',
      Price: 101.5
    }
  },
  'FIX.5.0SP2': {
    D: {
      ClOrdID: 'C-1',
      Parties: parties,
      Instrument: { Symbol: 'IBM' },
      Side: '1',
      TransactTime: transactTime,
      OrderQtyData: { OrderQty: 100 },
      OrdType: '2',
      Price: 0.1 + 0.2,
      TradeDate: '20240102'
    },
    8: {
      OrderID: 'O-1',
      ExecID: 'E-1',
      ExecType: 'F',
      OrdStatus: '2',
      Parties: parties,
      Instrument: { Symbol: 'IBM' },
      Side: '1',
      LeavesQty: 0,
      CumQty: 100,
      AvgPx: 99.25,
      LastPx: 99.25,
      LastQty: 100,
      TransactTime: transactTime
    },
    F: { ClOrdID: 'C-2', OrigClOrdID: 'C-1', Instrument: { Symbol: 'IBM' }, Side: '1', TransactTime: transactTime },
    G: {
      OrigClOrdID: 'C-1',
      ClOrdID: 'C-3',
      Parties: parties,
      Instrument: { Symbol: 'IBM' },
      Side: '1',
      TransactTime: transactTime,
      OrderQtyData: { OrderQty: 150 },
      OrdType: '2',
      Price: 101.5
    }
  }
}

const names: Record<string, string> = {
  D: 'NewOrderSingle',
  8: 'ExecutionReport',
  F: 'OrderCancelRequest',
  G: 'OrderCancelReplaceRequest'
}
const groupOf: Record<string, (o: Obj) => unknown[]> = {
  'FIX.4.2': o => (o.NoAllocs ?? o.NoContraBrokers ?? []) as unknown[],
  'FIX.4.4': o => ((o.Parties as Obj | undefined)?.NoPartyIDs ?? []) as unknown[],
  'FIX.5.0SP2': o => ((o.Parties as Obj | undefined)?.NoPartyIDs ?? []) as unknown[]
}

function frame (t: FixTranslator, msgType: string, payload: Obj, seq = 1): Buffer {
  const header: FixHeader = {
    BeginString: t.beginString,
    SenderCompID: 'CLIENT',
    TargetCompID: 'BROKER',
    MsgSeqNum: seq,
    SendingTime: new Date(Date.UTC(2024, 0, 2, 3, 4, 6))
  }
  return t.codec.encode(msgType, header, payload)
}

function ok (r: ReturnType<FixTranslator['toFix']>): Extract<ReturnType<FixTranslator['toFix']>, { ok: true }> {
  if (!r.ok) assert.fail(r.message)
  return r
}

describe('FIX translator engine', function () {
  this.timeout(30000)

  for (const dictionary of Object.keys(samples)) {
    describe(`round trips in ${dictionary}`, () => {
      let t: FixTranslator
      before(async () => { t = await FixTranslator.create(dictionary) })

      for (const msgType of Object.keys(samples[dictionary])) {
        it(`${names[msgType]} (${msgType}): object -> FIX -> object -> the same FIX`, () => {
          const first = ok(t.toFix(names[msgType], samples[dictionary][msgType]))
          assert.deepStrictEqual(
            {
              msgType: first.fix.msgType,
              msgTypeName: first.fix.msgTypeName,
              beginString: first.fix.beginString,
              dictionary: first.fix.dictionary
            },
            {
              msgType,
              msgTypeName: names[msgType],
              beginString: dictionary === 'FIX.5.0SP2' ? 'FIXT.1.1' : dictionary,
              dictionary
            }
          )
          assert.ok(!first.fix.encoded.includes(SOH_CHAR))
          // The translator's own writer gives exactly jspurefix's encoding of the validated body.
          assert.strictEqual(first.fix.encoded, t.codec.encodeBody(msgType, first.payload).split(SOH_CHAR).join('|'))
          const wire = frame(t, msgType, first.payload)
          const back = t.fromFix(wire)
          assert.strictEqual(back.fix.msgType, msgType)
          assert.strictEqual(back.fix.msgTypeName, names[msgType])
          assert.strictEqual(back.fix.header?.SenderCompID, 'CLIENT')
          assert.strictEqual(back.payload.StandardHeader, undefined)
          assert.strictEqual(back.payload.StandardTrailer, undefined)
          assert.strictEqual(back.fix.encoded, wire.toString('latin1').split(SOH_CHAR).join('|'))
          assert.deepStrictEqual((back.payload.TransactTime as Date).toISOString(), transactTime.toISOString())
          const again = ok(t.toFix(msgType, back.payload))
          assert.strictEqual(again.fix.encoded, first.fix.encoded)
          assert.deepStrictEqual(
            groupOf[dictionary](back.payload).length,
            groupOf[dictionary](samples[dictionary][msgType]).length
          )
        })
      }

      it('carries a repeating group as an array with its count derived', () => {
        const msgType = dictionary === 'FIX.4.2' ? 'D' : 'D'
        const first = ok(t.toFix(msgType, samples[dictionary][msgType]))
        const countTag = dictionary === 'FIX.4.2' ? '78' : '453'
        assert.ok(first.fix.encoded.includes(`|${countTag}=2|`), first.fix.encoded)
        const back = t.fromFix(frame(t, msgType, first.payload))
        const group = groupOf[dictionary](back.payload) as Obj[]
        assert.ok(Array.isArray(group))
        assert.strictEqual(group.length, 2)
        assert.deepStrictEqual(
          group.map(g => g.PartyID ?? g.AllocAccount),
          dictionary === 'FIX.4.2' ? ['A1', 'A2'] : ['FIRM1', 'TRADER7']
        )
      })

      it('writes the price computed as 0.1 + 0.2 as 44=0.3', () => {
        assert.ok(ok(t.toFix('D', samples[dictionary].D)).fix.encoded.includes('|44=0.3|'))
      })
    })
  }

  describe('FIX -> object inputs and checks', () => {
    let t: FixTranslator
    let wire: Buffer
    before(async () => {
      t = await FixTranslator.create('FIX.4.4')
      wire = frame(t, 'D', ok(t.toFix('D', samples['FIX.4.4'].D)).payload, 42)
    })
    const text = (): string => wire.toString('latin1')

    it('accepts SOH text, | text, a Buffer and fix_in rows', () => {
      const rowHex = { rx_sequence: '5', raw: '\\x' + wire.toString('hex') }
      const inputs: unknown[] = [
        text(),
        text().split(SOH_CHAR).join('|'),
        wire,
        { raw_text: text() },
        { raw: wire },
        rowHex,
        { raw: JSON.parse(JSON.stringify(wire)) }
      ]
      for (const input of inputs) {
        const r = t.fromFix(input)
        assert.strictEqual(r.fix.msgType, 'D')
        assert.strictEqual(r.fix.header?.MsgSeqNum, 42)
        assert.strictEqual(r.payload.ClOrdID, 'C-1')
        assert.strictEqual(r.payload.Price, 0.3)
        assert.strictEqual(r.payload.TradeDate, '20240102')
        assert.strictEqual(r.payload.LocateReqd, false)
      }
    })

    it('rejects a wrong CheckSum', () => {
      const bad = text().replace(
        /10=\d{3}\x01$/,
        m => `10=${String((Number(m.slice(3, 6)) + 1) % 256).padStart(3, '0')}\x01`
      )
      assert.throws(
        () => t.fromFix(bad),
        (e: unknown) => e instanceof FixParseError && e.reason === 'checksum' && e.tag === 10
      )
    })

    it('rejects a wrong BodyLength', () => {
      const bad = text().replace(/\x019=(\d+)\x01/, (_m, n: string) => `\x019=${Number(n) - 3}\x01`)
      assert.throws(
        () => t.fromFix(bad),
        (e: unknown) => e instanceof FixParseError && e.reason === 'bodylength' && e.tag === 9
      )
    })

    it('rejects truncated input', () => {
      for (const cut of [5, 14, 60, text().length - 4]) {
        assert.throws(
          () => t.fromFix(text().slice(0, cut)),
          (e: unknown) => e instanceof FixParseError && ['truncated', 'garbled', 'bodylength'].includes(e.reason),
          `cut at ${cut}`
        )
      }
      assert.throws(
        () => t.fromFix(text().slice(0, 60)),
        (e: unknown) => e instanceof FixParseError && e.reason === 'truncated'
      )
    })

    it('rejects garbled input', () => {
      for (const bad of [
        'hello world',
        '8=FIX.4.4\x019=abc\x0135=D\x0110=000\x01',
        text().replace('35=D', '35D'),
        'x' + text(),
        text() + 'garbage'
      ]) {
        assert.throws(
          () => t.fromFix(bad),
          (e: unknown) => e instanceof FixParseError,
          JSON.stringify(bad.slice(0, 30))
        )
      }
      // A frame that is intact but whose body cannot be split into tag=value fields.
      const body = '35=D\x0111=X\x01oops\x01'
      const head = `8=FIX.4.4\x019=${body.length}\x01`
      let sum = 0
      for (const c of Buffer.from(head + body, 'latin1')) sum += c
      assert.throws(
        () => t.fromFix(`${head}${body}10=${String(sum % 256).padStart(3, '0')}\x01`),
        (e: unknown) => e instanceof FixParseError && e.reason === 'garbled'
      )
    })

    it('rejects a message type the dictionary does not know', () => {
      const body = '35=ZZ\x0149=A\x0156=B\x0134=1\x0152=20240102-03:04:05.000\x01'
      const head = `8=FIX.4.4\x019=${body.length}\x01`
      let sum = 0
      for (const c of Buffer.from(head + body, 'latin1')) sum += c
      assert.throws(
        () => t.fromFix(`${head}${body}10=${String(sum % 256).padStart(3, '0')}\x01`),
        (e: unknown) => e instanceof FixParseError && e.tag === 35
      )
    })

    it('rejects input that is not a FIX message at all', () => {
      for (const bad of [42, null, [text()], { foo: 'bar' }]) {
        assert.throws(() => t.fromFix(bad), FixInputError)
      }
    })

    it('refuses to encode an invalid message and says why', () => {
      const r = t.toFix('D', { ClOrdID: 'X' })
      assert.strictEqual(r.ok, false)
      if (r.ok) return
      assert.match(r.message, /^NewOrderSingle \(D\): 3 problems: /)
      assert.deepStrictEqual(r.problems.map(p => p.field).sort(), ['OrdType', 'Side', 'TransactTime'])
    })
  })

  describe('a custom dictionary with a user-defined field', () => {
    const tempDir = tempDirPerSuite('fix-dict-')
    let t: FixTranslator
    let file: string
    before(async () => {
      const fix44 = fs.readFileSync(require.resolve('jspurefix/data/FIX44.xml'), 'utf8')
      const withField = fix44
        .replace(/<message name=['"]NewOrderSingle['"][^>]*>/, m => `${m}\n   <field name="MyStrategyTag" ` +
          'required="N" />')
        .replace('</fields>', '  <field number="5001" name="MyStrategyTag" type="STRING">\n   <value enum="VWAP" ' +
          'description="VWAP" />\n   <value enum="TWAP" description="TWAP" />\n  </field>\n </fields>')
      assert.notStrictEqual(withField, fix44)
      file = path.join(tempDir(), 'FIX44-venue.xml')
      fs.writeFileSync(file, withField)
      t = await FixTranslator.create(file)
    })

    it('validates, encodes and decodes the field by name', () => {
      assert.strictEqual(t.beginString, 'FIX.4.4')
      const r = ok(t.toFix('D', { ...samples['FIX.4.4'].D, MyStrategyTag: 'VWAP' }))
      assert.match(r.fix.encoded, /(^|\|)5001=VWAP\|/)
      assert.strictEqual(r.fix.dictionary, file)
      const back = t.fromFix(frame(t, 'D', r.payload))
      assert.strictEqual(back.payload.MyStrategyTag, 'VWAP')
    })

    it('checks the field\'s enum', () => {
      const r = t.toFix('D', { ...samples['FIX.4.4'].D, MyStrategyTag: 'POV' })
      assert.strictEqual(r.ok, false)
      if (!r.ok) assert.deepStrictEqual(r.problems.map(p => [p.field, p.tag]), [['MyStrategyTag', 5001]])
    })

    it('lists the field for the editor', () => {
      const f = listFields(t.definitions, 'D')!.find(e => e.name === 'MyStrategyTag')
      assert.deepStrictEqual(f, {
        path: 'MyStrategyTag',
        name: 'MyStrategyTag',
        tag: 5001,
        kind: 'field',
        type: 'STRING',
        required: false,
        enums: [
          { value: 'VWAP', description: 'VWAP' },
          { value: 'TWAP', description: 'TWAP' }
        ]
      })
    })
  })

  describe('field paths and catalog', () => {
    it('builds a message from mapped field paths', () => {
      const o: Obj = {}
      setFieldPath(o, parseFieldPath('Instrument.Symbol'), 'IBM')
      setFieldPath(o, parseFieldPath('Parties.NoPartyIDs[1].PartyID'), 'P2')
      setFieldPath(o, parseFieldPath('Parties.NoPartyIDs[0].PartyID'), 'P1')
      setFieldPath(o, parseFieldPath('ClOrdID'), 'C')
      assert.deepStrictEqual(o, {
        Instrument: { Symbol: 'IBM' },
        Parties: { NoPartyIDs: [{ PartyID: 'P1' }, { PartyID: 'P2' }] },
        ClOrdID: 'C'
      })
      assert.throws(() => parseFieldPath('a..b'), /not a FIX field path/)
      assert.throws(() => parseFieldPath(''), /empty/)
    })

    it('lists messages by name and code, and a message\'s fields with tags, groups and enums', async () => {
      const t = await FixTranslator.create('FIX.4.4')
      const messages = listMessages(t.definitions)
      assert.deepStrictEqual(
        messages.find(m => m.msgType === 'D'),
        { msgType: 'D', name: 'NewOrderSingle', category: 'app' }
      )
      assert.strictEqual(new Set(messages.map(m => m.msgType)).size, messages.length)
      const fields = listFields(t.definitions, 'NewOrderSingle')!
      const byPath = new Map(fields.map(f => [f.path, f]))
      assert.deepStrictEqual(byPath.get('Parties.NoPartyIDs'), {
        path: 'Parties.NoPartyIDs',
        name: 'NoPartyIDs',
        tag: 453,
        kind: 'group',
        required: false
      })
      assert.strictEqual(byPath.get('Parties.NoPartyIDs[0].PartyRole')?.tag, 452)
      assert.deepStrictEqual(byPath.get('Side')?.enums?.slice(0, 2), [
        { value: '1', description: 'BUY' },
        { value: '2', description: 'SELL' }
      ])
      assert.strictEqual(byPath.get('Side')?.required, true)
      assert.strictEqual(byPath.get('StandardHeader'), undefined)
      assert.strictEqual(listFields(t.definitions, 'nope'), undefined)
    })
  })
})
