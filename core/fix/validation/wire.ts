import type { CompiledSet } from './compile'

/**
 * A message type's shape by tag number, as the inbound rules read a frame: which tags it may carry,
 * which of them may repeat, which must be present, and where its repeating groups start and end.
 * Derived from the compiled sets (compile.ts), so the translator's validator and the session's inbound
 * rules read one model of the dictionary.
 */
export interface WireShape {
  /** Every tag the message may carry: header, body (through components and groups, NumInGroup tags too), trailer. */
  contained: Set<number>
  /**
   * Tags inside repeating groups, at any depth (a nested group's NumInGroup tag too): the only tags that may
   * appear more than once. A group's own NumInGroup tag is not one of them unless the group is nested.
   */
  inGroups: Set<number>
  /** Required simple fields of the body, through required components (not groups: a group may be absent). */
  required: number[]
  /** NumInGroup tag -> group, for the body's groups (through its components); nested groups inside each. */
  groups: Map<number, WireGroup>
}

export interface WireGroup {
  /** Tag that starts each entry: the group's first field (inside a first component if need be). */
  delimiter: number
  /** Every tag an entry may carry, nested groups' included (not the group's own NumInGroup tag: it ends the group). */
  contained: Set<number>
  /** NumInGroup tag -> group nested in an entry. */
  nested: Map<number, WireGroup>
}

/**
 * Nesting limits, far beyond the real dictionaries' depth (FIX 5.0SP2 nests components and groups 17 deep),
 * that guard against a custom dictionary that includes itself. Groups are checked 10 sets deep at most.
 */
const MAX_DEPTH = 64
const MAX_GROUP_DEPTH = 10

/**
 * The shape of a message from its compiled parts: `envelope` are the header and trailer (their tags are
 * contained, their groups' members may repeat, but their fields are the session's business, not required
 * here), `body` the message's own set.
 */
export function wireShape (body: CompiledSet, envelope: CompiledSet[]): WireShape {
  const contained = new Set<number>()
  const inGroups = new Set<number>()
  for (const set of [...envelope, body]) tagsOf(set, contained, inGroups, false, 0)
  return { contained, inGroups, required: requiredOf(body, 0), groups: groupsOf(body, 0) }
}

/** Adds every tag of a set to `into`, and to `grouped` those inside one of its groups. */
function tagsOf (set: CompiledSet, into: Set<number>, grouped: Set<number>, inGroup: boolean, depth: number): void {
  if (depth > MAX_DEPTH) return
  for (const rule of set.fields.values()) {
    if (rule.kind === 'simple') {
      into.add(rule.tag)
      if (inGroup) grouped.add(rule.tag)
    } else if (rule.kind === 'group') {
      if (rule.tag !== 0) {
        into.add(rule.tag)
        if (inGroup) grouped.add(rule.tag)
      }
      tagsOf(rule.set(), into, grouped, true, depth + 1)
    } else {
      tagsOf(rule.set(), into, grouped, inGroup, depth + 1)
    }
  }
}

function requiredOf (set: CompiledSet, depth: number): number[] {
  const out: number[] = []
  for (const rule of set.required) {
    if (rule.kind === 'simple') out.push(rule.tag)
    else if (rule.kind === 'component' && depth < 8) out.push(...requiredOf(rule.set(), depth + 1))
  }
  return out
}

function groupsOf (set: CompiledSet, depth: number): Map<number, WireGroup> {
  const out = new Map<number, WireGroup>()
  if (depth > MAX_GROUP_DEPTH) return out
  for (const rule of set.fields.values()) {
    if (rule.kind === 'group') {
      if (rule.tag === 0 || rule.delimiterTag === 0) continue
      const contained = new Set<number>()
      tagsOf(rule.set(), contained, contained, true, depth + 1)
      out.set(rule.tag, { delimiter: rule.delimiterTag, contained, nested: groupsOf(rule.set(), depth + 1) })
    } else if (rule.kind === 'component') {
      for (const [tag, g] of groupsOf(rule.set(), depth + 1)) out.set(tag, g)
    }
  }
  return out
}
