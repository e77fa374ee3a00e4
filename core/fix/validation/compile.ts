import type {
  ContainedComponentField,
  ContainedField,
  ContainedGroupField,
  ContainedSimpleField,
  FixDefinitions,
  IContainedSet,
  MessageDefinition,
  SimpleFieldDefinition
} from '../jspurefix'
import { Coerce, coercerFor, isDataType, isMultipleValueType } from './values'
import { ENVELOPE_FIELDS } from '../session-tags'
import { WireShape, wireShape } from './wire'

/**
 * Validation rules compiled once per dictionary set (message, component, group) and cached, so
 * checking a message is a walk over its keys with one map lookup each: the check costs less than
 * jspurefix's own encoding of the same object.
 */

// jspurefix's ContainedFieldType, as numbers so this file needs no runtime import of jspurefix.
const COMPONENT = 0
const GROUP = 1

export interface SimpleRule {
  kind: 'simple'
  /** Position in its set: wire order. */
  index: number
  name: string
  tag: number
  type: string
  /** `type` in capitals (dictionaries spell types either way): what value checks switch on. */
  typeKey: string
  required: boolean
  coerce: Coerce
  /** Enum values of the field (key -> description), if it has any. */
  enums?: Map<string, string>
  /** Enum names and descriptions ('Buy', 'BUY') -> key ('1'), accepted in place of the key. */
  aliases?: Map<string, string>
  multi: boolean
  /** For a DATA field: the LENGTH field before it, derived from the byte length. */
  lengthName?: string
  /** For a LENGTH field paired with a DATA field: that field. */
  lengthOf?: string
}

export interface ComponentRule {
  kind: 'component'
  /** Position in its set: wire order. */
  index: number
  name: string
  required: boolean
  set: () => CompiledSet
  /** When the component is only a repeating group (QuickFIX's Parties -> NoPartyIDs), its name. */
  soleGroup?: string
}

export interface GroupRule {
  kind: 'group'
  /** Position in its set: wire order. */
  index: number
  name: string
  /** Tag of the NumInGroup field (the group's name in QuickFIX dictionaries). */
  tag: number
  required: boolean
  set: () => CompiledSet
  /** Keys from the instance to the group's first field, which every instance must carry. */
  delimiter: string[]
  delimiterTag: number
}

export type Rule = SimpleRule | ComponentRule | GroupRule

/**
 * Adds `rule` to `rules`, which stay in wire order (by index): an insertion sort, as a set's present
 * fields are a handful and mostly arrive in that order already.
 */
export function insertInWireOrder (rules: Rule[], rule: Rule): void {
  let j = rules.length
  rules.push(rule)
  while (j > 0 && rules[j - 1].index > rule.index) {
    rules[j] = rules[j - 1]
    j--
  }
  rules[j] = rule
}

export interface CompiledSet {
  name: string
  /** For messages: "NewOrderSingle (D)"; "component Instrument"; "group NoPartyIDs". */
  label: string
  fields: Map<string, Rule>
  required: Rule[]
}

export interface RequiredLeaf { name: string, tag?: number, path: string }

export interface CompiledMessage {
  definition: MessageDefinition
  set: CompiledSet
  /** Its shape by tag number (wire.ts), made on first use. */
  wire?: WireShape
}

export interface CompiledDictionary {
  definitions: FixDefinitions
  /** A message by MsgType code ('D') or name ('NewOrderSingle'). */
  message: (msgType: string) => CompiledMessage | undefined
  /** The shape by tag number of a message type given by its MsgType code only (a name is not a MsgType). */
  wire: (msgType: string) => WireShape | undefined
  /** Any field of the dictionary by tag (not required, no position): its name, type and enums. */
  field: (tag: number) => SimpleRule | undefined
  /** Header and trailer field names (and group names) -> tag and where they belong. */
  envelope: Map<string, { tag?: number, part: 'header' | 'trailer' }>
  envelopeTags: Map<number, { name: string, part: 'header' | 'trailer' }>
  requiredLeaves: (set: CompiledSet) => RequiredLeaf[]
}

const cache = new WeakMap<FixDefinitions, CompiledDictionary>()

