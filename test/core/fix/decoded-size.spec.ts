import * as assert from 'assert'
import * as v8 from 'v8'
import * as vm from 'vm'
import { FixCodec } from '../../../core/fix/codec'
import { FixTranslator } from '../../../core/fix/translator'

/**
 * What a decoded message keeps while it waits in a flow (a streamer client's window holds hundreds):
 * every object kept past a young-generation collection is copied by it, so its size is CPU of the
 * Node-RED process. Measured as the heap a full collection leaves for 2,000 decoded reports.
 */
describe('FIX -> object: the size of a decoded message', function () {
  this.timeout(60000)
  let gc: () => void
  let t: FixTranslator
  let raws: string[]
  before(async () => {
    v8.setFlagsFromString('--expose-gc')
    gc = vm.runInNewContext('gc')
    t = await FixTranslator.create('FIX.4.4')
    const codec = await FixCodec.create('FIX.4.4')
    raws = []
    for (let i = 0; i < 2000; i++) {
      const body = {
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
      }
      const header = {
        BeginString: 'FIX.4.4', SenderCompID: 'EXCH', TargetCompID: 'BANK', MsgSeqNum: i + 1, SendingTime: new Date()
      }
      raws.push(codec.encode('8', header, body).toString('latin1'))
    }
    for (const raw of raws) t.fromFix({ raw }) // warm up: compiled rules, caches
  })

  function keptPerMessage (decode: (raw: string) => unknown): number {
    gc()
    const before = process.memoryUsage().heapUsed
    const kept = raws.map(decode)
    gc()
    const after = process.memoryUsage().heapUsed
    assert.strictEqual(kept.length, raws.length)
    return (after - before) / raws.length
  }

  it('keeps an ExecutionReport of 170 bytes in under 1.5 KB: the payload a plain object, msg.fix.encoded ' +
    'one flat string', () => {
    // Before: 3.5 KB (the payload a hash table after deleting its header, encoded a rope of one piece a field).
    const bytes = keptPerMessage(raw => t.fromFix({ raw }))
    assert.ok(bytes < 1536, `${Math.round(bytes)} bytes kept per decoded ExecutionReport`)
    const r = t.fromFix({ raw: raws[0] })
    assert.strictEqual(r.fix.encoded, raws[0].split('\x01').join('|'))
    assert.deepStrictEqual(Object.keys(r.payload), [
      'OrderID', 'ClOrdID', 'ExecID', 'ExecType', 'OrdStatus', 'Instrument', 'Side', 'OrderQtyData', 'LastQty',
      'LastPx', 'LeavesQty', 'CumQty', 'AvgPx'
    ])
  })
})
