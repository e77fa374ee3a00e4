/**
 * Message lookup for a node: Node-RED's RED._ first; when the runtime has no catalog for the
 * key (node-red-node-test-helper's RED._ returns the key itself), the node's own en-US catalog,
 * so logs and status always carry the real text and its details.
 */
export type Translate = (key: string, args?: Record<string, unknown>) => string

/**
 * Each text is looked up once per key: a status is written several times a second (the gateway's
 * sequence numbers, streamer-sql's count) and one i18next lookup in Node-RED's runtime took
 * 0.1-0.5 ms, about 1% of the Node-RED process's CPU in the e2e round trip. A text with numbers
 * is kept as its template, looked up once with a marker in place of each number (Node-RED's
 * i18next inserts values as they are: escapeValue is off), and the numbers written into it.
 * Other arguments (text, which i18next may nest or a count that picks a plural) are looked up each time.
 */
export function translator (
  RED: { _: (key: string, args?: any) => string },
  catalog: Record<string, unknown>
): Translate {
  const lookup: Translate = (key, args) => {
    const out = RED._(key, args)
    if (typeof out === 'string' && out !== key) return out
    const template = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], catalog)
    if (typeof template !== 'string') return key
    return template.replace(/__(\w+)__/g, (_m, name: string) => String(args?.[name] ?? ''))
  }
  const plain = new Map<string, string>()
  const withNumbers = new Map<string, Template | null>()
  return (key, args) => {
    if (args === undefined) {
      let text = plain.get(key)
      if (text === undefined) {
        text = lookup(key)
        plain.set(key, text)
      }
      return text
    }
    const names = numberArgs(args)
    if (names === undefined) return lookup(key, args)
    const id = `${key}\u0000${names.join('\u0000')}`
    let template = withNumbers.get(id)
    if (template === undefined) {
      template = templateOf(lookup, key, names)
      withNumbers.set(id, template)
    }
    if (template === null) return lookup(key, args)
    let text = template.parts[0]
    for (let i = 0; i < template.names.length; i++) text += String(args[template.names[i]]) + template.parts[i + 1]
    return text
  }
}

/** A text cut at its numbers: parts[i], the number names[i], parts[i + 1], ... */
interface Template { parts: string[], names: string[] }

/** The argument names when every value is a number (and none is i18next's plural `count`). */
function numberArgs (args: Record<string, unknown>): string[] | undefined {
  const names = Object.keys(args)
  for (const name of names) if (typeof args[name] !== 'number' || name === 'count') return undefined
  return names
}

const MARK = '\u0001'

/** The template of a text with numbers; null when the markers do not come back whole (then each call looks up). */
function templateOf (lookup: Translate, key: string, names: string[]): Template | null {
  const marked: Record<string, string> = {}
  names.forEach((name, i) => { marked[name] = `${MARK}${i}${MARK}` })
  const text = lookup(key, marked)
  const parts: string[] = []
  const order: string[] = []
  let from = 0
  for (let at = text.indexOf(MARK); at >= 0; at = text.indexOf(MARK, from)) {
    const end = text.indexOf(MARK, at + 1)
    const i = end < 0 ? NaN : Number(text.slice(at + 1, end))
    if (!Number.isInteger(i) || names[i] === undefined) return null
    parts.push(text.slice(from, at))
    order.push(names[i])
    from = end + 1
  }
  parts.push(text.slice(from))
  return { parts, names: order }
}
