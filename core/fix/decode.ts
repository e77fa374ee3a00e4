import {
  ContainedComponentField,
  ContainedField,
  ContainedGroupField,
  ContainedSimpleField,
  ElasticBuffer,
  GroupFieldDefinition,
  IContainedSet,
  MessageDefinition,
  TagType,
  TimeFormatter
} from './jspurefix'
import type { FieldList } from './field-list'
import { COMPONENT, GROUP, Plan, Plans, REFUSED, SIMPLE, Step } from './decode-plan'

/**
 * A message object decoded from the fields the codec already split, the same object jspurefix's
 * parser and MsgView.toObject() make of the frame (same keys, key order and typed values), at a
 * fraction of the cost: no second parse, no segment structure, no sorted tag index per view.
 *
 * It reproduces jspurefix's placement of fields (its segment parser: a field belongs to the set of
 * the innermost open component or group that contains its tag; a repeating group's entries start
 * at its delimiter) and converts values with jspurefix's own number and time readers. It answers
 * only where that placement is unambiguous and returns undefined otherwise, so the caller decodes
 * with jspurefix and the output stays the same for every input:
 * - the message type's dictionary tree names every tag and every component or group once (then
 *   jspurefix's lookups, which search a whole segment including what is nested in it, can only
 *   find the field placed there), and it has no data fields (their values may hold SOH);
 * - the frame has no tag unknown to the message, no field twice in one set (or group entry), no
 *   component split in two, and only ASCII bytes.
 */

// jspurefix's ContainedFieldType, as numbers (compile.ts does the same).
const COMPONENT_FIELD = 0
const GROUP_FIELD = 1

/** A decoded message without its trailer: the header's object, and the rest. */
export interface MessageParts {
  header: Record<string, unknown> | undefined
  body: Record<string, unknown>
}

const HEADER = 'StandardHeader'
const TRAILER = 'StandardTrailer'

/** Why the fast path refuses a message: the caller decodes with jspurefix. */
const BAIL = Symbol('bail')

interface Scope {
  set: IContainedSet
  /** The set's own fields in the order they came (a few: a list costs less than a Map). */
  fields: ContainedField[]
  /** Their values: simple, its index in the frame's fields; component, its scope; group, its entries. */
  values: unknown[]
}

interface GroupScope {
  kind: 'group'
  set: IContainedSet
  field: ContainedGroupField
  delimiterTag: number
  /** Position of the last entry start, so one position never starts two entries. */
  lastDelimiter: number
  entries: Scope[]
}

interface SetScope extends Scope {
  kind: 'msg' | 'component'
}

type Open = SetScope | GroupScope

/** A set's own tags and component or group names, and each field's place in the set. */
interface Own { tags: Set<number>, names: Set<string>, index: Map<ContainedField, number> }

/** Null when the fast path cannot read the set. */
const ownCache = new WeakMap<IContainedSet, Own | null>()

/** Whether a message type's tree is one the fast path reads (see the file comment). */
export function supported (def: MessageDefinition): boolean {
  return ownKeys(def, 0) !== null
}

/**
 * A set's own keys, after checking its tree: no set names one of its fields twice, every group is
 * named after its NumInGroup field (jspurefix finds a group's entries by that name), no FIXML attributes.
 */
function ownKeys (set: IContainedSet, depth: number): Own | null {
  let own = ownCache.get(set)
  if (own !== undefined) return own
  ownCache.set(set, null) // a set that contains itself is refused
  own = depth > 32 || set.localAttribute.length > 0 ? null : readOwn(set, depth)
  ownCache.set(set, own)
  return own
}

