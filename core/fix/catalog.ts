import type { FixDefinitions } from './jspurefix'
import { CompiledSet, compileDictionary } from './validation/compile'

/** What the editor needs to pick a message type and its fields (dictionary introspection). */

export interface MessageEntry { msgType: string, name: string, category: string }

export interface FieldEntry {
  /** Mapping path, e.g. "Parties.NoPartyIDs[0].PartyID". */
  path: string
  name: string
  /** The field's tag, or the NumInGroup tag of a group; absent for a component. */
  tag?: number
  kind: 'field' | 'component' | 'group'
  type?: string
  required: boolean
  enums?: Array<{ value: string, description: string }>
}

export function listMessages (definitions: FixDefinitions): MessageEntry[] {
  const seen = new Set<string>()
  const out: MessageEntry[] = []
  for (const m of definitions.message.values()) {
    if (seen.has(m.msgType)) continue // the map holds each message under its name and its code
    seen.add(m.msgType)
    out.push({ msgType: m.msgType, name: m.name, category: m.category })
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * The fields of a message, components and groups flattened to mapping paths (group instance 0),
 * depth-first in dictionary order. Deep 5.0SP2 trees are cut at `maxDepth` and `limit` entries.
 */
export function listFields (
  definitions: FixDefinitions,
  msgType: string,
  maxDepth = 5,
  limit = 4000
): FieldEntry[] | undefined {
  const message = compileDictionary(definitions).message(msgType)
  if (message === undefined) return undefined
  const out: FieldEntry[] = []
  // The compiled sets hold the dictionary's fields in its order, without the header and trailer.
  const walk = (set: CompiledSet, prefix: string, depth: number): void => {
    for (const rule of set.fields.values()) {
      if (out.length >= limit) return
      // Required within its parent (a component or group instance), as the dictionary says.
      const { name, required } = rule
      if (rule.kind === 'simple') {
        const entry: FieldEntry = { path: prefix + name, name, tag: rule.tag, kind: 'field', type: rule.type, required }
        if (rule.enums !== undefined) {
          entry.enums = [...rule.enums].map(([value, description]) => ({ value, description }))
        }
        out.push(entry)
      } else if (rule.kind === 'component') {
        out.push({ path: prefix + name, name, kind: 'component', required })
        if (depth < maxDepth) walk(rule.set(), `${prefix}${name}.`, depth + 1)
      } else {
        out.push({ path: prefix + name, name, tag: rule.tag === 0 ? undefined : rule.tag, kind: 'group', required })
        if (depth < maxDepth) walk(rule.set(), `${prefix}${name}[0].`, depth + 1)
      }
    }
  }
  walk(message.set, '', 0)
  return out
}
