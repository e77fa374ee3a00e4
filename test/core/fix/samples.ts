import * as assert from 'assert'
import type {
  ContainedComponentField,
  ContainedGroupField,
  ContainedSimpleField,
  IContainedSet
} from '../../../core/fix/jspurefix'
import { FixCodec, FixHeader } from '../../../core/fix/codec'

/*
 * Messages of every type filled from a dictionary, and the check the decode's specs hold the codec
 * to: jspurefix's own object, keys in the same order.
 */

// jspurefix's TagType and ContainedFieldType numbers.
const T = { Int: 2, Float: 3, Boolean: 4, Timestamp: 5, DateOnly: 6, TimeOnly: 7, LocalDate: 8, Raw: 9, Length: 10 }
const COMPONENT = 0
const GROUP = 1

export const header = (beginString: string, seq = 7): FixHeader => ({
  BeginString: beginString,
  SenderCompID: 'BRK',
  TargetCompID: 'CLI',
  MsgSeqNum: seq,
  SendingTime: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 123 + seq))
})

/** A value of a field's type, different for each n (same tags: only the values change). */
export function sample (f: ContainedSimpleField, n: number): unknown {
  const d = f.definition
  const keys = d.enums !== null && d.enums !== undefined ? [...d.enums.keys()] : []
  const key = keys.length > 0 ? keys[n % keys.length] : undefined
  switch (d.tagType) {
    case T.Int: return key !== undefined ? Number(key) : 3 + n * 1000
    case T.Float: return n === 0 ? 12.25 : -0.5 - n
    case T.Boolean: return n % 2 === 0
    case T.Timestamp: case T.TimeOnly: return new Date(Date.UTC(2024, 0, 2 + n, 3, 4, 5, 678))
    case T.DateOnly: case T.LocalDate: return new Date(Date.UTC(2024, 0, 2 + n))
    default: return key ?? `v${d.tag}-${'x'.repeat(n * 5)}`
  }
}

/** Every field of a set filled (groups with two entries), to a depth, skipping data and length fields. */
export function fill (set: IContainedSet, depth: number, n: number): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of set.fields) {
    if (f.type === COMPONENT) {
      if (depth < 5 && f.name !== 'StandardHeader' && f.name !== 'StandardTrailer') {
        out[f.name] = fill((f as ContainedComponentField).definition, depth + 1, n)
      }
    } else if (f.type === GROUP) {
      const g = (f as ContainedGroupField).definition
      if (depth < 5) out[g.name] = [fill(g, depth + 1, n), fill(g, depth + 1, n + 1)]
    } else {
      const t = (f as ContainedSimpleField).definition.tagType
      if (t !== T.Raw && t !== T.Length) out[f.name] = sample(f as ContainedSimpleField, n)
    }
  }
  return out
}

/** JSON with Dates and Buffers spelled out: key order counts, as it does in a flow's output. */
export function text (v: unknown): string {
  return JSON.stringify(v, (_k, x) => Buffer.isBuffer(x) ? `buf:${x.toString('hex')}` : x)
}

/** The codec's object and parts of a frame are jspurefix's own, keys in the same order. */
export function sameAsJspurefix (codec: FixCodec, frame: Buffer, label: string): void {
  const expected = codec.jspurefixObject(frame)
  const actual = codec.parse(frame).toObject()
  assert.deepStrictEqual(actual, expected, label)
  assert.strictEqual(text(actual), text(expected), `${label}: key order`)
  const parts = codec.parse(frame).toParts()
  const body: Record<string, unknown> = {}
  for (const key in expected) if (key !== 'StandardHeader' && key !== 'StandardTrailer') body[key] = expected[key]
  assert.deepStrictEqual(parts, { header: expected.StandardHeader, body }, `${label}: parts`)
  assert.strictEqual(text(parts.body), text(body), `${label}: parts' key order`)
}
