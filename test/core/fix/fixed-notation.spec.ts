import * as assert from 'assert'
import { execFileSync } from 'child_process'
import { FixCodec } from '../../../core/fix/codec'
import { fixedNotation, format } from '../../../core/fix/fixed-notation'

// mathjs is jspurefix's dependency; the spec compares the stand-in with it.
const mathjs = require('mathjs') as { format: (value: unknown, options?: unknown) => string }

/** Deterministic doubles over every magnitude a double has, both signs, and the awkward ones. */
function samples (): number[] {
  const out = [0, -0, 0.1 + 0.2, 1 / 3, -2 / 3, 50.25, 99.5, 1e-7, 1.5e-7, -2.5e-10, 123.456, 0.000001, 9.99e-7,
    Number.MIN_VALUE, -Number.MIN_VALUE, Number.EPSILON, 1e21, 1.5e21, Number.MAX_VALUE, 4503599627370495.5]
  let seed = 21
  const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
  for (let exp = -320; exp <= 308; exp++) {
    for (let k = 0; k < 8; k++) out.push((next() < 0.5 ? -1 : 1) * (1 + next() * 9) * 10 ** exp)
  }
  return out.filter(Number.isFinite)
}

describe('fixed notation without mathjs', () => {
  it('writes every finite number exactly as mathjs format with notation fixed does', () => {
    for (const v of samples()) {
      assert.strictEqual(format(v, { notation: 'fixed' }), mathjs.format(v, { notation: 'fixed' }), String(v))
    }
  })

  it('writes no exponent and keeps the value', () => {
    for (const v of samples()) {
      const s = fixedNotation(v)
      assert.match(s, /^-?\d+(\.\d+)?$/, String(v))
      assert.strictEqual(Number(s), v === 0 ? 0 : v, s)
    }
  })

  it('passes any other call to mathjs itself', () => {
    assert.strictEqual(format(1 / 3, { notation: 'fixed', precision: 2 }), '0.33')
    assert.strictEqual(format(1234.5, { notation: 'exponential' }), mathjs.format(1234.5, { notation: 'exponential' }))
    assert.strictEqual(format(Infinity, { notation: 'fixed' }), 'Infinity')
  })

  it('is what jspurefix\'s ElasticBuffer loads instead of mathjs, once core/fix is loaded', () => {
    // A fresh process: in this one another spec may have loaded jspurefix first.
    const probe = `require(${JSON.stringify(require.resolve('../../../core/fix'))})
      const loaded = require.cache[require.resolve('jspurefix/dist/buffer/elastic-buffer')]
      console.log(JSON.stringify({
        children: loaded === undefined ? [] : loaded.children.map(c => c.filename),
        mathjs: Object.keys(require.cache).filter(f => /[\\\\/]mathjs[\\\\/]/.test(f)).length
      }))`
    const r = JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' })) as
      { children: string[], mathjs: number }
    assert.ok(r.children.includes(require.resolve('../../../core/fix/fixed-notation')), r.children.join(', '))
    assert.strictEqual(r.mathjs, 0, 'no mathjs module loaded')
  })

  it('lets the codec write prices with a fraction, however small, in plain digits', async () => {
    const codec = await FixCodec.create('FIX.4.4')
    const body = (price: number): string => codec.encodeBody('D', {
      ClOrdID: 'C-1',
      Side: '1',
      TransactTime: new Date(Date.UTC(2024, 0, 2)),
      OrdType: '2',
      Price: price,
      Instrument: { Symbol: 'IBM' },
      OrderQtyData: { OrderQty: 100 }
    })
    assert.match(body(50.25), /\x0144=50\.25\x01/)
    assert.match(body(1.5e-7), /\x0144=0\.00000015\x01/)
    assert.match(body(-2.5e-10), /\x0144=-0\.00000000025\x01/)
  })
})
