import type { FixDefinitions } from '../fix/jspurefix'
import { CompiledSet, compileDictionary, GroupRule, SimpleRule } from '../fix/validation/compile'

/**
 * A journal row decoded for a person to read: every field with the dictionary's name and, for an
 * enumerated field, the value's description (54=1 Side=Buy); repeating groups nested under their
 * NumInGroup field. Display only: it never rejects a message, it shows what is there, and marks
 * what the dictionary does not know.
 */
export interface DecodedField {
  tag: number
  /** The dictionary's name; undefined for a tag the dictionary does not know. */
  name?: string
  value: string
  /** The enum description of the value, when the field is enumerated and the value known. */
  description?: string
  /** For a NumInGroup field: one list of fields per group instance. */
  groups?: DecodedField[][]
}

export interface DecodedMessage {
  msgType: string
  /** The message's name in the dictionary ('ExecutionReport'); undefined when unknown. */
  msgName?: string
  fields: DecodedField[]
  /** Why some of the message could not be placed (an unknown MsgType, a count that does not match). */
  problems: string[]
}

export class DisplayDecodeError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'DisplayDecodeError'
  }
}

/** tag=value pairs of a raw message; SOH or '|' delimited (the journal keeps SOH, logs show '|'). */
export function rawFields (raw: string): Array<[number, string]> {
  const sep = raw.includes('\x01') ? '\x01' : '|'
  const out: Array<[number, string]> = []
  for (const part of raw.split(sep)) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const tag = eq > 0 ? Number(part.slice(0, eq)) : NaN
    if (!Number.isInteger(tag) || tag <= 0) {
      throw new DisplayDecodeError(`not tag=value: ${JSON.stringify(part.slice(0, 40))}`)
    }
    out.push([tag, part.slice(eq + 1)])
  }
  if (out.length === 0) throw new DisplayDecodeError('empty message')
  return out
}

type Slot = { kind: 'simple', rule: SimpleRule } | { kind: 'group', rule: GroupRule }

// Components flattened: on the wire a component's fields sit in its parent, so a tag finds its
// rule in one lookup. Cached per compiled set (sets are themselves cached per dictionary).
const slotCache = new WeakMap<CompiledSet, Map<number, Slot>>()

function slotsOf (set: CompiledSet): Map<number, Slot> {
  let slots = slotCache.get(set)
  if (slots !== undefined) return slots
  slots = new Map()
  const add = (s: CompiledSet, seen: Set<CompiledSet>): void => {
    if (seen.has(s)) return
    seen.add(s)
    for (const rule of s.fields.values()) {
      if (rule.kind === 'simple') slots!.set(rule.tag, { kind: 'simple', rule })
      else if (rule.kind === 'group') slots!.set(rule.tag, { kind: 'group', rule })
      else add(rule.set(), seen)
    }
  }
  add(set, new Set())
  slotCache.set(set, slots)
  return slots
}

/** Decodes `raw` with `definitions`; without a dictionary every field shows by tag only. */
export function decodeForDisplay (raw: string, definitions: FixDefinitions | undefined): DecodedMessage {
  const fields = rawFields(raw)
  const msgType = fields.find(f => f[0] === 35)?.[1] ?? ''
  const problems: string[] = []
  if (definitions === undefined) {
    return {
      msgType,
      fields: fields.map(([tag, value]) => ({ tag, value })),
      problems: ['no dictionary: fields shown by tag only']
    }
  }
  const dict = compileDictionary(definitions)
  const message = dict.message(msgType)
  if (message === undefined) problems.push(`MsgType ${msgType} is not in the dictionary`)
  const body = message !== undefined ? slotsOf(message.set) : new Map<number, Slot>()

  const simple = (tag: number, value: string): DecodedField => {
    const def = definitions.tagToSimple[tag]
    if (def === undefined) return { tag, value }
    const e = def.enums?.get(value)
    return e !== undefined
      ? { tag, name: def.name, value, description: e.description ?? e.val }
      : { tag, name: def.name, value }
  }

  let i = 0
  // Reads one group's instances starting at fields[i] (the field after NumInGroup).
  const readGroup = (rule: GroupRule, count: number): DecodedField[][] => {
    const slots = slotsOf(rule.set())
    const instances: DecodedField[][] = []
    while (instances.length < count && i < fields.length && fields[i][0] === rule.delimiterTag) {
      const instance: DecodedField[] = []
      const seen = new Set<number>()
      while (i < fields.length) {
        const [tag, value] = fields[i]
        const slot = slots.get(tag)
        // An instance ends at a tag it does not hold, or at its delimiter again (the next instance).
        if (slot === undefined || (seen.has(tag) && tag === rule.delimiterTag)) break
        seen.add(tag)
        i++
        instance.push(slot.kind === 'group' ? nested(slot.rule, tag, value) : simple(tag, value))
      }
      instances.push(instance)
    }
    if (instances.length !== count) problems.push(`${rule.name}: says ${count}, found ${instances.length}`)
    return instances
  }
  const nested = (rule: GroupRule, tag: number, value: string): DecodedField => {
    const count = Number(value)
    const f = simple(tag, value)
    f.name ??= rule.name
    f.groups = Number.isInteger(count) && count > 0 ? readGroup(rule, count) : []
    return f
  }

  const out: DecodedField[] = []
  while (i < fields.length) {
    const [tag, value] = fields[i++]
    const slot = body.get(tag)
    if (slot?.kind === 'group') {
      out.push(nested(slot.rule, tag, value))
    } else {
      const f = simple(tag, value)
      const envelopeName = f.name === undefined ? dict.envelopeTags.get(tag)?.name : undefined
      if (envelopeName !== undefined) f.name = envelopeName
      out.push(f)
    }
  }
  return { msgType, msgName: message?.definition.name, fields: out, problems }
}