function readOwn (set: IContainedSet, depth: number): Own | null {
  const own: Own = { tags: new Set(), names: new Set(), index: new Map() }
  const addTag = (tag: number): boolean => !own.tags.has(tag) && own.tags.add(tag) !== undefined
  for (const f of set.fields) {
    own.index.set(f, own.index.size)
    if (f.type === COMPONENT_FIELD || f.type === GROUP_FIELD) {
      if (own.names.has(f.name)) return null
      own.names.add(f.name)
      const inner = (f as ContainedComponentField | ContainedGroupField).definition
      if (f.type === GROUP_FIELD) {
        const noOf = (inner as GroupFieldDefinition).noOfField
        if (noOf === null || noOf.name !== f.name || !addTag(noOf.tag)) return null
      }
      if (ownKeys(inner, depth + 1) === null) return null
    } else if (!addTag((f as ContainedSimpleField).definition.tag)) {
      return null
    }
  }
  return own
}

/**
 * Whether a set enclosing the one being filled has a field of this key: jspurefix would then look
 * it up in its whole segment and could find this nested one (or find it twice).
 */
function enclosingHas (stack: Open[], tag: number, name?: string): boolean {
  for (let k = 0; k < stack.length - 1; k++) {
    const own = ownCache.get(stack[k].set)
    if (own == null) return true
    if (name !== undefined ? own.names.has(name) : own.tags.has(tag)) return true
  }
  return false
}

/**
 * The object jspurefix's toObject() gives for this frame (header under StandardHeader), or
 * undefined when the fast path does not apply. `fields` are the frame's fields in order, each
 * value at the byte offset the walk computes (tag digits, '=', value, SOH).
 */
export class FieldDecoder {
  // jspurefix's readers, pointed at the frame being decoded (they read `buffer` only).
  private readonly reader = new ElasticBuffer(1)
  private readonly times = new TimeFormatter(this.reader)

  private readonly plans = new Plans()
  /** Each field's value offset in the frame being decoded (decode is synchronous: one array serves every frame). */
  private starts = new Int32Array(64)

  decode (
    def: MessageDefinition,
    frame: Buffer,
    fields: FieldList
  ): Record<string, unknown> | undefined {
    return this.run(def, frame, fields, false) as Record<string, unknown> | undefined
  }

  /**
   * The same object in two parts: the header's object (StandardHeader), and the rest without the
   * header and trailer (what the translator gives as msg.payload), made at once rather than copied
   * out of the whole object.
   */
  decodeParts (def: MessageDefinition, frame: Buffer, fields: FieldList): MessageParts | undefined {
    return this.run(def, frame, fields, true) as MessageParts | undefined
  }

  private run (
    def: MessageDefinition,
    frame: Buffer,
    fields: FieldList,
    parts: boolean
  ): Record<string, unknown> | MessageParts | undefined {
    if (!supported(def) || !ascii(frame)) return undefined
    const plan = this.plans.planOf(def, fields.tags, () => planOf(this.place(def, fields)))
    if (plan === REFUSED) return undefined
    const starts = this.valueStarts(fields)
    const reader = this.reader as unknown as { buffer: Buffer }
    reader.buffer = frame
    try {
      return parts ? this.parts(plan, frame, fields.values, starts) : this.build(plan, frame, fields.values, starts)
    } finally {
      reader.buffer = EMPTY
    }
  }

  /** Where each field's value starts in the frame: tag digits, '=', value, SOH, field after field. */
  private valueStarts (fields: FieldList): Int32Array {
    const { tags, values } = fields
    if (this.starts.length < tags.length) this.starts = new Int32Array(tags.length * 2)
    const starts = this.starts
    let pos = 0
    for (let i = 0; i < tags.length; i++) {
      const start = pos + digits(tags[i]) + 1
      starts[i] = start
      pos = start + values[i].length + 1
    }
    return starts
  }

