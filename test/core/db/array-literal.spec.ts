import * as assert from 'assert'
import { arrayLiteral } from '../../../core/db/array-literal'
import { describeEachDatabase } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'

// node-postgres's own serialiser of a parameter (untyped: lib/utils is not in @types/pg).
const { prepareValue } = require('pg/lib/utils') as { prepareValue: (v: unknown) => unknown }

/** Values a journal column can hold: quotes, backslashes, braces, commas, NULL as text, latin1, SOH. */
const HARD: Array<string | null> = [
  '', 'plain', 'a"b', 'a\\b', '\\"', '"\\', '{x}', 'a,b', 'NULL', 'null', ' lead', 'trail ', 'é\u00ff',
  '8=FIX.4.4\x019=5\x0135=D\x0110=000\x01', '{"k":"v\\\\n"}', null
]

describe('arrayLiteral', () => {
  it('makes the same text node-postgres makes of the same array', () => {
    const cases: Array<Array<string | null | undefined>> =
      [[], [null], ['x'], HARD, [...HARD].reverse(), [undefined, 'a']]
    for (const values of cases) {
      assert.strictEqual(arrayLiteral(values), prepareValue(values), JSON.stringify(values))
    }
  })
})

describeEachDatabase('arrayLiteral on the database', target => {
  const f = schemaFixture(target, { prefix: 'arrlit' })

  it('gives the server back every value exactly, as text, jsonb and bigint arrays', async () => {
    const r = await f.db.query<{ v: string | null, n: string }>(
      'SELECT v, n FROM unnest($1::text[]) WITH ORDINALITY AS u (v, n) ORDER BY n', [arrayLiteral(HARD)])
    assert.deepStrictEqual(r.rows.map(x => x.v), HARD)
    const j = await f.db.query<{ v: unknown }>(
      'SELECT unnest($1::jsonb[]) AS v', [arrayLiteral(['{"a":"\\"q\\""}', null])])
    assert.deepStrictEqual(j.rows.map(x => x.v), [{ a: '"q"' }, null])
    const b = await f.db.query<{ v: string }>(
      'SELECT unnest($1::bigint[])::text AS v', [arrayLiteral(['1', '9007199254740993'])])
    assert.deepStrictEqual(b.rows.map(x => x.v), ['1', '9007199254740993'])
  })
})
