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
 * expression is prepared then, not per message): returns what reads one message's values. They
 * are read at once, with no promise, unless one of them is asynchronous (JSONata, context, the
 * typed inputs Node-RED evaluates with a callback): from that one on they are awaited in order.
 */
export function valueReader (RED: NodeAPI, node: Node, def: StreamerSqlDef):
(msg: NodeMessageInFlow) => Values | Promise<Values> {
  const getters = (Array.isArray(def.params) ? def.params : []).map(p => compile(RED, node, p.v, p.vt))
  const event = hasSetting(def.event) ? compile(RED, node, def.event, def.eventType ?? 'str') : undefined
  const reason = hasSetting(def.reason) ? compile(RED, node, def.reason, def.reasonType ?? 'str') : undefined
  return msg => {
    const params: unknown[] = new Array(getters.length)
    for (let i = 0; i < getters.length; i++) {
      const v = getters[i](msg)
      if (isThenable(v)) return readLater(getters, event, reason, msg, params, i, v)
      params[i] = toParam(v)
    }
    const e = event?.(msg)
    if (isThenable(e)) return readLater(getters, event, reason, msg, params, getters.length, e)
    const r = reason?.(msg)
    if (isThenable(r)) return readLater(getters, event, reason, msg, params, getters.length + 1, r, e)
    return { params, event: e, reason: r }
  }
}

/**
 * The rest of valueReader once the value at `at` is a promise (`at` counts the parameters, then
 * the event, then the reason): each value awaited in the same order as before.
 */
async function readLater (
  getters: Getter[], event: Getter | undefined, reason: Getter | undefined, msg: NodeMessageInFlow,
  params: unknown[], at: number, pending: PromiseLike<unknown>, eventValue?: unknown
): Promise<Values> {
  const n = getters.length
  if (at < n) {
    params[at] = toParam(await pending)
    for (let i = at + 1; i < n; i++) params[i] = toParam(await valueOf(getters[i], msg))
  }
  const e = at < n ? await valueOf(event, msg) : at === n ? await pending : eventValue
  const r = at <= n ? await valueOf(reason, msg) : await pending
  return { params, event: e, reason: r }
}

export function hasSetting (v: string | undefined): v is string {
  return v !== undefined && v !== ''
}
