/**
 * Mapping targets: a FIX field path such as "ClOrdID", "Instrument.Symbol" or
 * "Parties.NoPartyIDs[1].PartyRole" (components by name, group instances by index).
 */

export type PathSegment = { name: string, index?: number }

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d{1,4})\])?$/
/** Names that would reach Object.prototype when used as keys: no FIX field or component is called so. */
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype'])

/** A mapping target that is not a FIX field path (or names a prototype property). */
export class FieldPathError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'FieldPathError'
  }
}

/** Parses a field path; throws FieldPathError on anything that is not name(.name|[n])*. */
export function parseFieldPath (path: string): PathSegment[] {
  if (typeof path !== 'string' || path.trim() === '') throw new FieldPathError('empty FIX field path')
  return path.trim().split('.').map(part => {
    const m = SEGMENT.exec(part)
    if (m === null) throw new FieldPathError(`"${path}" is not a FIX field path (Name, Component.Name, Group[0].Name)`)
    if (UNSAFE.has(m[1])) throw new FieldPathError(`"${path}" is not a FIX field path: "${m[1]}" is not allowed`)
    return m[2] === undefined ? { name: m[1] } : { name: m[1], index: Number(m[2]) }
  })
}

/**
 * Sets a value in a message object at a parsed path, creating components and group instances on
 * the way. Only own properties are followed, and unsafe names are refused even in a path built by
 * hand, so no path reaches a prototype.
 */
export function setFieldPath (target: Record<string, unknown>, path: PathSegment[], value: unknown): void {
  let cur: Record<string, unknown> = target
  for (let i = 0; i < path.length; i++) {
    const { name, index } = path[i]
    if (UNSAFE.has(name)) throw new FieldPathError(`"${name}" is not allowed in a FIX field path`)
    const last = i === path.length - 1
    if (index === undefined) {
      if (last) {
        cur[name] = value
        return
      }
      const next = Object.hasOwn(cur, name) ? cur[name] : undefined
      if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[name] = {}
      cur = cur[name] as Record<string, unknown>
    } else {
      let list = Object.hasOwn(cur, name) ? cur[name] : undefined
      if (!Array.isArray(list)) {
        list = []
        cur[name] = list
      }
      const arr = list as unknown[]
      while (arr.length <= index) arr.push({})
      if (last) {
        arr[index] = value
        return
      }
      if (typeof arr[index] !== 'object' || arr[index] === null) arr[index] = {}
      cur = arr[index] as Record<string, unknown>
    }
  }
}
