import type { Position } from './types'

/**
 * Positions are tuples of integer columns (xid8, bigint, integer, smallint) kept as text.
 * They are compared as BigInt tuples so that '1000' sorts after '999' (the text-order pitfall).
 */
export function comparePositions (a: Position, b: Position): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = BigInt(a[i])
    const y = BigInt(b[i])
    if (x !== y) return x < y ? -1 : 1
  }
  return a.length - b.length
}

const INTEGER = /^-?[0-9]{1,20}$/

/** Throws unless `p` is a position of `width` integer values (a checkpoint read back from JSON, say). */
export function validatePosition (p: unknown, width: number): Position {
  if (!Array.isArray(p) || p.length !== width) {
    throw new Error(`position ${describe(p)} must be a list of ${width} whole number${width === 1 ? '' : 's'}, one ` +
      'per position column')
  }
  const out = p.map(v => typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v)
  for (const v of out) {
    if (typeof v !== 'string' || !INTEGER.test(v)) {
      throw new Error(`position ${describe(p)} holds "${String(v).slice(0, 30)}", which is not a whole number`)
    }
  }
  return out as Position
}

function describe (p: unknown): string {
  try {
    return JSON.stringify(p)?.slice(0, 80) ?? String(p)
  } catch {
    return String(p)
  }
}