/** Fields the session always owns, whatever a custom dictionary's header says (core/fix/session-tags.ts). */
const OWNED = ENVELOPE_FIELDS.filter(f => f.owned === true)

export function compileDictionary (definitions: FixDefinitions): CompiledDictionary {
  let compiled = cache.get(definitions)
  if (compiled !== undefined) return compiled
  const sets = new WeakMap<IContainedSet, CompiledSet>()
  const messages = new Map<string, CompiledMessage>()
  const byTag = new Map<number, SimpleRule>()
  const leaves = new WeakMap<CompiledSet, RequiredLeaf[]>()

  function setOf (def: IContainedSet, label: string): CompiledSet {
    let s = sets.get(def)
    if (s === undefined) {
      s = compileSet(def, label, setOf)
      sets.set(def, s)
    }
    return s
  }

  const envelope = new Map<string, { tag?: number, part: 'header' | 'trailer' }>()
  const envelopeTags = new Map<number, { name: string, part: 'header' | 'trailer' }>()
  const addEnvelope = (def: IContainedSet | undefined, part: 'header' | 'trailer'): void => {
    if (def === undefined) return
    for (const f of def.fields) {
      if (f.type === COMPONENT) {
        envelope.set(f.name, { part })
        addEnvelope((f as ContainedComponentField).definition as unknown as IContainedSet, part)
      } else if (f.type === GROUP) {
        const g = (f as ContainedGroupField).definition
        const tag = g.noOfField?.tag
        envelope.set(f.name, { tag, part })
        if (tag !== undefined) envelopeTags.set(tag, { name: f.name, part })
        addEnvelope(g as unknown as IContainedSet, part)
      } else {
        const d = (f as ContainedSimpleField).definition
        envelope.set(d.name, { tag: d.tag, part })
        envelopeTags.set(d.tag, { name: d.name, part })
      }
    }
  }
  envelope.set('StandardHeader', { part: 'header' })
  envelope.set('StandardTrailer', { part: 'trailer' })
  const headerDef = definitions.component.get('StandardHeader') as unknown as IContainedSet | undefined
  const trailerDef = definitions.component.get('StandardTrailer') as unknown as IContainedSet | undefined
  addEnvelope(headerDef, 'header')
  addEnvelope(trailerDef, 'trailer')
  for (const { tag, name, part } of OWNED) {
    if (!envelope.has(name)) envelope.set(name, { tag, part })
    if (!envelopeTags.has(tag)) envelopeTags.set(tag, { name, part })
  }

  compiled = {
    definitions,
    envelope,
    envelopeTags,
    wire (msgType: string) {
      const m = compiled!.message(msgType)
      if (m === undefined || m.definition.msgType !== msgType) return undefined
      if (m.wire === undefined) {
        // The header and trailer count where the message includes them (jspurefix's definitions always do).
        const envelopeSets: CompiledSet[] = []
        for (const f of (m.definition as unknown as IContainedSet).fields) {
          if (f.type !== COMPONENT || (f.name !== 'StandardHeader' && f.name !== 'StandardTrailer')) continue
          envelopeSets.push(setOf((f as ContainedComponentField).definition as unknown as IContainedSet, f.name))
        }
        m.wire = wireShape(m.set, envelopeSets)
      }
      return m.wire
    },
    field (tag: number) {
      let r = byTag.get(tag)
      if (r === undefined) {
        // Only the dictionary's tags are kept: a tag off the wire that is not one adds nothing here.
        const d = definitions.tagToSimple[tag]
        if (d === undefined) return undefined
        r = simpleRule(d, false, -1)
        byTag.set(tag, r)
      }
      return r
    },
    message (msgType: string) {
      let m = messages.get(msgType)
      if (m === undefined) {
        const definition = definitions.message.get(msgType)
        if (definition === undefined) return undefined
        m = {
          definition,
          set: setOf(definition as unknown as IContainedSet, `${definition.name} (${definition.msgType})`)
        }
        messages.set(msgType, m)
      }
      return m
    },
    requiredLeaves (set: CompiledSet): RequiredLeaf[] {
      let l = leaves.get(set)
      if (l === undefined) {
        l = []
        for (const r of set.required) {
          if (r.kind === 'component') {
            for (const inner of compiled!.requiredLeaves(r.set())) l.push({ ...inner, path: `${r.name}.${inner.path}` })
          } else {
            l.push({ name: r.name, tag: r.tag, path: r.name })
          }
        }
        leaves.set(set, l)
      }
      return l
    }
  }
  cache.set(definitions, compiled)
  return compiled
}

