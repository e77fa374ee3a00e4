import * as assert from 'assert'
import { FixCodec } from '../../../core/fix/codec'
import { fix44Frame } from '../../support/fix-messages'

const ids = '35=8|49=BRK|56=CLI|34=7|52=20240102-03:04:05.25|37=O|11=C|17=E|150=F|39=2|55=IBM|54=1|151=0|14=1|6=1'
/** Seconds and milliseconds of a decoded time. */
const secMs = (d: unknown): string => {
  assert.ok(d instanceof Date, `a Date, not ${String(d)}`)
  return `${d.getUTCSeconds()}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`
}

describe('FIX decode of a time whose fraction of a second has one or two digits', () => {
  let codec: FixCodec
  before(async () => { codec = await FixCodec.create('FIX.4.4') })

  it('reads .9 as 900 ms and .25 as 250 ms, not the bytes after the value', () => {
    const m = codec.parse(fix44Frame(`${ids}|60=20240102-03:04:05.9`))
    const obj = m.toObject()
    assert.strictEqual(secMs(obj.TransactTime), '5.900')
    assert.strictEqual(secMs((obj.StandardHeader as Record<string, unknown>).SendingTime), '5.250')
    const sent = obj.StandardHeader as Record<string, unknown>
    assert.strictEqual(sent.BodyLength, Number(m.get(9)), 'the BodyLength as it came')
    assert.strictEqual((obj.StandardTrailer as Record<string, unknown>).CheckSum, m.get(10), 'the CheckSum as it came')
    const parts = m.toParts()
    assert.strictEqual(secMs(parts.body.TransactTime), '5.900')
    assert.strictEqual(secMs(parts.header?.SendingTime), '5.250')
  })

  it('reads them the same where the fast decode steps aside for jspurefix (an unknown tag)', () => {
    const m = codec.parse(fix44Frame(`${ids}|60=20240102-03:04:05.9|9999=x`))
    assert.strictEqual(secMs(m.toObject().TransactTime), '5.900')
    assert.strictEqual(secMs(m.toParts().body.TransactTime), '5.900')
  })

  it('reads a UTCTimeOnly in a repeating group the same way (MDEntryTime .5 is 500 ms)', () => {
    const w = '35=W|49=BRK|56=CLI|34=7|52=20240102-03:04:05.123|55=IBM|268=2|269=0|270=1.5|273=03:04:05.5' +
      '|269=1|270=1.75|273=03:04:06.125'
    const grp = codec.parse(fix44Frame(w)).toObject().MDFullGrp as Record<string, unknown>
    const entries = grp.NoMDEntries as Array<Record<string, unknown>>
    assert.deepStrictEqual(entries.map(e => secMs(e.MDEntryTime)), ['5.500', '6.125'])
  })

  it('leaves a frame with three or more digits to the decode as it is, the same object as jspurefix\'s', () => {
    for (const t of ['05.999', '05.123456', '05']) {
      const f = fix44Frame('35=8|49=BRK|56=CLI|34=7|52=20240102-03:04:05.123|37=O|11=C|17=E|150=F|39=2|55=IBM|54=1' +
        `|151=0|14=1|6=1|60=20240102-03:04:${t}`)
      assert.deepStrictEqual(codec.parse(f).toObject(), codec.jspurefixObject(f), t)
    }
  })
})
