import * as assert from 'assert'
import * as v8 from 'v8'
import * as vm from 'vm'
import { FieldList, FixCodec, FixParseError } from '../../../core/fix/codec'
import { checkFrame, frameFields } from '../../../core/fix/framing'

/**
 * What a parsed inbound message keeps while it is in flight: the session holds each one (its raw
 * text, fields and parsed form) from the parse until its fix_in commit, long enough for a scavenge
 * to promote it, so its size is old-generation growth and so Node-RED's peak RSS. Measured as the
 * heap a full collection leaves for 2,000 parsed ExecutionReports.
 */
describe('FIX parse: the fields of a message and what a parsed message keeps', function () {
  this.timeout(60000)
  let gc: () => void
  let codec: FixCodec
  let frames: Buffer[]
  before(async () => {
    v8.setFlagsFromString('--expose-gc')
    gc = vm.runInNewContext('gc')
    codec = await FixCodec.create('FIX.4.4')
    frames = []
    for (let i = 0; i < 2000; i++) {
      const header = {
        BeginString: 'FIX.4.4', SenderCompID: 'EXCH', TargetCompID: 'BANK', MsgSeqNum: i + 1, SendingTime: new Date()
      }
      frames.push(codec.encode('8', header, {
        OrderID: `X-C${i}`,
        ClOrdID: `C${i}`,
        ExecID: `E-C${i}-2`,
        ExecType: 'F',
        OrdStatus: '2',
        Instrument: { Symbol: 'EURUSD' },
        Side: '1',
        OrderQtyData: { OrderQty: 100 },
        LastQty: 100,
        LastPx: 1.1,
        LeavesQty: 0,
        CumQty: 100,
        AvgPx: 1.1
      }))
    }
    for (const f of frames) codec.parse(f).toObject() // warm up
  })

  it('gives the fields as parallel tag and value arrays of exactly the frame\'s fields, in order', () => {
    const text = '8=FIX.4.4|9=58|35=0|49=A|56=B|34=12|52=20240102-03:04:05.678|112=T1|58=a=b|10=000|'
    const body = text.replace(/\|/g, '\x01')
    const start = body.indexOf('35=')
    const end = body.indexOf('10=')
    const withLength = body.replace('9=58', `9=${end - start}`)
    const sum = [...withLength.slice(0, withLength.indexOf('10='))].reduce((s, c) => s + c.charCodeAt(0), 0) % 256
    const frame = Buffer.from(withLength.replace('10=000', `10=${String(sum).padStart(3, '0')}`), 'latin1')
    const p = codec.parse(frame)
    assert.ok(p.fields instanceof FieldList)
    assert.deepStrictEqual(p.fields.tags, [8, 9, 35, 49, 56, 34, 52, 112, 58, 10])
    const checksum = String(sum).padStart(3, '0')
    assert.deepStrictEqual(
      p.fields.values,
      ['FIX.4.4', String(end - start), '0', 'A', 'B', '12', '20240102-03:04:05.678', 'T1', 'a=b', checksum]
    )
    assert.strictEqual(p.fields.length, 10)
    assert.strictEqual(p.fields.first(58), 'a=b')
    assert.strictEqual(p.get(112), 'T1')
    assert.strictEqual(p.get(11), undefined)
    assert.deepStrictEqual(p.fields.pairs().slice(2, 4), [[35, '0'], [49, 'A']])
    assert.strictEqual(checkFrame(frame).sohCount, 10)
  })

  it('reads the same fields whatever field count it is told, and still refuses a field that is not tag=value', () => {
    const frame = frames[0]
    const raw = frame.toString('latin1')
    const exact = frameFields(frame, raw, frame.length, checkFrame(frame).sohCount)
    for (const told of [0, 1, 5, exact.length - 1, exact.length + 1, 200]) {
      const f = frameFields(frame, raw, frame.length, told)
      assert.deepStrictEqual([f.tags, f.values], [exact.tags, exact.values], `told ${told}`)
      assert.strictEqual(f.tags.length, exact.length)
    }
    const bad = Buffer.from(raw.replace('\x0135=8\x01', '\x0135=8\x01x=1\x01'), 'latin1')
    assert.throws(() => frameFields(bad, bad.toString('latin1'), bad.length, 40), FixParseError)
  })

  it('keeps a parsed ExecutionReport of 180 bytes in under 1.6 KB while it is held (fields and raw text)', () => {
    // Before: 2.6 KB (a [tag, value] array per field, the list grown by push, two closures per message).
    gc()
    const before = process.memoryUsage().heapUsed
    const kept = frames.map(f => codec.parse(f))
    gc()
    const bytes = (process.memoryUsage().heapUsed - before) / frames.length
    assert.strictEqual(kept.length, frames.length)
    assert.ok(bytes < 1600, `${bytes.toFixed(0)} bytes kept per parsed message`)
    assert.strictEqual(kept[7].toObject().ClOrdID, 'C7')
  })
})
