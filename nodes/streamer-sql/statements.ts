import type { Statement } from '../../core/db'
import { EVENT_SETTING, REASON_SETTING } from '../../core/stream'
import { isDate } from '../../core/util'

/** Most messages one transaction takes in batch mode (the node's setting is capped here). */
export const MAX_BATCH = 1000

/** The values of one message, evaluated from the node's parameter list. */
export interface Values { params: unknown[], event: unknown, reason: unknown }

/** The batch setting: a whole number from 1 (one statement per message, the default) to MAX_BATCH. */
export function batchSizeOf (v: unknown): number {
  const n = Math.floor(Number(v))
  return Number.isFinite(n) && n > 1 ? Math.min(n, MAX_BATCH) : 1
}

/** Objects and arrays go to PostgreSQL as JSON text (for json/jsonb parameters); Dates as ISO. */
export function toParam (v: unknown): unknown {
  if (v === undefined) return null
  if (isDate(v)) return v.toISOString()
  if (Buffer.isBuffer(v)) return v
  if (typeof v === 'object' && v !== null) return JSON.stringify(v)
  return v
}

/** Sets the audit event or reason for the rest of the transaction (the audit trigger reads it). */
function setting (name: string, value: string): Statement {
  return { text: 'SELECT set_config($1, $2, true)', params: [name, value] }
}

/**
 * One message's statement, after the settings it carries: transaction-local, so the audit
 * trigger records them for this statement only. Without event and reason: the statement alone.
 */
export function messageStatements (sql: string, v: Values): Statement[] {
  const out: Statement[] = []
  if (v.event !== undefined) out.push(setting(EVENT_SETTING, String(v.event)))
  if (v.reason !== undefined) out.push(setting(REASON_SETTING, String(v.reason)))
  out.push({ text: sql, params: v.params })
  return out
}

/**
 * Several messages' statements for one transaction, and where each message's own statement is
 * among them. Every message sets each configured setting (empty = none), so no value leaks into
 * the next message's rows.
 */
export function batchStatements (
  sql: string,
  values: Values[],
  has: { event: boolean, reason: boolean }
): { statements: Statement[], at: number[] } {
  const statements: Statement[] = []
  const at: number[] = []
  for (const v of values) {
    if (has.event) statements.push(setting(EVENT_SETTING, v.event === undefined ? '' : String(v.event)))
    if (has.reason) statements.push(setting(REASON_SETTING, v.reason === undefined ? '' : String(v.reason)))
    at.push(statements.length)
    statements.push({ text: sql, params: v.params })
  }
  return { statements, at }
}

/** Batch SQL's parameters: $k is the array of every message's $k value, in message order. */
export function setParams (values: Values[]): unknown[][] {
  const count = values[0]?.params.length ?? 0
  return Array.from({ length: count }, (_, k) => values.map(v => v.params[k]))
}
