import { parsePosition } from '../../core/client'
import { StartAt } from '../../core/stream'
import { isDate } from '../../core/util'

/**
 * Reads the target of a rewind from a control message's payload or an admin request:
 * 'live' | 'beginning' | 'reset' | { position } | { timestamp }.
 */
export function parseRewindTarget (payload: unknown): StartAt | 'reset' {
  if (payload === 'live' || payload === 'beginning') return { kind: payload }
  if (payload === 'reset') return 'reset'
  if (payload !== null && typeof payload === 'object') {
    const p = payload as Record<string, unknown>
    if (p.position !== undefined) return { kind: 'after', position: parsePosition(p.position) }
    if (p.timestamp !== undefined) {
      const at = isDate(p.timestamp) ? p.timestamp : new Date(p.timestamp as string | number)
      if (Number.isNaN(at.getTime())) throw new Error(`not a timestamp: ${JSON.stringify(p.timestamp)}`)
      return { kind: 'timestamp', at: at.toISOString() }
    }
  }
  throw new Error('a rewind takes \'live\', \'beginning\', \'reset\', {position: [...]} or {timestamp: \'...\'}, ' +
    `not ${JSON.stringify(payload)}`)
}
