/**
 * Field-by-field comparison of a frame the engine sent with the frame a script expects.
 *
 * Compared exactly: every field the expectation lists (e.g. 35, 34, 43, 45, 371, 372, 373, 141,
 * 123, 36, 7, 16, 112, 1137 and every echoed body field), BeginString (8), and the routing pair
 * 49/56 (the engine's CompID and the script's, unless the expectation names them).
 * Checked, not compared: BodyLength (9) and CheckSum (10) must be right for the bytes sent
 * (FrameReader); SendingTime (52) must be a UTC timestamp within CLOCK_MS of the runner's clock.
 * Not compared: Text (58), whose wording is free.
 * A field the engine sends that the expectation does not list (other than 9, 10, 52, 58) is a
 * failure: an unasked-for 141=Y or PossDupFlag is a real difference.
 * Values: literal text, or `{time}` (any valid UTCTimestamp), or `{any}` (present, any value), or
 * `{oneOf:a,b}` (either value, where the test cases and QuickFIX read a case differently), or
 * `{=name}` (present, any value, kept as `{name}` for later steps, e.g. a TestReqID to echo).
 * `tag?=value`: the field may be absent; if present it must match (e.g. 371 where the test
 * cases leave RefTagID open).
 * Order: not compared (header order and body order may differ); a tag listed several times (a
 * repeating group) must carry the same values in the same order.
 */
import { Field, fieldsOf, parseUtcText, Vars } from './wire'

const CLOCK_MS = 10_000
const NOT_COMPARED = new Set([9, 10, 52, 58])

/** The first difference, as a sentence naming the field; undefined when the frame matches. */
export function difference (got: Field[], expectedText: string, vars: Vars, now = Date.now()): string | undefined {
  const optional = new Set<number>()
  const want = fieldsOf(expectedText.replace(/(^|\|)(\d+)\?=/g, (_m, sep: string, tag: string) => {
    optional.add(Number(tag))
    return `${sep}${tag}=`
  }))
  if (!want.some(([t]) => t === 49)) want.push([49, vars.G])
  if (!want.some(([t]) => t === 56)) want.push([56, vars.C])
  if (!want.some(([t]) => t === 8)) want.unshift([8, vars.BS])
  const byTag = (fs: Field[]): Map<number, string[]> => {
    const m = new Map<number, string[]>()
    for (const [t, v] of fs) m.set(t, [...(m.get(t) ?? []), v])
    return m
  }
  const g = byTag(got)
  const w = byTag(want)
  const sending = g.get(52)
  if (sending === undefined) return 'SendingTime (52) missing'
  const at = parseUtcText(sending[0])
  if (at === undefined) return `SendingTime (52) "${sending[0]}" is not a UTCTimestamp`
  if (Math.abs(at.getTime() - now) > CLOCK_MS) {
    return `SendingTime (52) ${sending[0]} is more than ${CLOCK_MS / 1000} s from the runner's clock`
  }
  for (const [tag, values] of w) {
    if (NOT_COMPARED.has(tag)) continue
    const actual = g.get(tag)
    if (actual === undefined && optional.has(tag)) continue
    if (actual === undefined) return `expected ${tag}=${values.join(',')}, field ${tag} missing`
    if (actual.length !== values.length) {
      return `expected field ${tag} ${values.length} time(s), got ${actual.length} (${actual.join(',')})`
    }
    for (let i = 0; i < values.length; i++) {
      const e = values[i]
      const a = actual[i]
      if (e === '{any}') continue
      if (e.startsWith('{oneOf:') && e.endsWith('}')) {
        if (!e.slice(7, -1).split(',').includes(a)) {
          return `expected ${tag} to be one of ${e.slice(7, -1)}, got ${tag}=${a}`
        }
        continue
      }
      if (e.startsWith('{=') && e.endsWith('}')) {
        vars[e.slice(2, -1)] = a
        continue
      }
      if (e === '{time}') {
        if (parseUtcText(a) === undefined) return `expected ${tag} to be a UTCTimestamp, got "${a}"`
        continue
      }
      if (a !== e) return `expected ${tag}=${e}, got ${tag}=${a}`
    }
  }
  for (const [tag, values] of g) {
    if (!NOT_COMPARED.has(tag) && !w.has(tag)) return `unexpected field ${tag}=${values.join(',')}`
  }
  return undefined
}