type SetOf = (def: IContainedSet, label: string) => CompiledSet

function compileSet (def: IContainedSet, label: string, setOf: SetOf): CompiledSet {
  const fields = new Map<string, Rule>()
  const required: Rule[] = []
  const list: ContainedField[] = def.fields
  for (let i = 0; i < list.length; i++) {
    const f = list[i]
    let rule: Rule
    if (f.type === COMPONENT) {
      // The envelope is the session's business, never part of a body.
      if (f.name === 'StandardHeader' || f.name === 'StandardTrailer') continue
      const c = (f as ContainedComponentField).definition as unknown as IContainedSet
      const only = c.fields.length === 1 && c.fields[0].type === GROUP ? c.fields[0].name : undefined
      rule = {
        kind: 'component',
        index: i,
        name: f.name,
        required: f.required,
        set: lazy(() => setOf(c, `component ${f.name}`)),
        soleGroup: only
      }
    } else if (f.type === GROUP) {
      const g = (f as ContainedGroupField).definition
      const gset = g as unknown as IContainedSet
      const d = delimiterOf(gset)
      rule = {
        kind: 'group',
        index: i,
        name: f.name,
        tag: g.noOfField?.tag ?? 0,
        required: f.required,
        set: lazy(() => setOf(gset, `group ${f.name}`)),
        delimiter: d.path,
        delimiterTag: d.tag
      }
    } else {
      const sf = f as ContainedSimpleField
      rule = simpleRule(sf.definition, sf.required, i)
      const prev = list[i - 1] as ContainedSimpleField | undefined
      const next = list[i + 1] as ContainedSimpleField | undefined
      if (isDataType(rule.type) && prev?.type === 2 && prev.definition.type.toUpperCase() === 'LENGTH') {
        rule.lengthName = prev.name
      }
      if (rule.type.toUpperCase() === 'LENGTH' && next?.type === 2 && isDataType(next.definition.type)) {
        rule.lengthOf = next.name
      }
    }
    fields.set(f.name, rule)
    if (rule.required) required.push(rule)
  }
  return { name: def.name, label, fields, required }
}

function simpleRule (d: SimpleFieldDefinition, required: boolean, index: number): SimpleRule {
  const rule: SimpleRule = {
    kind: 'simple',
    index,
    name: d.name,
    tag: d.tag,
    type: d.type,
    typeKey: d.type.toUpperCase(),
    required,
    coerce: coercerFor(d.type),
    multi: isMultipleValueType(d.type)
  }
  if (d.enums != null && d.enums.size > 0) {
    rule.enums = new Map()
    rule.aliases = new Map()
    for (const [key, e] of d.enums) {
      rule.enums.set(key, e.description ?? e.val)
      if (!d.enums.has(e.val)) rule.aliases.set(e.val, key)
      if (e.description != null && !d.enums.has(e.description)) rule.aliases.set(e.description, key)
    }
  }
  return rule
}

/** A group instance starts with the group's first field (possibly inside a first component). */
function delimiterOf (set: IContainedSet): { path: string[], tag: number } {
  const path: string[] = []
  let s: IContainedSet = set
  for (;;) {
    const first = s.fields[0]
    if (first === undefined) return { path, tag: 0 }
    path.push(first.name)
    if (first.type === COMPONENT) {
      s = (first as ContainedComponentField).definition as unknown as IContainedSet
      continue
    }
    if (first.type === GROUP) return { path, tag: (first as ContainedGroupField).definition.noOfField?.tag ?? 0 }
    return { path, tag: (first as ContainedSimpleField).definition.tag }
  }
}

function lazy<T> (make: () => T): () => T {
  let v: T | undefined
  return () => (v ??= make())
}
