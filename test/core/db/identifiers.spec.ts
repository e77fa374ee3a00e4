import * as assert from 'assert'
import { IdentifierError, parseQualifiedName, quoteIdent, quoteQualified, validateIdentifier } from '../../../core'

describe('identifiers', () => {
  it('accepts plain identifiers and double-quotes them', () => {
    assert.strictEqual(quoteIdent('orders'), '"orders"')
    assert.strictEqual(quoteIdent('Orders_2$'), '"Orders_2$"')
    assert.strictEqual(validateIdentifier('_x'), '_x')
  })

  for (const hostile of [
    'x"; drop table y; --',
    'a b',
    '1abc',
    '',
    'a.b',
    'tab\u0000le',
    'näme',
    'x'.repeat(64),
    "o'hara"
  ]) {
    it(`refuses ${JSON.stringify(hostile).slice(0, 30)} with a clear error`, () => {
      assert.throws(() => quoteIdent(hostile, 'table'), (err: Error) => {
        assert.ok(err instanceof IdentifierError)
        assert.match(err.message, /^table /)
        assert.doesNotMatch(err.message, /[\u0000\n]/)
        return true
      })
    })
  }

  it('refuses non-strings', () => {
    assert.throws(() => quoteIdent(undefined), IdentifierError)
    assert.throws(() => quoteIdent(42), IdentifierError)
  })

  it('parses schema-qualified names, with or without quotes', () => {
    assert.deepStrictEqual(parseQualifiedName('orders'), { schema: 'public', name: 'orders' })
    assert.deepStrictEqual(parseQualifiedName('trading.orders'), { schema: 'trading', name: 'orders' })
    assert.deepStrictEqual(parseQualifiedName('"Trading"."Orders"', 'x'), { schema: 'Trading', name: 'Orders' })
    assert.strictEqual(quoteQualified(parseQualifiedName('a.b')), '"a"."b"')
    assert.throws(() => parseQualifiedName('a.b.c'), /more than one dot/)
    assert.throws(() => parseQualifiedName('public.x"; drop table y; --'), IdentifierError)
  })
})
