import { Position, StartAt } from '../stream/types'

/** A position as a map key. Targets may hand back numbers; positions are text, so normalise. */
export function positionKey (position: readonly unknown[]): string {
  // Each part prefixed by its length, so no character inside a part can make two positions meet;
  // built without an intermediate array, as it runs for every row sent and every confirmation.
  let key = ''
  for (let i = 0; i < position.length; i++) {
    const part = String(position[i])
    key += `${part.length}:${part}`
  }
  return key
}

/** A position from untrusted input (msg.payload, an HTTP body): an array of strings or numbers. */
export function parsePosition (value: unknown): Position {
  if (typeof value === 'string' || typeof value === 'number') return [String(value)]
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every(v => typeof v === 'string' || typeof v === 'number')
  ) {
    throw new Error('a position is an array of strings or numbers, e.g. ["1093"] or ["7421","1093"]')
  }
  return value.map(v => String(v))
}

/** Checks a StartAt read back from the database or built from a control message. */
export function isStartAt (value: unknown): value is StartAt {
  if (value === null || typeof value !== 'object') return false
  const v = value as Record<string, unknown>
  switch (v.kind) {
    case 'live':
    case 'beginning':
      return true
    case 'after':
      return Array.isArray(v.position) && v.position.every(p => typeof p === 'string')
    case 'timestamp':
      return typeof v.at === 'string'
    default:
      return false
  }
}

export function describeStart (start: StartAt): string {
  switch (start.kind) {
    case 'live': return 'live'
    case 'beginning': return 'the beginning'
    case 'after': return `after [${start.position.join(', ')}]`
    case 'timestamp': return `from ${start.at}`
  }
}
