import { createHash } from 'crypto'
import { parseQualifiedName, validateChannel } from '../../core/db'
import {
  AUDIT_POSITION_COLUMNS,
  AUDIT_TIME_COLUMN,
  auditEvents,
  auditTableName,
  StreamConfigError,
  validatePosition
} from '../../core/stream'
import type { AuditEvent, StreamerOptions, StartAt } from '../../core/stream'
import type { AuditStreamerDef } from './types'

export type StreamerSettings = Omit<StreamerOptions, 'database'> & {
  /** The source table to audit, when the node manages its audit table. */
  managedSource?: string
  /** Managed table: which writes notify (ensureAuditTable's notifyOn). */
  notifyOn?: 'all' | 'insert'
  /** Managed table: the writes that add audit rows (ensureAuditTable's events); undefined is all. */
  auditEvents?: AuditEvent[]
}

/** Turns the node's fields into streamer options; throws a StreamConfigError naming the field. */
export function streamerSettings (def: Partial<AuditStreamerDef>): StreamerSettings {
  const table = (def.table ?? '').trim()
  if (table === '') throw new StreamConfigError('no source table given')
  const managed = def.managed === true
  const streamed = managed ? auditTableName(table) : parseQualifiedName(table, 'public', 'source table')
  const positionColumns = managed ? [...AUDIT_POSITION_COLUMNS] : splitList(def.positionColumns)
  if (positionColumns.length === 0) throw new StreamConfigError('no position columns given (e.g. "tx, seq" or "seq")')
  const timeColumn = managed ? AUDIT_TIME_COLUMN : (def.timeColumn ?? '').trim()
  const listen = def.listen !== false
  const channel =
    (def.channel ?? '').trim() === ''
      ? defaultChannel(`${streamed.schema}.${streamed.name}`)
      : (def.channel ?? '').trim()
  if (listen) validateChannel(channel)
  const initialStart = startSetting(def)
  if (initialStart.kind === 'after') validateStartPosition(initialStart.position, positionColumns.length)
  if (initialStart.kind === 'timestamp' && timeColumn === '') {
    throw new StreamConfigError('starting from a time needs a time column')
  }
  return {
    name: (def.stream ?? '').trim() === '' ? streamed.name : (def.stream ?? '').trim(),
    table: `${streamed.schema}.${streamed.name}`,
    positionColumns,
    timeColumn: timeColumn === '' ? undefined : timeColumn,
    columns: (def.columns ?? [])
      .filter(c => (c?.column ?? '').trim() !== '')
      .map(c => ({ column: c.column.trim(), as: (c.as ?? '').trim() || undefined })),
    filter: (def.filter ?? '').trim() || undefined,
    batchSize: wholeNumber(def.batchSize, 500, 'batch size', 1, 100000),
    pollMs: wholeNumber(def.pollInterval, 1000, 'poll interval', 10, 3600000),
    listenChannel: listen ? channel : undefined,
    initialStart,
    managedSource: managed ? table : undefined,
    notifyOn: managed && listen && def.notifyOn === 'insert' ? 'insert' : undefined,
    auditEvents: managed ? auditEventsSetting(def.auditEvents) : undefined
  }
}

/**
 * The "Record" setting of a managed table: a list (the editor's) or a comma-separated text (a flow
 * written by hand), checked by the core; an empty or unknown choice throws its AuditEventsError,
 * which the node shows as a configuration error. Missing means every event, as before the setting.
 */
export function auditEventsSetting (value: string[] | string | undefined): AuditEvent[] | undefined {
  if (value === undefined) return undefined
  return auditEvents(typeof value === 'string' ? splitList(value) : value)
}

/**
 * The "start" setting: where a reader with no checkpoint starts, i.e. the node's own output and
 * every streamer client that has no checkpoint yet (a client with one resumes from it).
 */
export function startSetting (def: Partial<AuditStreamerDef>): StartAt {
  const value = (def.startValue ?? '').trim()
  switch (def.start ?? 'live') {
    case 'live': return { kind: 'live' }
    case 'beginning': return { kind: 'beginning' }
    case 'timestamp':
      if (value === '' || Number.isNaN(Date.parse(value))) {
        throw new StreamConfigError(`start time "${value.slice(0, 40)}" is not a timestamp (ISO 8601)`)
      }
      return { kind: 'timestamp', at: value }
    case 'position': {
      const parts = value.startsWith('[') ? parseJsonList(value) : splitList(value)
      if (parts.length === 0) throw new StreamConfigError('start position is empty (e.g. "7421, 1093")')
      return { kind: 'after', position: parts }
    }
    default: throw new StreamConfigError(`unknown start "${String(def.start)}"`)
  }
}

/** A LISTEN channel derived from the table name: lower case, at most 63 bytes, stable. */
export function defaultChannel (qualified: string): string {
  const base = 'fs_' + qualified.toLowerCase().replace(/[^a-z0-9_]/g, '_')
  if (base.length <= 63) return base
  return base.slice(0, 50) + '_' + createHash('sha1').update(qualified).digest('hex').slice(0, 12)
}

function validateStartPosition (p: readonly string[], width: number): void {
  try {
    validatePosition(p, width)
  } catch (err) {
    throw new StreamConfigError(`start ${(err as Error).message}`)
  }
}

function splitList (s: string | undefined): string[] {
  return (s ?? '').split(',').map(x => x.trim()).filter(x => x !== '')
}

function parseJsonList (s: string): string[] {
  try {
    const v = JSON.parse(s)
    if (Array.isArray(v)) return v.map(x => String(x))
  } catch { /* reported below */ }
  throw new StreamConfigError(`start position ${s.slice(0, 40)} is not a JSON list`)
}

function wholeNumber (v: string | number | undefined, dflt: number, what: string, min: number, max: number): number {
  if (v === undefined || v === '') return dflt
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new StreamConfigError(`${what} must be a whole number from ${min} to ${max}`)
  }
  return n
}
