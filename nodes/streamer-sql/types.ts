import type { NodeDef } from 'node-red'

export interface SqlParamDef {
  /** TypedInput value and type: msg, flow, global, str, num, bool, json, env, jsonata, date. */
  v: string
  vt: string
}

export interface StreamerSqlDef extends NodeDef {
  database: string
  sql: string
  params: SqlParamDef[]
  /** Optional audit event name and reason, seen by managed audit tables' triggers. */
  event: string
  eventType: string
  reason: string
  reasonType: string
  /**
   * Most messages per transaction (default 1: one statement per message, each committed on its
   * own). Above 1, the messages queued while a transaction runs are committed together.
   */
  batch?: number | string
  /**
   * On error: 'retry' (default) waits and runs the message again after a transient database
   * error (connection lost, restart, deadlock, serialization failure, statement timeout);
   * 'fail' fails it at once. Permanent errors always fail at once.
   */
  onError?: 'retry' | 'fail'
}
