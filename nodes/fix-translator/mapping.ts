import type { Node, NodeAPI, NodeMessage } from 'node-red'
import { parseFieldPath, PathSegment, setFieldPath } from '../../core/fix'
import type { FieldMapping } from './types'
import { compilePropertyPath, PropertyPath } from '../shared/property-path'

export const MAPPING_TYPES = ['msg', 'jsonata', 'str', 'num', 'env']

/** A mapping row checked and prepared once (JSONata compiled) when the node starts. */
export interface PreparedMapping {
  field: string
  path: PathSegment[]
  vt: string
  v: string
  expression?: unknown
  /** A `msg` value's property, parsed once. */
  property?: PropertyPath
}

/** Throws with the row's field named when a row is unusable. */
export function prepareMappings (
  RED: NodeAPI,
  node: Node | undefined,
  rows: FieldMapping[] | undefined
): PreparedMapping[] {
  return (rows ?? []).filter(r => r != null && String(r.field ?? '').trim() !== '').map(r => {
    const field = String(r.field).trim()
    const vt = MAPPING_TYPES.includes(r.vt) ? r.vt : 'str'
    const prepared: PreparedMapping = { field, path: parseFieldPath(field), vt, v: String(r.v ?? '') }
    // getMessageProperty's rule: a leading "msg." is optional.
    if (vt === 'msg') {
      prepared.property = compilePropertyPath(
        RED.util,
        prepared.v.startsWith('msg.') ? prepared.v.slice(4) : prepared.v
      )
    }
    if (vt === 'jsonata') {
      try {
        prepared.expression = RED.util.prepareJSONataExpression(prepared.v, node as Node)
      } catch (err) {
        throw new Error(`${field}: invalid JSONata expression: ${(err as Error).message}`)
      }
    }
    return prepared
  })
}

/**
 * The message object from the mapping table, evaluated against msg. With no rows, msg.payload
 * is the message object. A value that evaluates to undefined leaves the field out.
 */
export async function buildMessage (
  RED: NodeAPI,
  node: Node | undefined,
  mappings: PreparedMapping[],
  msg: NodeMessage
): Promise<unknown> {
  if (mappings.length === 0) return msg.payload
  const out: Record<string, unknown> = {}
  for (const m of mappings) {
    const value = await valueOf(RED, node, m, msg)
    if (value !== undefined) setFieldPath(out, m.path, value)
  }
  return out
}

async function valueOf (RED: NodeAPI, node: Node | undefined, m: PreparedMapping, msg: NodeMessage): Promise<unknown> {
  switch (m.vt) {
    case 'msg':
      return m.property !== undefined ? m.property.get(msg) : RED.util.getMessageProperty(msg, m.v)
    case 'jsonata':
      return await new Promise((resolve, reject) => {
        RED.util.evaluateJSONataExpression(m.expression as any, msg, (err: Error | null, value: unknown) => {
          if (err != null) reject(new Error(`${m.field}: JSONata failed: ${err.message}`))
          else resolve(value)
        })
      })
    case 'num': {
      const n = Number(m.v)
      if (m.v.trim() === '' || !Number.isFinite(n)) throw new Error(`${m.field}: "${m.v}" is not a number`)
      return n
    }
    case 'env':
      // Without a node (the editor preview) only the process environment is there.
      return node !== undefined ? RED.util.evaluateNodeProperty(m.v, 'env', node, msg) : process.env[m.v]
    default:
      return m.v
  }
}