  /**
   * Places every field in its set as jspurefix's segment parser does (its discover loop, step by
   * step); BAIL where the result could differ from jspurefix's. Reads the tags only (see decode-plan.ts).
   */
  private place (def: MessageDefinition, fields: FieldList): SetScope | typeof BAIL {
    const msg: SetScope = { kind: 'msg', set: def, fields: [], values: [] }
    const stack: Open[] = [msg]
    let i = 0
    const { tags } = fields
    while (i < tags.length) {
      const tag = tags[i]
      const top = stack[stack.length - 1]
      let ending = false
      if (top.kind === 'group' && tag === top.delimiterTag) {
        if (top.lastDelimiter !== i) startEntry(top, i)
      } else if (stack.length > 1) {
        const parent = stack[stack.length - 2]
        if (parent.kind === 'group' && tag === parent.delimiterTag && parent.lastDelimiter !== i) {
          startEntry(parent, i)
          ending = true
        }
      }
      if (top.set.containedTag[tag] !== true || ending) {
        if (top.kind === 'msg') return BAIL // a tag the message does not have: jspurefix's gap
        unwind(stack, tag)
        continue
      }
      const field: ContainedField | undefined = top.set.localTag[tag] ?? top.set.tagToField[tag]
      const scope = top.kind === 'group' ? top.entries[top.entries.length - 1] : top
      if (field === undefined || scope === undefined) return BAIL
      if (field.type === COMPONENT_FIELD) {
        // A component split in two, or one an enclosing set also names.
        if (scope.fields.includes(field) || enclosingHas(stack, 0, field.name)) return BAIL
        const child: SetScope = {
          kind: 'component',
          set: (field as ContainedComponentField).definition,
          fields: [],
          values: []
        }
        put(scope, field, child)
        stack.push(child)
      } else if (field.type === GROUP_FIELD) {
        if (scope.fields.includes(field) || i + 1 >= tags.length || enclosingHas(stack, tag, field.name)) return BAIL
        const g = field as ContainedGroupField
        const group: GroupScope = {
          kind: 'group',
          set: g.definition,
          field: g,
          delimiterTag: tags[i + 1],
          lastDelimiter: -1,
          entries: []
        }
        put(scope, field, group)
        stack.push(group)
        i++
      } else {
        const def = (field as ContainedSimpleField).definition
        // A data field may hold SOH: only jspurefix's parser reads it by its length field.
        if (def.tag !== tag || def.tagType === RAW || scope.fields.includes(field)) return BAIL
        if (enclosingHas(stack, tag)) return BAIL
        put(scope, field, i)
        i++
      }
    }
    return msg
  }

  /** The object of a set by its plan's steps (keys in the set's field order, as jspurefix's asLoose() builds it). */
  private build (
    steps: Step[],
    frame: Buffer,
    values: string[],
    starts: Int32Array
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (let k = 0; k < steps.length; k++) this.put(out, steps[k], frame, values, starts)
    return out
  }

  /** The message's steps with the header's object apart and the trailer's left out. */
  private parts (steps: Step[], frame: Buffer, values: string[], starts: Int32Array): MessageParts {
    const body: Record<string, unknown> = {}
    let header: Record<string, unknown> | undefined
    for (let k = 0; k < steps.length; k++) {
      const s = steps[k]
      if (s.kind === COMPONENT && s.name === HEADER) header = this.build(s.inner[0], frame, values, starts)
      else if (s.kind !== COMPONENT || s.name !== TRAILER) this.put(body, s, frame, values, starts)
    }
    return { header, body }
  }

  private put (out: Record<string, unknown>, s: Step, frame: Buffer, values: string[], starts: Int32Array): void {
    if (s.kind === SIMPLE) {
      const typed = this.typed(s.tagType, values[s.at], starts[s.at], frame)
      if (typed !== null && typed !== undefined) out[s.name] = typed
    } else if (s.kind === COMPONENT) {
      out[s.name] = this.build(s.inner[0], frame, values, starts)
    } else {
      const entries = new Array(s.inner.length)
      for (let e = 0; e < entries.length; e++) entries[e] = this.build(s.inner[e], frame, values, starts)
      out[s.name] = entries
    }
  }

