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
}
