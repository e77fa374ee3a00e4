import type { Node, NodeAPI } from 'node-red'
import type { StreamRow } from '../../core/stream'
import type { Mapping, StreamerClientDef } from './types'
import { compilePropertyPath, PropertyPath } from '../shared/property-path'

type Expr = ReturnType<NodeAPI['util']['prepareJSONataExpression']>

/**
 * The client's per-row logic, compiled once from its config: filter, payload, mapping table and
 * selective routing. JSONata runs with the row as its input (`qty > 0`, `price * qty`). Each
 * answers with a plain value unless a JSONata expression is involved (then a Promise): most
 * rows cost no promise here.
 */
export interface Transform {
  /** false: filtered out. */
  keep: (row: StreamRow) => boolean | Promise<boolean>
  payload: (row: StreamRow) => unknown
  /** Index of the output (0-based) or -1 when no route takes the row. */
  route: (row: StreamRow) => number | Promise<number>
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

  /** Sets the mapped fields on `out` from mapping `from` on; synchronous until a mapping gives a promise. */
  function mapInto (out: unknown, row: StreamRow, from: number): unknown {
    const target = out === null || typeof out !== 'object' ? { value: out } : out
    for (let i = from; i < mappings.length; i++) {
      const m = mappings[i]
      const v = m.get(row)
      if (v instanceof Promise) {
        return v.then(value => {
          m.target.set(target, value)
          return mapInto(target, row, i + 1)
        })
      }
      m.target.set(target, v)
    }
    return target
  }

  async function conditionRoute (row: StreamRow): Promise<number> {
    for (let i = 0; i < conditions.length; i++) if (truthy(await evaluate(conditions[i], row.row))) return i
    return -1
  }

  return {
    outputs: routeMode === 'single' ? 1 : Math.max(1, routes.length),
    keep: row => filter === undefined ? true : evaluate(filter, row.row).then(truthy),
    payload: row => {
      if (payloadExpr === undefined) return mappings.length > 0 ? mapInto({}, row, 0) : row.row
      return evaluate(payloadExpr, row.row).then(out => mappings.length > 0 ? mapInto(out, row, 0) : out)
    },
    route: row => {
      if (routeMode === 'single') return 0
      if (routeMode === 'field') {
        const v = routeField!.get(row.row)
        return v === undefined || v === null ? -1 : fieldValues.indexOf(String(v))
      }
      return conditionRoute(row)
    }
  }
}

function truthy (v: unknown): boolean {
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== ''
}
