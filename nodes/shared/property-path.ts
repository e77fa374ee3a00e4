import type { NodeAPI } from 'node-red'

type Util = Pick<NodeAPI['util'], 'getObjectProperty' | 'setObjectProperty' | 'normalisePropertyExpression'>

/** A path through __proto__, constructor or prototype: it could reach and change Object.prototype. */
export class UnsafePropertyPathError extends Error {
  constructor (expr: string) {
    super(`"${expr.slice(0, 80)}" is not allowed as a property path: __proto__, constructor and prototype are refused`)
    this.name = 'UnsafePropertyPathError'
  }
}

/** A property expression parsed once, read and written per message with Node-RED's semantics. */
export interface PropertyPath {
  get: (obj: object) => unknown
  /** Creates missing parents; false when a parent exists but cannot hold properties. */
  set: (obj: object, value: unknown) => boolean
}

// Dotted plain names (`ClOrdID`, `Instrument.Symbol`) are nearly every mapping; Node-RED parses
// the expression again on every call, which was a tenth of a client's allocations per row.
const DOTTED = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/
export const UNSAFE_PROPERTY_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])
const UNSAFE = UNSAFE_PROPERTY_NAMES

/**
 * The parts of `expr` as Node-RED reads them (nested msg references resolved against `obj`),
 * or undefined if it cannot.
 */
function partsOf (util: Util, expr: string, obj?: object): unknown[] | undefined {
  try {
    return util.normalisePropertyExpression(expr, obj as any) as unknown[]
  } catch {
    return undefined // Node-RED's own get/set report the bad expression when they run
  }
}

function refuseUnsafe (parts: unknown[] | undefined, expr: string): void {
  if (parts?.some(p => typeof p === 'string' && UNSAFE.has(p)) === true) throw new UnsafePropertyPathError(expr)
}

/**
 * Compiles `expr` once; throws UnsafePropertyPathError for a path through __proto__, constructor
 * or prototype. Anything other than dotted plain names (brackets, quotes, nested `msg.`
 * references) goes to Node-RED's own getObjectProperty / setObjectProperty on every call; a
 * write whose nested references resolve to such a name at run time is refused then.
 */
export function compilePropertyPath (util: Util, expr: string): PropertyPath {
  const parts = DOTTED.test(expr) ? expr.split('.') : undefined
  if (parts === undefined) {
    const staticParts = partsOf(util, expr)
    refuseUnsafe(staticParts, expr)
    const nested = staticParts?.some(p => Array.isArray(p)) === true
    return {
      get: obj => util.getObjectProperty(obj as any, expr),
      set: (obj, value) => {
        if (nested) refuseUnsafe(partsOf(util, expr, obj), expr)
        return util.setObjectProperty(obj as any, expr, value, true) !== false
      }
    }
  }
  refuseUnsafe(parts, expr)
  const last = parts.length - 1
  return {
    // Like Node-RED: a missing parent is a TypeError, not undefined.
    get: obj => {
      let o: any = obj
      for (const p of parts) o = o[p]
      return o
    },
    set: (obj, value) => {
      let o: any = obj
      for (let i = 0; i < last; i++) {
        const p = parts[i]
        if (Object.hasOwn(o, p)) {
          const v = o[p]
          if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false
          o = v
        } else {
          o = o[p] = {}
        }
      }
      if (value === undefined) delete o[parts[last]]
      else if (typeof o !== 'object') return false
      else o[parts[last]] = value
      return true
    }
  }
}
