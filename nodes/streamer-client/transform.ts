import type { Node, NodeAPI } from 'node-red'
import type { StreamRow } from '../../core/stream'
import type { Mapping, StreamerClientDef } from './types'
import { compilePropertyPath, PropertyPath } from '../shared/property-path'

type Expr = ReturnType<NodeAPI['util']['prepareJSONataExpression']>

/**
 * The client's per-row logic, compiled once from its config: filter, payload, mapping table and
 * selective routing. JSONata runs with the row as its input (`qty > 0`, `price * qty`).
 */
export interface Transform {
  /** false: filtered out. */
  keep: (row: StreamRow) => Promise<boolean>
  payload: (row: StreamRow) => Promise<unknown>
  /** Index of the output (0-based) or -1 when no route takes the row. */
  route: (row: StreamRow) => Promise<number>
  /** Number of data outputs (the error output comes after them). */
  outputs: number
}

export function compileTransform (RED: NodeAPI, node: Node, def: StreamerClientDef): Transform {
  const jsonata = (text: string, what: string): Expr => {
    try {
      return RED.util.prepareJSONataExpression(text, node)
    } catch (err) {
      throw new Error(`${what}: invalid JSONata: ${(err as Error).message}`)
    }
  }
  const evaluate = async (expr: Expr, input: unknown): Promise<unknown> => await new Promise((resolve, reject) => {
    RED.util.evaluateJSONataExpression(expr, input as any, (err: any, value: any) =>
      err ? reject(err instanceof Error ? err : new Error(String(err?.message ?? err))) : resolve(value)
    )
  })

  const filterText = (def.filter ?? '').trim()
  const filter = filterText === '' ? undefined : jsonata(filterText, 'filter')
  const payloadText = (def.payload ?? '').trim()
  const payloadExpr = payloadText === '' ? undefined : jsonata(payloadText, 'payload')
  const mappings = (def.mappings ?? []).filter(m => (m.target ?? '').trim() !== '').map(m => compileMapping(m))

  function compileMapping (m: Mapping): { target: PropertyPath, get: (row: StreamRow) => Promise<unknown> | unknown } {
    const target = compilePropertyPath(RED.util, m.target.trim())
    switch (m.valueType) {
      case 'row': {
        const from = compilePropertyPath(RED.util, m.value)
        return { target, get: row => from.get(row.row) }
      }
      case 'msg':
        return {
          target,
          get: row => RED.util.getMessageProperty({ payload: row.row, topic: row.stream } as any, m.value)
        }
      case 'jsonata': {
        const e = jsonata(m.value, `mapping "${m.target.trim()}"`)
        return { target, get: async row => await evaluate(e, row.row) }
      }
      default: {
        // str, num, bool, json, env: fixed for the life of the node, so evaluate once.
        const v = RED.util.evaluateNodeProperty(m.value, m.valueType, node, {} as any)
        return { target, get: () => v }
      }
    }
  }

  const routeMode = def.routeMode ?? 'single'
  const routes = routeMode === 'single' ? [] : (def.routes ?? [])
  const conditions =
    routeMode === 'conditions' ? routes.map((r, i) => jsonata(r.value, `output ${i + 1} condition`)) : []
  const fieldValues = routeMode === 'field' ? routes.map(r => String(r.value)) : []
  const routeField = routeMode === 'field' ? compilePropertyPath(RED.util, def.routeField) : undefined

  return {
    outputs: routeMode === 'single' ? 1 : Math.max(1, routes.length),
    keep: async row => filter === undefined ? true : truthy(await evaluate(filter, row.row)),
    payload: async row => {
      let out: unknown =
        payloadExpr !== undefined ? await evaluate(payloadExpr, row.row) : mappings.length > 0 ? {} : row.row
      if (mappings.length > 0) {
        if (out === null || typeof out !== 'object') out = { value: out }
        for (const m of mappings) {
          // Column and fixed values are synchronous: no promise per field.
          const v = m.get(row)
          m.target.set(out as object, v instanceof Promise ? await v : v)
        }
      }
      return out
    },
    route: async row => {
      if (routeMode === 'single') return 0
      if (routeMode === 'field') {
        const v = routeField!.get(row.row)
        return v === undefined || v === null ? -1 : fieldValues.indexOf(String(v))
      }
      for (let i = 0; i < conditions.length; i++) if (truthy(await evaluate(conditions[i], row.row))) return i
      return -1
    }
  }
}

function truthy (v: unknown): boolean {
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== ''
}
