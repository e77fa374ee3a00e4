import type { FixDefinitions } from '../jspurefix'
import { CompiledSet, compileDictionary, insertInWireOrder, Rule } from './compile'
import { HEADER_TAGS, TRAILER_TAGS } from '../session-tags'
import { isPlainObject } from '../../util/realm'

/**
 * Proof that a message body was validated, carried with the body object itself, so a send that
 * gets the translator's output does not validate it a second and third time.
 *
 * The translator records each body it validated (validateMessage's normalised body) with the exact
 * SOH-delimited text writeBody made of it. Whoever gets the body later asks `provenBody`: it writes
 * the body as it is now, strictly (every key a field of the message, every value the text of a
 * validated body), and gives that text only when it is byte for byte the recorded one. Invariant:
 * the text it gives is bytes that passed the validator for that dictionary and message type, so a
 * body changed in place after the translator (a function node in between) is not trusted, and a
 * body that never went through the translator has no proof: both take the full validation.
 *
 * The proof is a non-enumerable property of the body, an instance of a class this module keeps
 * to itself. No copy of the body has it: Node-RED's cloneMessage (lodash.clonedeep copies
 * enumerable keys and every symbol key, so a symbol would carry it, dictionary and all), spread,
 * structuredClone and JSON see only enumerable keys, and so do Object.keys, for...in and
 * deepStrictEqual. Nothing outside this module can make one; one taken from another proven body
 * proves nothing here unless this body writes that body's validated text. (A WeakMap keyed by the
 * body, or a private field stamped on it, made the translator two to four times slower in a
 * micro bench: the GC of their entries, or a map per object.)
 */
class Proof {
  constructor (
    readonly definitions: FixDefinitions,
    readonly msgType: string,
    readonly text: string
  ) {}
}

/** The property's name: plain text, so that lodash.clonedeep leaves it behind as non-enumerable. */
const PROOF_KEY = '__fixValidatedBody'

const SOH = '\x01'

/** A proven body's wire text and its fields in order. */
export interface ProvenBody {
  text: string
  fields: Array<[number, string]>
}

/**
 * Records that `body` passed validateMessage for `msgType` (its code) of `definitions` and was
 * written as `text` (writeBody, SOH-delimited). Only for a body that validated.
 */
export function recordValidated (
  definitions: FixDefinitions, msgType: string, body: Record<string, unknown>, text: string
): void {
  Object.defineProperty(body, PROOF_KEY, { value: new Proof(definitions, msgType, text), configurable: true })
}

/**
 * The validated text of `body` when it carries a proof for this dictionary and message type and
 * still writes exactly that text; undefined otherwise (validate it in full). A value holding '=' is
 * never taken as proven: the session's own check refuses some of those (a number given for a text
 * field), and it still decides on them.
 */
export function provenBody (
  definitions: FixDefinitions, msgType: string, body: Record<string, unknown>
): ProvenBody | undefined {
  const proof = body[PROOF_KEY]
  if (!(proof instanceof Proof) || proof.definitions !== definitions || proof.msgType !== msgType) return undefined
  return validatedBody(definitions, msgType, body, proof.text)
}

/**
 * What provenBody gives once the proof is found, for a body the caller itself just validated
 * (validateMessage's normalised body for `msgType` of `definitions`) and wrote as `text` (writeBody,
 * SOH-delimited), as the session's default validator does: the text and its fields when the strict
 * walk writes exactly `text`, undefined when the body holds anything the walk refuses (then the
 * session's own check of the text decides, as for a body with no proof).
 */
export function validatedBody (
  definitions: FixDefinitions, msgType: string, body: Record<string, unknown>, text: string
): ProvenBody | undefined {
  const set = compileDictionary(definitions).message(msgType)?.set
  if (set === undefined) return undefined
  const fields: Array<[number, string]> = []
  return text !== '' && writeStrict(set, body, fields, text, 0) === text.length ? { text, fields } : undefined
}

/**
 * validatedBody's result made in the same walk that writes the text: for a body the caller itself
 * just validated (validateMessage's normalised body for `msgType` of `definitions`), its text as
 * writeBody writes it and its fields, when the strict walk takes every key and value of it; undefined
 * when it refuses anything (then writeBody and the session's own check decide, as before). Invariant:
 * whenever it gives a result, that result is exactly validatedBody(definitions, msgType, body,
 * writeBody(definitions, msgType, body)): the walk is writeStrict's, with its refusals, and a body it
 * takes has no key writeBody would skip (every key a field, every value non-empty text, an object or a
 * non-empty array), so both write the same fields in the same order.
 */
