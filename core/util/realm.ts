/**
 * Type checks that also hold for values made in another JavaScript realm: objects and Dates
 * built in a Node-RED function node live in its vm sandbox, where `instanceof Date` and a
 * comparison with this realm's Object.prototype are false.
 */
export function isDate (v: unknown): v is Date {
  return Object.prototype.toString.call(v) === '[object Date]'
}

/** A plain `{...}` object (any realm), not an array, Date, Buffer, Map or class instance. */
export function isPlainObject (v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Object.prototype.toString.call(v) !== '[object Object]') return false
  const proto = Object.getPrototypeOf(v)
  return proto === null || Object.getPrototypeOf(proto) === null
}
