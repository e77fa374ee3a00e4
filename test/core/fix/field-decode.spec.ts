import * as assert from 'assert'
import type { MessageDefinition } from '../../../core/fix/jspurefix'
import { FixCodec, SOH_CHAR } from '../../../core/fix/codec'
import { FieldDecoder, supported } from '../../../core/fix/decode'
import { FixTranslator } from '../../../core/fix/translator'
import { er, nos } from '../../support/fix-messages'
import { fill, header, sameAsJspurefix } from './samples'

/** The codec gives jspurefix's object (samples.ts); true when the fast decode made it, not jspurefix. */
function fastAndSame (codec: FixCodec, frame: Buffer, label: string): boolean {
  sameAsJspurefix(codec, frame, label)
  const parsed = codec.parse(frame)
  const def = codec.definitions.message.get(parsed.msgType) as MessageDefinition
  return new FieldDecoder().decode(def, frame, parsed.fields) !== undefined
}

describe('Decoding from the parsed fields (decode.ts)', () => {
  for (const dictionary of ['FIX.4.2', 'FIX.4.4', 'FIX.5.0SP2']) {
    it(`gives jspurefix's object for every message type of ${dictionary}, groups and components filled`, async () => {
      const tr = await FixTranslator.create(dictionary)
      const codec = tr.codec
      let encoded = 0
      let fast = 0
      for (const [key, def] of codec.definitions.message) {
        if (key !== def.msgType) continue
        assert.ok(supported(def), `${def.name} is read by the fast path`)
        let frame: Buffer
        try {
          frame = codec.encode(def.msgType, header(tr.beginString), fill(def, 0, 0))
        } catch {
          continue // a body jspurefix itself cannot encode
        }
        encoded++
        if (fastAndSame(codec, frame, `${dictionary} ${def.name}`)) fast++
      }
      assert.ok(encoded > 40, `${encoded} message types encoded`)
      // 5.0SP2 nests the same tags in a message's components and groups: filled to the brim, more step aside.
      const share = dictionary === 'FIX.5.0SP2' ? 0.6 : 0.9
      assert.ok(fast >= encoded * share, `fast path for ${fast} of ${encoded}`)
    })
  }

  it('decodes the e2e flows\' NewOrderSingle and ExecutionReports through the fast path, as jspurefix', async () => {
    const codec = await FixCodec.create('FIX.4.4')
    const h = header('FIX.4.4')
    const bodies: Array<[string, Record<string, unknown>]> = [
      ['D', nos('C-1')],
      ['8', er('C-1', 1)],
      ['8', {
        ...er('C-2', 2),
        Parties: {
          NoPartyIDs: [{ PartyID: 'F1', PartyIDSource: 'D', PartyRole: 1 }, { PartyID: 'T7', PartyRole: 12 }]
        },
        TradeDate: new Date(Date.UTC(2024, 0, 2)),
        TransactTime: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)),
        Text: 'filled',
        Price: -0.125
      }]
    ]
    for (const [type, body] of bodies) {
      assert.ok(fastAndSame(codec, codec.encode(type, h, body), `${type} ${String(body.ClOrdID)}`), 'fast path')
    }
  })

  it('gives the same object where the fast path steps aside: order, repeats, unknown tags, data fields', async () => {
    const codec = await FixCodec.create('FIX.4.4')
    const frame = (fields: string): Buffer => {
      const rest = fields.split('|').join(SOH_CHAR) + SOH_CHAR
      const head = `8=FIX.4.4${SOH_CHAR}9=${rest.length}${SOH_CHAR}`
      let sum = 0
      for (const b of Buffer.from(head + rest, 'latin1')) sum += b
      return Buffer.from(`${head}${rest}10=${String(sum % 256).padStart(3, '0')}${SOH_CHAR}`, 'latin1')
    }
    const base = '35=8|49=BRK|56=CLI|34=7|52=20240102-03:04:05.123'
    const ids = `${base}|37=O|11=C`
    const rest = '17=E|150=F|39=2|55=I|54=1|151=0|14=1|6=1'
    const cases: Array<[string, string, boolean]> = [
      ['canonical', `${base}|37=O|11=C|17=E|150=F|39=2|55=IBM|54=1|38=100|151=0|14=100|6=99.5`, true],
      ['body out of order', `${base}|6=99.5|14=100|37=O|11=C|17=E|150=F|39=2|54=1|55=IBM|151=0|38=100`, true],
      ['a component split in two', `${base}|37=O|11=C|17=E|150=F|39=2|55=IBM|54=1|48=X|151=0|14=100|6=99.5`, false],
      ['a tag twice', `${base}|37=O|11=C|11=D|17=E|150=F|39=2|55=IBM|54=1|151=0|14=100|6=99.5`, false],
      ['an unknown tag', `${ids}|17=E|9999=x|150=F|39=2|55=IBM|54=1|151=0|14=100|6=99.5`, false],
      ['a tag of another message', `${ids}|17=E|150=F|39=2|55=IBM|54=1|151=0|14=100|6=99.5|108=30`, false],
      ['a group, count right', `${ids}|453=2|448=A|447=D|452=1|448=B|452=3|${rest}`, true],
      ['a group, count wrong', `${ids}|453=3|448=A|452=1|448=B|${rest}`, true],
      ['a group not starting with its first field', `${ids}|453=1|452=1|448=A|${rest}`, true],
      ['nested groups', `${ids}|453=1|448=A|452=1|802=2|523=s1|803=1|523=s2|803=2|${rest}`, true],
      ['a data field', `${ids}|17=E|150=F|39=2|55=IBM|54=1|151=0|14=100|6=99.5|354=3|355=abc`, false],
      ['odd numbers and times', `${ids}|17=E|150=F|39=2|55=I|54=1|151=0|14=+007|6=-.5|60=20240102-03:04|75=2024`, true],
      ['a high byte', `${base}|37=O|11=C|17=E|150=F|39=2|55=IBM|54=1|151=0|14=100|6=99.5|58=caf\xe9`, false]
    ]
    for (const [label, fields, fastExpected] of cases) {
      assert.strictEqual(fastAndSame(codec, frame(fields), label), fastExpected, `${label}: fast path`)
    }
  })

  it('gives the translator\'s payload and header as before for a FIX.4.2 and a FIX.5.0SP2 report', async () => {
    for (const dictionary of ['FIX.4.2', 'FIX.5.0SP2']) {
      const tr = await FixTranslator.create(dictionary)
      const body: Record<string, unknown> = dictionary === 'FIX.4.2'
        ? { ClOrdID: 'C', ExecTransType: '0', ExecType: '2', Symbol: 'IBM', AvgPx: 99.5 }
        : { ExecType: 'F', Instrument: { Symbol: 'IBM' } }
      Object.assign(body, { OrderID: 'O', ExecID: 'E', OrdStatus: '2', Side: '1', LeavesQty: 0, CumQty: 100 })
      Object.assign(body, { TradeDate: new Date(Date.UTC(2024, 0, 2)) })
      const frame = tr.codec.encode('8', header(tr.beginString), body)
      assert.ok(fastAndSame(tr.codec, frame, dictionary), `${dictionary}: fast path`)
      const out = tr.fromFix(frame)
      const ref = tr.codec.jspurefixObject(frame)
      assert.deepStrictEqual(out.fix.header, ref.StandardHeader)
      assert.strictEqual(out.payload.TradeDate, '20240102')
      assert.strictEqual(out.payload.OrderID, ref.OrderID)
    }
  })
})
