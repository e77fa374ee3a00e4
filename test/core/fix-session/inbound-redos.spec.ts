import * as assert from 'assert'
import { monitorEventLoopDelay } from 'perf_hooks'
import { FixCodec } from '../../../core/fix/codec'
import { FixTranslator } from '../../../core/fix/translator'
import { SOH } from '../../../core/fix-session'
import { RejectReason, validateInbound } from '../../../core/fix-session/inbound-validation'
import { describeEachDatabase, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { loggedOnPeer, RawPeer, Recorded } from './support'

/** The longest stall of the event loop (ms) while `work` runs: what every other session and flow waits. */
async function worstStall (work: () => Promise<void>): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 5 })
  h.enable()
  try {
    await work()
  } finally {
    h.disable()
  }
  return h.max / 1e6
}

/**
 * Values that make a backtracking pattern work hardest: long runs of what it accepts, then one
 * character it does not.
 */
const hostile = (n: number, unit = '1'): string => unit.repeat(Math.ceil(n / unit.length)).slice(0, n) + 'x'

describe('Inbound field checks run in linear time', () => {
  let codec: FixCodec
  before(async function () {
    this.timeout(30000)
    codec = await FixCodec.create('FIX.4.4')
  })

  const kinds: Array<{ type: string, tag: number, unit?: string }> = [
    { type: 'PRICE', tag: 44 },
    { type: 'QTY', tag: 38, unit: '1.' },
    { type: 'INT', tag: 226 },
    { type: 'UTCTIMESTAMP', tag: 60, unit: '2' },
    { type: 'MULTIPLEVALUESTRING', tag: 18, unit: 'A ' },
    { type: 'STRING', tag: 58, unit: 'ab' }
  ]
  for (const k of kinds) {
    it(`checks a ${k.type} field of 16 KB to 1 MB in a few milliseconds per KB at most`, function () {
      this.timeout(60000)
      // Doubling sizes: a quadratic check fails at the first steps instead of stalling for minutes at 1 MB.
      for (let n = 16 * 1024; n <= 1024 * 1024; n *= 2) {
        const value = hostile(n, k.unit)
        // CPU time, not wall time: on a loaded machine the wall clock also counts the time other
        // processes had the CPU (a linear check of 16 KB took 90 ms of wall time at load 16); the
        // quadratic pattern took 1.8 s of CPU for 16 KB.
        const t0 = process.cpuUsage()
        const problem = validateInbound(codec.definitions, 'D', [[k.tag, value]], { maxFieldLength: 2 * 1024 * 1024 })
        const used = process.cpuUsage(t0)
        const ms = (used.user + used.system) / 1000
        assert.ok(ms < 50 + n / 1024, `${k.type} of ${n} characters took ${ms.toFixed(0)} ms of CPU`)
        assert.ok(problem !== undefined, 'the hostile value is refused')
      }
    })
  }

  it('decodes a frame with a 1 MB field in the translator (fix-translator, ' +
    'FIX -> object) in linear time', async function () {
    this.timeout(60000)
    const t = await FixTranslator.create('FIX.4.4')
    for (const [tag, value] of [
      [44, hostile(1_000_000)],
      [58, hostile(1_000_000, 'ab')],
      [18, hostile(1_000_000, 'A ')]
    ] as Array<[number, string]>) {
      const body = ('35=D|49=A|56=B|34=1|52=20240102-03:04:05.000|11=X|21=1|55=IBM|54=1|60=20240102-03:04:05.000|' +
        `38=100|40=2|${tag}=${value}|`).replace(/\|/g, SOH)
      let raw = `8=FIX.4.4${SOH}9=${Buffer.byteLength(body, 'latin1')}${SOH}${body}`
      let sum = 0
      for (const b of Buffer.from(raw, 'latin1')) sum += b
      raw += `10=${String(sum % 256).padStart(3, '0')}${SOH}`
      const t0 = process.hrtime.bigint()
      try { t.fromFix(raw) } catch { /* refused is fine: the time is what counts */ }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      assert.ok(ms < 1000, `tag ${tag}: ${ms.toFixed(0)} ms`)
    }
  })

  it('caps values by type: numbers at 20 or 64 characters, other text at the configured length', () => {
    const defs = codec.definitions
    assert.strictEqual(validateInbound(defs, 'D', [[44, '1'.repeat(65)]])?.reason, RejectReason.IncorrectDataFormat)
    assert.match(validateInbound(defs, 'D', [[44, '1'.repeat(65)]])!.text, /too long/)
    assert.doesNotMatch(validateInbound(defs, 'D', [[44, '1'.repeat(64)]])?.text ?? '', /too long/)
    assert.match(validateInbound(defs, 'D', [[226, '1'.repeat(21)]])!.text, /too long/)
    assert.match(
      validateInbound(defs, 'D', [[58, 'a'.repeat(101)]], { maxFieldLength: 100 })!.text,
      /too long for its type \(58 Text/
    )
    assert.doesNotMatch(
      validateInbound(defs, 'D', [[58, 'a'.repeat(100)]], { maxFieldLength: 100 })?.text ?? '',
      /too long/
    )
    assert.match(
      validateInbound(defs, 'D', [[58, 'a'.repeat(64 * 1024 + 1)]])!.text,
      /too long/,
      'a default limit applies'
    )
  })
})

describeEachDatabase('A logged-on FIX peer sending huge fields', target => {
  const f = fixFixture(target, 'fixredos')

  const loggedOn = async (): Promise<{ acc: Recorded, peer: RawPeer }> => await loggedOnPeer(f)

  const order = (clOrdID: string, extra: string): string =>
    `11=${clOrdID}${SOH}21=1${SOH}55=IBM${SOH}54=1${SOH}60=20240102-03:04:05.000${SOH}38=100${SOH}40=2${SOH}${extra}`

  it('cannot stall the event loop with a 16 KB or 1 MB Price: it is rejected at ' +
    'once and the session stays up', async function () {
    this.timeout(60000)
    const { peer, acc } = await loggedOn()
    for (const n of [16_000, 1_000_000]) {
      const rejects = peer.ofType('3').length
      const stall = await worstStall(async () => {
        const seq = peer.send('D', order(`BIG-${n}`, `44=${hostile(n)}${SOH}`))
        const rej = await peer.waitFor('3', m => m.get(45) === String(seq), 20000)
        assert.strictEqual(rej.get(373), String(RejectReason.IncorrectDataFormat))
        assert.strictEqual(rej.get(371), '44')
      })
      assert.strictEqual(peer.ofType('3').length, rejects + 1)
      assert.ok(stall < 500, `a ${n}-character Price stalled the event loop for ${stall.toFixed(0)} ms`)
    }
    peer.send('1', `112=after-big${SOH}`)
    await peer.waitFor('0', m => m.get(112) === 'after-big')
    assert.strictEqual(acc.messages.length, 0, 'nothing malformed reached the flow')
  })

  it('delivers a 1 MB data field (EncodedText) without stalling the event loop', async function () {
    this.timeout(60000)
    const { peer, acc } = await loggedOn()
    const data = hostile(1_000_000 - 1, '9.')
    const stall = await worstStall(async () => {
      peer.send('D', order('DATA-1MB', `44=10.5${SOH}354=${data.length}${SOH}355=${data}${SOH}`))
      await eventually(() => acc.messages.length === 1, 20000, 'the order with a 1 MB data field')
    })
    assert.strictEqual(peer.ofType('3').length, 0, 'no Reject')
    assert.ok(stall < 1500, `a 1 MB data field stalled the event loop for ${stall.toFixed(0)} ms`)
  })
})
