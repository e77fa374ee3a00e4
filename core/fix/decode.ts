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
const COMPONENT = 0
const GROUP = 1

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
    if (f.type === COMPONENT || f.type === GROUP) {
      if (own.names.has(f.name)) return null
      own.names.add(f.name)
      const inner = (f as ContainedComponentField | ContainedGroupField).definition
      if (f.type === GROUP) {
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

  decode (
    def: MessageDefinition,
    frame: Buffer,
    fields: FieldList
  ): Record<string, unknown> | undefined {
    if (!supported(def) || !ascii(frame)) return undefined
    const starts: number[] = []
    const result = this.place(def, fields, starts)
    if (result === BAIL) return undefined
    const reader = this.reader as unknown as { buffer: Buffer }
    reader.buffer = frame
    try {
      return this.build(result, frame, fields, starts)
    } finally {
      reader.buffer = EMPTY
    }
  }

  /**
   * Places every field in its set as jspurefix's segment parser does (its discover loop, step by
   * step), recording the field's byte offset; BAIL where the result could differ from jspurefix's.
   */
  private place (
    def: MessageDefinition,
    fields: FieldList,
    starts: number[]
  ): SetScope | typeof BAIL {
    const msg: SetScope = { kind: 'msg', set: def, fields: [], values: [] }
    const stack: Open[] = [msg]
    let pos = 0
    let i = 0
    const { tags, values } = fields
    while (i < tags.length) {
      const tag = tags[i]
      const value = values[i]
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
      if (field.type === COMPONENT) {
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
      } else if (field.type === GROUP) {
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
        pos += fieldLength(tag, value)
        i++
      } else {
        const def = (field as ContainedSimpleField).definition
        // A data field may hold SOH: only jspurefix's parser reads it by its length field.
        if (def.tag !== tag || def.tagType === RAW || scope.fields.includes(field)) return BAIL
        if (enclosingHas(stack, tag)) return BAIL
        starts[i] = pos + digits(tag) + 1
        put(scope, field, i)
        pos += fieldLength(tag, value)
        i++
      }
    }
    return msg
  }

  /** The object of a set, keys in the set's field order, as jspurefix's asLoose() builds it. */
  private build (
    scope: Scope,
    frame: Buffer,
    fields: FieldList,
    starts: number[]
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    inSetOrder(scope)
    for (let k = 0; k < scope.fields.length; k++) {
      const f = scope.fields[k]
      const v = scope.values[k]
      if (f.type === COMPONENT) {
        out[(f as ContainedComponentField).definition.name] = this.build(v as SetScope, frame, fields, starts)
      } else if (f.type === GROUP) {
        const g = v as GroupScope
        out[g.field.definition.name] = g.entries.map(e => this.build(e, frame, fields, starts))
      } else {
        const i = v as number
        const typed = this.typed((f as ContainedSimpleField), fields.values[i], starts[i], frame)
        if (typed !== null && typed !== undefined) out[f.name] = typed
      }
    }
    return out
  }

  /** A value as jspurefix's AsciiView.toTyped() reads it (strings: the frame is ASCII, its latin1 text is the same). */
  private typed (f: ContainedSimpleField, value: string, start: number, frame: Buffer): unknown {
    const end = start + value.length
    const r = this.reader
    switch (f.definition.tagType) {
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

/** Bytes of `tag=value<SOH>`; tags have no leading zero (the codec's field check). */
function fieldLength (tag: number, value: string): number {
  return digits(tag) + value.length + 2
}

function digits (n: number): number {
  let d = 1
  while (n >= 10) { n = Math.floor(n / 10); d++ }
  return d
}

function ascii (frame: Buffer): boolean {
  for (let i = 0; i < frame.length; i++) if (frame[i] > 0x7f) return false
  return true
}