export function writtenBody (
  definitions: FixDefinitions, msgType: string, body: Record<string, unknown>
): ProvenBody | undefined {
  const set = compileDictionary(definitions).message(msgType)?.set
  if (set === undefined) return undefined
  const fields: Array<[number, string]> = []
  const text = writeStrictText(set, body, fields)
  return text !== undefined && text !== '' ? { text, fields } : undefined
}

/** The dictionary-order rules of the keys of `o`, or undefined at a key that is no field of `set`. */
function orderedRules (set: CompiledSet, o: Record<string, unknown>): Rule[] | undefined {
  const keys = Object.keys(o)
  const rules: Rule[] = []
  for (let k = 0; k < keys.length; k++) {
    const rule = set.fields.get(keys[k])
    if (rule === undefined) return undefined
    insertInWireOrder(rules, rule)
  }
  return rules
}

/** writeStrict's walk and refusals, writing the text (SOH-delimited) instead of matching it; undefined: refused. */
function writeStrictText (
  set: CompiledSet, o: Record<string, unknown>, fields: Array<[number, string]>
): string | undefined {
  const rules = orderedRules(set, o)
  if (rules === undefined) return undefined
  let out = ''
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]
    const v = o[rule.name]
    if (rule.kind === 'simple') {
      if (typeof v !== 'string' || v === '' || v.includes('=')) return undefined
      if (HEADER_TAGS.has(rule.tag) || TRAILER_TAGS.has(rule.tag)) return undefined
      out += rule.tag + '=' + v + SOH
      fields.push([rule.tag, v])
    } else if (rule.kind === 'component') {
      if (!isPlainObject(v)) return undefined
      const inner = writeStrictText(rule.set(), v, fields)
      if (inner === undefined) return undefined
      out += inner
    } else {
      if (!Array.isArray(v) || v.length === 0) return undefined
      const count = String(v.length)
      out += rule.tag + '=' + count + SOH
      fields.push([rule.tag, count])
      const inner = rule.set()
      for (let j = 0; j < v.length; j++) {
        const item: unknown = v[j]
        if (!isPlainObject(item)) return undefined
        const written = writeStrictText(inner, item, fields)
        if (written === undefined) return undefined
        out += written
      }
    }
  }
  return out
}

/**
 * writeBody's order and bytes, for a body of strings as validateMessage gives them, matched against
 * `text` from `pos` on as they are written (no text is built: the body is proven only when it
 * writes exactly the recorded text, so the pieces are compared in place); the position after the
 * body's last field, or -1 at the first byte that differs or at anything a validated body does not
 * hold (an unknown key, a value that is not non-empty text, an empty group, a Buffer of raw data) or
 * that the session's check must see.
 */
function writeStrict (
  set: CompiledSet, o: Record<string, unknown>, fields: Array<[number, string]>, text: string, pos: number
): number {
  const rules = orderedRules(set, o)
  if (rules === undefined) return -1
  let at = pos
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]
    const v = o[rule.name]
    if (rule.kind === 'simple') {
      if (typeof v !== 'string' || v === '' || v.includes('=')) return -1
      if (HEADER_TAGS.has(rule.tag) || TRAILER_TAGS.has(rule.tag)) return -1
      at = field(text, at, rule.tag, v)
      if (at < 0) return -1
      fields.push([rule.tag, v])
    } else if (rule.kind === 'component') {
      if (!isPlainObject(v)) return -1
      at = writeStrict(rule.set(), v, fields, text, at)
      if (at < 0) return -1
    } else {
      if (!Array.isArray(v) || v.length === 0) return -1
      const count = String(v.length)
      at = field(text, at, rule.tag, count)
      if (at < 0) return -1
      fields.push([rule.tag, count])
      const inner = rule.set()
      for (let j = 0; j < v.length; j++) {
        const item: unknown = v[j]
        if (!isPlainObject(item)) return -1
        at = writeStrict(inner, item, fields, text, at)
        if (at < 0) return -1
      }
    }
  }
  return at
}

/**
 * Whether `text` holds `tag=value<SOH>` at `pos` (the tag as writeBody writes it: decimal, no
 * leading zero): the position after it, or -1.
 */
function field (text: string, pos: number, tag: number, value: string): number {
  let at = pos
  let t = 0
  let c = text.charCodeAt(at)
  if (c === 48) return -1
  while (c >= 48 && c <= 57) {
    t = t * 10 + c - 48
    c = text.charCodeAt(++at)
  }
  if (at === pos || c !== 61 || t !== tag) return -1
  at++
  if (!text.startsWith(value, at)) return -1
  at += value.length
  return text.charCodeAt(at) === 1 ? at + 1 : -1
}
