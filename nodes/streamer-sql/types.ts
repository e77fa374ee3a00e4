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
   * Optional statement for a batch of two or more messages, run once for all of them: each
   * parameter $k is bound as an array of the messages' values, in message order (for
   * `unnest($1::text[], ...)`). It must do what `sql` does for each message; if it fails, the
   * messages run one by one with `sql`. Not used when an audit event or reason is set (those are
   * one per transaction).
   */
  batchSql?: string
  /**
   * On error: 'retry' (default) waits and runs the message again after a transient database
   * error (connection lost, restart, deadlock, serialization failure, statement timeout);
   * 'fail' fails it at once. Permanent errors always fail at once.
   */
  onError?: 'retry' | 'fail'
}
