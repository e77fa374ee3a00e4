import type {
  ContainedComponentField,
  ContainedGroupField,
  ContainedSimpleField,
  FixDefinitions,
  IContainedSet
} from './jspurefix'

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
  const message = definitions.message.get(msgType)
  if (message === undefined) return undefined
  const out: FieldEntry[] = []
  const walk = (set: IContainedSet, prefix: string, depth: number): void => {
    for (const f of set.fields) {
      if (out.length >= limit) return
      if (f.name === 'StandardHeader' || f.name === 'StandardTrailer') continue
      // Required within its parent (a component or group instance), as the dictionary says.
      const required = f.required
      if (f.type === 2) {
        const d = (f as ContainedSimpleField).definition
        const entry: FieldEntry = {
          path: prefix + f.name,
          name: f.name,
          tag: d.tag,
          kind: 'field',
          type: d.type,
          required
        }
        if (d.enums != null && d.enums.size > 0) {
          entry.enums = [...d.enums.values()].map(e => ({ value: e.key, description: e.description ?? e.val }))
        }
        out.push(entry)
      } else if (f.type === 0) {
        out.push({ path: prefix + f.name, name: f.name, kind: 'component', required })
        if (depth < maxDepth) {
          walk((f as ContainedComponentField).definition as unknown as IContainedSet, `${prefix}${f.name}.`, depth + 1)
        }
      } else {
        const g = (f as ContainedGroupField).definition
        out.push({ path: prefix + f.name, name: f.name, tag: g.noOfField?.tag, kind: 'group', required })
        if (depth < maxDepth) walk(g as unknown as IContainedSet, `${prefix}${f.name}[0].`, depth + 1)
      }
    }
  }
  walk(message as unknown as IContainedSet, '', 0)
  return out
}
