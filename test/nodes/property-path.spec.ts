import * as assert from 'assert'
import * as path from 'path'
import { compilePropertyPath, UnsafePropertyPathError } from '../../nodes/shared/property-path'
import { runtimeName } from '../support/node-red'

// The compiled path must behave exactly like Node-RED's own util of the runtime under test.
const runtimeDir = path.dirname(require.resolve(`${process.env.NODE_RED_RUNTIME ?? 'node-red'}/package.json`))

const util = require(require.resolve('@node-red/util', { paths: [runtimeDir] })).util

const sample = (): Record<string, any> => ({
  ClOrdID: 'A1',
  qty: 0,
  side: null,
  fn: Object.assign(() => 1, { tag: 't' }),
  Instrument: { Symbol: 'ABC', Nested: { Deep: 1 } },
  text: 'plain',
  list: [1, 2],
  'odd key': 5
})

describe(`compiled property paths match Node-RED's util on ${runtimeName}`, () => {
  const paths = [
    'ClOrdID',
    'qty',
    'side',
    'missing',
    'Instrument.Symbol',
    'Instrument.Nested.Deep',
    'Instrument.Missing',
    'fn.tag',
    'text.length',
    'list.length',
    'list[1]',
    '["odd key"]',
    'Instrument["Symbol"]',
    'missing.child',
    'side.child'
  ]

  for (const expr of paths) {
    it(`get ${expr}`, () => {
      const ours = compilePropertyPath(util, expr)
      let expected: unknown, expectedError: string | undefined
      try {
        expected = util.getObjectProperty(sample(), expr)
      } catch (err) {
        expectedError = (err as Error).constructor.name
      }
      if (expectedError !== undefined) {
        assert.throws(
          () => ours.get(sample()),
          (err: Error) => err.constructor.name === expectedError
        )
      } else assert.deepStrictEqual(ours.get(sample()), expected)
    })
  }

  const targets = [
    'ClOrdID',
    'New',
    'Instrument.Symbol',
    'Instrument.New.Deeper',
    'a.b.c',
    'text.sub',
    'side.sub',
    'qty.sub',
    'fn.sub',
    'fn.tag',
    'list.extra',
    'list[3]',
    'Parties[0].PartyID',
    'Instrument["Symbol"]',
    '["odd key"]'
  ]
  for (const expr of targets) {
    for (const value of ['v', 0, null, undefined]) {
      it(`set ${expr} = ${String(value)}`, () => {
        const a = sample()
        const b = sample()
        let expected: boolean | undefined
        try { expected = util.setObjectProperty(a, expr, value, true) !== false } catch { /* an invalid expression */ }
        if (expected === undefined) return assert.throws(() => compilePropertyPath(util, expr).set(b, value))
        const got = compilePropertyPath(util, expr).set(b, value)
        assert.strictEqual(got, expected)
        // Functions do not survive deepStrictEqual by identity: compare their own properties.
        assert.deepStrictEqual({ ...b, fn: { ...b.fn } }, { ...a, fn: { ...a.fn } })
      })
    }
  }

  it('refuses paths through __proto__, constructor or prototype when compiled, in any spelling', () => {
    for (const expr of ['__proto__.polluted', 'constructor.prototype.polluted', 'x.__proto__.polluted', '__proto__',
      'x["constructor"]["prototype"].polluted', "a['prototype']"]) {
      assert.throws(() => compilePropertyPath(util, expr), UnsafePropertyPathError, expr)
    }
    assert.strictEqual(({} as any).polluted, undefined)
  })

  it('refuses a write whose nested msg reference names __proto__ at run time', () => {
    const path = compilePropertyPath(util, 'x[msg.key].polluted')
    const obj: Record<string, any> = { key: '__proto__', x: {} }
    try {
      assert.throws(() => path.set(obj, 'yes'), UnsafePropertyPathError)
      assert.strictEqual(({} as any).polluted, undefined, 'Object.prototype untouched')
    } finally {
      delete (Object.prototype as any).polluted
    }
    const fine = { key: 'k', x: {} as Record<string, unknown> }
    assert.strictEqual(path.set(fine, 'yes'), true)
    assert.deepStrictEqual(fine.x, { k: { polluted: 'yes' } })
  })
})
