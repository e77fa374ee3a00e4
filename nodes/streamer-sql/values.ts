import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red'
import type { StreamerSqlDef } from './types'
import { toParam, Values } from './statements'
import { compilePropertyPath, PropertyPath } from '../shared/property-path'

/** A value, or a promise of it for the types Node-RED evaluates asynchronously (jsonata, context). */
type Getter = (msg: NodeMessageInFlow) => unknown

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
  if (type === 'msg') return msgProperty(RED, value)
  return async msg =>
    await new Promise((resolve, reject) =>
      RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null, v: unknown) =>
        err !== null && err !== undefined ? reject(err) : resolve(v)
      )
    )
}

/**
 * msg.<path>, read synchronously (no promise per value) with the path parsed once: Node-RED's
 * getMessageProperty parses it again for every message, which was a fifth of this node's
 * allocations. Same results and errors (a missing parent is a TypeError); a path the shared
 * parser refuses to compile is left to getMessageProperty.
 */
function msgProperty (RED: NodeAPI, value: string): Getter {
  let path: PropertyPath | undefined
  try {
    path = compilePropertyPath(RED.util, value.startsWith('msg.') ? value.slice(4) : value)
  } catch {
    path = undefined
  }
  if (path === undefined) return msg => RED.util.getMessageProperty(msg, value)
  const compiled = path
  return msg => compiled.get(msg)
}

/** A promise (or any thenable) is awaited, as `await` would; anything else is the value itself. */
function isThenable (v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
}

async function valueOf (g: Getter | undefined, msg: NodeMessageInFlow): Promise<unknown> {
  const v = g?.(msg)
  return isThenable(v) ? await v : v
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
    for (const g of getters) {
      const v = g(msg)
      params.push(toParam(isThenable(v) ? await v : v))
    }
    return {
      params,
      event: event === undefined ? undefined : await valueOf(event, msg),
      reason: reason === undefined ? undefined : await valueOf(reason, msg)
    }
  }
}

export function hasSetting (v: string | undefined): v is string {
  return v !== undefined && v !== ''
}
