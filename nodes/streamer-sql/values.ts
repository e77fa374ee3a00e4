import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red'
import type { StreamerSqlDef } from './types'
import { toParam, Values } from './statements'

type Getter = (msg: NodeMessageInFlow) => Promise<unknown>

/** One typed input (msg, flow, global, str, num, json, env, jsonata, date ...) read per message. */
function compile (RED: NodeAPI, node: Node, value: string, type: string): Getter {
  if (type === 'jsonata') {
    const expr = RED.util.prepareJSONataExpression(value, node)
    return async msg =>
      await new Promise((resolve, reject) =>
        RED.util.evaluateJSONataExpression(expr, msg, (err: Error | null, v: unknown) =>
          err !== null && err !== undefined ? reject(err) : resolve(v)
        )
      )
  }
  if (type === 'msg') return async msg => RED.util.getMessageProperty(msg, value)
  return async msg =>
    await new Promise((resolve, reject) =>
      RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null, v: unknown) =>
        err !== null && err !== undefined ? reject(err) : resolve(v)
      )
    )
}

/**
 * The node's parameter list, audit event and reason, compiled once at deploy (a JSONata
 * expression is prepared then, not per message): returns what reads one message's values.
 */
export function valueReader (RED: NodeAPI, node: Node, def: StreamerSqlDef):
(msg: NodeMessageInFlow) => Promise<Values> {
  const getters = (Array.isArray(def.params) ? def.params : []).map(p => compile(RED, node, p.v, p.vt))
  const event = hasSetting(def.event) ? compile(RED, node, def.event, def.eventType ?? 'str') : undefined
  const reason = hasSetting(def.reason) ? compile(RED, node, def.reason, def.reasonType ?? 'str') : undefined
  return async msg => {
    const params: unknown[] = []
    for (const g of getters) params.push(toParam(await g(msg)))
    return { params, event: await event?.(msg), reason: await reason?.(msg) }
  }
}

export function hasSetting (v: string | undefined): v is string {
  return v !== undefined && v !== ''
}
