import { StreamConfigError } from './errors'

/**
 * A streamer's row filter is SQL by design (like a function node's code, it is the flow owner's),
 * but it must stay one boolean expression inside the parentheses the plan puts around it: the
 * reads AND it with their position bounds, and a filter that closed those parentheses could read
 * around them ("true) OR (true"), or end the statement and start another.
 *
 * So the text is read the way PostgreSQL's lexer reads it: '...' strings ('' is a quote; a
 * backslash before a quote is refused, as its meaning depends on standard_conforming_strings),
 * E'...' strings (backslash escapes), "..." identifiers. Outside them there must be no ";", no
 * comment, no "$" (parameters and dollar quoting), and parentheses that balance without ever
 * closing one the filter did not open. Every literal must end. Returns the trimmed filter, or
 * undefined for none.
 */
export function checkFilter (filter: string | undefined): string | undefined {
  const f = (filter ?? '').trim()
  if (f === '') return undefined
  const refuse = (why: string): never => {
    throw new StreamConfigError(`the filter must be one SQL expression: ${why}`)
  }
  let depth = 0
  let i = 0
  while (i < f.length) {
    const c = f[i]
    if (c === "'") {
      const escapes = isEscapeStringPrefix(f, i)
      i = endOfString(f, i + 1, escapes, refuse)
      continue
    }
    if (c === '"') {
      const end = endOfQuoted(f, i + 1, '"')
      if (end < 0) refuse('a quoted identifier is not closed')
      i = end
      continue
    }
    if (c === ';') refuse('no ";"')
    if (c === '$') refuse('no "$" (parameters or dollar quoting)')
    if ((c === '-' && f[i + 1] === '-') || (c === '/' && f[i + 1] === '*')) refuse('no comments')
    if (c === '(') depth++
    if (c === ')' && --depth < 0) refuse('a ")" closes a parenthesis the filter did not open')
    i++
  }
  if (depth !== 0) refuse('a "(" is not closed')
  return f
}

/** E'...' (or e'...'): the E starts a token, so the character before it is not part of a name. */
function isEscapeStringPrefix (f: string, quote: number): boolean {
  if (quote === 0 || (f[quote - 1] !== 'E' && f[quote - 1] !== 'e')) return false
  return quote === 1 || !/[A-Za-z0-9_$\x80-\uffff]/.test(f[quote - 2])
}

/** Index after the closing quote of a string literal whose body starts at `from`. */
function endOfString (f: string, from: number, escapes: boolean, refuse: (why: string) => never): number {
  let i = from
  while (i < f.length) {
    const c = f[i]
    if (c === '\\') {
      if (escapes) {
        i += 2
        continue
      }
      if (f[i + 1] === "'") refuse("a backslash before a quote inside '...' (write '' for a quote)")
    }
    if (c === "'") {
      if (f[i + 1] === "'") {
        i += 2
        continue
      }
      return i + 1
    }
    i++
  }
  return refuse('a string is not closed')
}

/** Index after the closing `q` of a body starting at `from` (a doubled `q` is one character), or -1. */
function endOfQuoted (f: string, from: number, q: string): number {
  for (let i = from; i < f.length; i++) {
    if (f[i] !== q) continue
    if (f[i + 1] === q) {
      i++
      continue
    }
    return i + 1
  }
  return -1
}
