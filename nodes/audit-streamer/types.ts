import type { Node, NodeDef } from 'node-red'
import type { StreamSource } from '../../core/stream'

export type StartSetting = 'live' | 'beginning' | 'timestamp' | 'position'

export interface AuditStreamerDef extends NodeDef {
  database: string
  stream: string
  /** The table or view streamed; with `managed`, the source table whose audit table is streamed. */
  table: string
  managed: boolean
  positionColumns: string
  timeColumn: string
  columns: Array<{ column: string, as?: string }>
  filter: string
  batchSize: string | number
  listen: boolean
  channel: string
  /** Managed table: 'insert' notifies on the source's INSERT statements only (default 'all'). */
  notifyOn?: 'all' | 'insert'
  /**
   * Managed table: the source's writes that add an audit row, a list of 'insert', 'update', 'delete'
   * (or the same comma-separated); missing means all three.
   */
  auditEvents?: string[] | string
  pollInterval: string | number
  start: StartSetting
  startValue: string
  output: 'row' | 'batch'
  wires?: string[][]
}

/**
 * The runtime node as other nodes see it. Streamer clients (issue 4) find it on their input
 * wires and call `node.stream.subscribe(start, subscriber)` directly, each from its own
 * checkpoint; they do not need the node's output.
 */
export interface AuditStreamerNode extends Node {
  readonly stream: StreamSource
}
