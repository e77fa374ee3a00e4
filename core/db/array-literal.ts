/**
 * A column of values as one PostgreSQL array literal ('{"a","b",NULL}'), for the journals'
 * `unnest($n::type[])` parameters. node-postgres makes the same text from a JavaScript array, but
 * with two regular-expression replaces and three or four new strings for every element; the
 * journals pass thousands of elements a second (every column of every row), so they build the
 * literal here in one pass: an element is escaped only when it holds a quote or a backslash.
 * Invariant: the text is exactly node-postgres's for the same array of strings and nulls
 * (every element quoted, '\' and '"' escaped with a backslash, null and undefined as NULL), so the
 * server reads the same values on both engines.
 */

const NEEDS_ESCAPE = /["\\]/
const ESCAPED = /["\\]/g

/** The array literal of `values`: each string quoted and escaped, null and undefined as NULL. */
export function arrayLiteral (values: ReadonlyArray<string | null | undefined>): string {
  let out = '{'
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ','
    const v = values[i]
    if (v === null || v === undefined) {
      out += 'NULL'
    } else {
      out += '"' + (NEEDS_ESCAPE.test(v) ? v.replace(ESCAPED, '\\$&') : v) + '"'
    }
  }
  return out + '}'
}
