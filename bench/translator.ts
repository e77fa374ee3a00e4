import { FixTranslator, validateMessage } from '../core/fix'
import type { AsciiParser, MsgView } from '../core/fix'
import { countOr } from './_knobs'

/**
 * Translator speed against the engine it sits on, in the same run: NewOrderSingle
 * validate+encode (the node's object -> FIX) vs jspurefix's raw encode of the same object, and
 * frame-checked decode (FIX -> object) vs jspurefix's raw parse + toObject.
 */

function order (i: number): Record<string, unknown> {
  return {
    ClOrdID: `ORD-${i}`,
    Account: 'ACC-1',
    Parties: {
      NoPartyIDs: [
        { PartyID: 'FIRM1', PartyIDSource: 'D', PartyRole: 1 },
        { PartyID: 'TRADER7', PartyIDSource: 'D', PartyRole: 12 }
      ]
    },
    HandlInst: '1',
    ExDestination: 'XLON',
    Instrument: { Symbol: 'VOD.L', SecurityID: 'GB00BH4HKS39', SecurityIDSource: '4', SecurityExchange: 'XLON' },
    Side: '1',
    TransactTime: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, i % 1000)),
    OrderQtyData: { OrderQty: 1000 + (i % 100) },
    OrdType: '2',
    Price: 101.25 + (i % 10) / 100,
    Currency: 'GBP',
    TimeInForce: '0',
    Text: 'benchmark order'
  }
}

function rate (n: number, ms: number): number {
  return Math.round(n / (ms / 1000))
}

function time (n: number, fn: (i: number) => void): number {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn(i)
  return Number(process.hrtime.bigint() - t0) / 1e6
}

/** Median rate over rounds, alternating the two cases so machine noise hits both alike. */
function compare (n: number, rounds: number, a: (i: number) => void, b: (i: number) => void): [number, number] {
  time(Math.min(n, 20000), a)
  time(Math.min(n, 20000), b)
  const ra: number[] = []
  const rb: number[] = []
  for (let r = 0; r < rounds; r++) {
    ra.push(rate(n, time(n, a)))
    rb.push(rate(n, time(n, b)))
  }
  const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]
  return [median(ra), median(rb)]
}

export async function run (): Promise<void> {
  const n = countOr('BENCH_N', 50000)
  const t = await FixTranslator.create('FIX.4.4')
  const codec = t.codec
  const objects = Array.from({ length: 1000 }, (_v, i) => order(i))

  // Encode: the codec's encodeBody is jspurefix's encoder with nothing added.
  const [raw, node] = compare(n, 5,
    i => { codec.encodeBody('D', objects[i % 1000]) },
    i => {
      const r = t.toFix('D', objects[i % 1000])
      if (!r.ok) throw new Error(r.message)
    })
  const [validateOnly] = compare(n, 3, i => { validateMessage(t.definitions, 'D', objects[i % 1000]) }, () => {})

  // Decode: jspurefix's parser + toObject straight on the bytes, vs the node's checked decode.
  const header = {
    BeginString: 'FIX.4.4',
    SenderCompID: 'CLIENT',
    TargetCompID: 'BROKER',
    MsgSeqNum: 1,
    SendingTime: new Date()
  }
  const wires = objects.map(o => {
    const r = t.toFix('D', o)
    if (!r.ok) throw new Error(r.message)
    return codec.frame('D', header, codec.encodeBody('D', r.payload))
  })
  const parser = (codec as unknown as { parser: AsciiParser }).parser
  let sink: unknown
  const onMsg = (_t: string, v: MsgView): void => { sink = v.toObject() }
  // The codec shares this parser: attach the raw listener only around the raw case.
  const [rawDecode, nodeDecode] = compare(
    n,
    5,
    i => {
      parser.reset()
      parser.on('msg', onMsg)
      parser.parseBuffer(wires[i % 1000])
      parser.removeListener('msg', onMsg)
    },
    i => {
      sink = t.fromFix(wires[i % 1000])
    }
  )
  if (sink === undefined) throw new Error('the decoders produced nothing')

  const bytes = wires[0].length
  console.log(`translator (FIX 4.4 NewOrderSingle, ${bytes} bytes, ${n} messages x 5 rounds, median):`)
  console.log(`  encode  jspurefix raw encodeBody       ${raw.toLocaleString('en-US')} msg/s`)
  console.log(
    `  encode  translator validate+encode     ${node.toLocaleString('en-US')} msg/s  ratio ${(node / raw).toFixed(2)}x`
  )
  console.log(`          (validation alone              ${validateOnly.toLocaleString('en-US')} msg/s)`)
  console.log(`  decode  jspurefix raw parse+toObject   ${rawDecode.toLocaleString('en-US')} msg/s`)
  console.log(`  decode  translator checked decode      ${nodeDecode.toLocaleString('en-US')} msg/s  ` +
    `ratio ${(nodeDecode / rawDecode).toFixed(2)}x`)
}

if (require.main === module) {
  run().catch(err => { console.error(err); process.exitCode = 1 })
}
