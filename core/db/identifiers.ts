/**
 * The one place where names that come from configuration (schemas, tables, columns, channels)
 * become SQL. A name is accepted only if it is a plain PostgreSQL identifier; it is then always
 * double-quoted, so case is kept and no keyword can be abused. Everything else in SQL is a bound
 * parameter.
 */

/** PostgreSQL truncates identifiers to 63 bytes (NAMEDATALEN - 1); we refuse longer names instead. */
const MAX_IDENTIFIER_BYTES = 63
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/

export class IdentifierError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'IdentifierError'
  }
}

/** Throws an IdentifierError naming the problem unless `name` is a plain identifier. */
export function validateIdentifier (name: unknown, what = 'identifier'): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new IdentifierError(`${what} is empty`)
  }
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw new IdentifierError(`${what} "${printable(name)}" is longer than ${MAX_IDENTIFIER_BYTES} bytes`)
  }
  if (!IDENTIFIER.test(name)) {
    throw new IdentifierError(
      `${what} "${printable(name)}" is not allowed: use letters, digits, _ or $, starting with a letter or _`)
  }
  return name
}

/** Validates and double-quotes one identifier. */
export function quoteIdent (name: unknown, what = 'identifier'): string {
  return `"${validateIdentifier(name, what)}"`
}

export interface QualifiedName {
  schema: string
  name: string
}

/**
 * Parses `table` or `schema.table` (each part a plain identifier, optionally already
 * double-quoted) into its parts, using `defaultSchema` when no schema is given.
 */
export function parseQualifiedName (text: unknown, defaultSchema = 'public', what = 'table'): QualifiedName {
  if (typeof text !== 'string' || text.trim() === '') throw new IdentifierError(`${what} is empty`)
  const parts = text.trim().split('.').map(p => p.trim().replace(/^"(.*)"$/, '$1'))
  if (parts.length > 2) throw new IdentifierError(`${what} "${printable(text)}" has more than one dot`)
  const [schema, name] = parts.length === 2 ? parts : [defaultSchema, parts[0]]
  return { schema: validateIdentifier(schema, `schema of ${what}`), name: validateIdentifier(name, what) }
}

/** `"schema"."name"`, both parts validated. */
export function quoteQualified (q: QualifiedName): string {
  return `${quoteIdent(q.schema, 'schema')}.${quoteIdent(q.name)}`
}

/** Keeps error messages on one readable line whatever the hostile input contains. */
function printable (s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?')
  return clean.length > 80 ? clean.slice(0, 77) + '...' : clean
}
