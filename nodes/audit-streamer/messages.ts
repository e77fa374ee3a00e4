import type { NodeMessage } from 'node-red'
import type { AuditTableResult, StreamMeta, StreamRow, SubscriptionState } from '../../core/stream'
import type { Translate } from '../shared/i18n'
import { waitsForDatabase } from './status-text'

/** A line for the Node-RED log. */
export interface LogLine { level: 'log' | 'warn' | 'error', text: string }

/** What msg.stream says of a row: its stream, this streamer, its position and whether it is a replay. */
export function streamMeta (r: StreamRow, streamer: string): StreamMeta {
  return { name: r.stream, streamer, position: r.position, replay: r.replay }
}

/**
 * The node's own output for a batch of rows: one message per row, or one for the batch (its rows
 * in the payload, the last row's position and the count in msg.stream).
 */
export function rowMessages (rows: StreamRow[], o: { topic: string, streamer: string, perBatch: boolean }):
NodeMessage[] {
  if (!o.perBatch) return rows.map(r => ({ payload: r.row, topic: o.topic, stream: streamMeta(r, o.streamer) }))
  const last = rows[rows.length - 1]
  return [{
    payload: rows.map(r => r.row),
    topic: o.topic,
    stream: { ...streamMeta(last, o.streamer), count: rows.length }
  } as NodeMessage]
}

/** What bringing a managed audit table up to date did: created it, added columns, and its warnings. */
export function auditTableLines (r: AuditTableResult, t: Translate): LogLine[] {
  const audit = `${r.audit.schema}.${r.audit.name}`
  const lines: LogLine[] = []
  if (r.created) lines.push({ level: 'log', text: t('audit-streamer.log.created', { audit }) })
  if (!r.created && r.addedColumns.length > 0) {
    const columns = r.addedColumns.join(', ')
    lines.push({ level: 'warn', text: t('audit-streamer.log.added-columns', { audit, columns }) })
  }
  for (const w of r.warnings) lines.push({ level: 'warn', text: w })
  return lines
}

/**
 * The log line of a subscription that failed or retries for another reason than a database
 * outage (the outage has its own line): an error when a person must act, else a warning.
 */
export function subscriptionLine (state: SubscriptionState, stream: string, t: Translate): LogLine | undefined {
  if (state.phase !== 'failed' && (state.phase !== 'retrying' || waitsForDatabase(state))) return undefined
  const key = state.phase === 'failed' ? 'audit-streamer.errors.failed' : 'audit-streamer.errors.retrying'
  const text = `${t(key, { stream })}: ${state.error}`
  return { level: state.phase === 'failed' || state.needsAction === true ? 'error' : 'warn', text }
}