  /** A value as jspurefix's AsciiView.toTyped() reads it (strings: the frame is ASCII, its latin1 text is the same). */
  private typed (tagType: number, value: string, start: number, frame: Buffer): unknown {
    const end = start + value.length
    const r = this.reader
    switch (tagType) {
      case FLOAT: return r.getFloat(start, end - 1)
      case INT: case LENGTH: return r.getWholeNumber(start, end - 1)
      case BOOLEAN: return frame[start] === Y
      case TIMESTAMP: return value.length < 8 ? null : this.times.getUtcTimestamp(start, end)
      case TIME_ONLY: return this.times.getUtcTime(start)
      case DATE_ONLY: case LOCAL_DATE: return value.length < 8 ? null : this.times.getUtcDate(start)
      default: return value
    }
  }
}

/** Sorts a scope's fields (and values) into the order of its set: they mostly come in it, so an insertion sort. */
function inSetOrder (scope: Scope): void {
  const { fields, values } = scope
  const index = (ownCache.get(scope.set) as Own).index
  for (let k = 1; k < fields.length; k++) {
    const f = fields[k]
    const v = values[k]
    const at = index.get(f) as number
    let j = k - 1
    while (j >= 0 && (index.get(fields[j]) as number) > at) {
      fields[j + 1] = fields[j]
      values[j + 1] = values[j]
      j--
    }
    fields[j + 1] = f
    values[j + 1] = v
  }
}

/**
 * The steps of a placed message: each set's fields sorted into the set's order, then one step per
 * key (the key names and readers of the object jspurefix's asLoose() builds), or REFUSED.
 */
function planOf (placed: SetScope | typeof BAIL): Plan {
  return placed === BAIL ? REFUSED : stepsOf(placed)
}

function stepsOf (scope: Scope): Step[] {
  inSetOrder(scope)
  const steps: Step[] = []
  for (let k = 0; k < scope.fields.length; k++) {
    const f = scope.fields[k]
    const v = scope.values[k]
    if (f.type === COMPONENT_FIELD) {
      const name = (f as ContainedComponentField).definition.name
      steps.push(new Step(COMPONENT, name, -1, -1, [stepsOf(v as SetScope)]))
    } else if (f.type === GROUP_FIELD) {
      const g = v as GroupScope
      steps.push(new Step(GROUP, g.field.definition.name, -1, -1, g.entries.map(stepsOf)))
    } else {
      steps.push(new Step(SIMPLE, f.name, v as number, (f as ContainedSimpleField).definition.tagType, []))
    }
  }
  return steps
}

function put (scope: Scope, field: ContainedField, value: unknown): void {
  scope.fields.push(field)
  scope.values.push(value)
}

// jspurefix's TagType values, read once (each read through its package's re-exports is a getter call).
const FLOAT = TagType.Float
const INT = TagType.Int
const LENGTH = TagType.Length
const BOOLEAN = TagType.Boolean
const TIMESTAMP = TagType.UtcTimestamp
const TIME_ONLY = TagType.UtcTimeOnly
const DATE_ONLY = TagType.UtcDateOnly
const LOCAL_DATE = TagType.LocalDate
const RAW = TagType.RawData

const Y = 0x59
const EMPTY = Buffer.alloc(0)

function startEntry (g: GroupScope, at: number): void {
  g.lastDelimiter = at
  g.entries.push({ set: g.set, fields: [], values: [] })
}

/** jspurefix's unwind: close sets until one contains the tag (or the message is reached). */
function unwind (stack: Open[], tag: number): void {
  while (stack.length > 1) {
    stack.pop()
    const peek = stack[stack.length - 1]
    if (peek.set.containedTag[tag] === true || peek.kind === 'msg') break
  }
}

function digits (n: number): number {
  if (n < 10000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4
  let d = 5
  for (n = Math.floor(n / 100000); n > 0; n = Math.floor(n / 10)) d++
  return d
}

function ascii (frame: Buffer): boolean {
  for (let i = 0; i < frame.length; i++) if (frame[i] > 0x7f) return false
  return true
}
