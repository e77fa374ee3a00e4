/**
 * Turns a valid frame into a malformed one, reproducibly from the seeded Random: tags and values
 * (invalid, unknown, empty, huge, control bytes), fields removed, duplicated and moved (header
 * fields after the body), repeating groups with wrong counts, PossDup without OrigSendingTime,
 * MsgType, CompIDs, MsgSeqNum, SendingTime and BeginString, BodyLength and CheckSum, and bytes
 * (bit flips, inserts, deletes, truncation, doubled or missing SOH) inside the body with the
 * framing recomputed (so the parser sees them) or anywhere without. Each frame gets one to three
 * mutations; `garbage` and `split` are the transport's share (bytes between frames, writes cut).
 */
import { checksum } from '../conformance/wire'
import type { Draft, Field } from './messages'
import type { Random } from './random'

const SOH = 0x01

export type MutationName = keyof typeof DRAFT_MUTATIONS | keyof typeof BYTE_MUTATIONS

export interface Mutated {
  bytes: Buffer
  /** The mutations applied, in order (for the report and a failure's transcript). */
  names: MutationName[]
}

/** The frame as the counterparty writes it: 8, 9 (computed unless given), the fields, 10 (likewise). */
export function serialize (d: Draft): Buffer {
  return frameAround(d, bodyOf(d.fields))
}

function bodyOf (fields: Field[]): Buffer {
  return Buffer.from(fields.map(([t, v]) => `${t}=${v}\x01`).join(''), 'latin1')
}

function frameAround (d: Draft, body: Buffer): Buffer {
  const length = d.bodyLength === undefined ? String(body.length) : d.bodyLength
  const head = Buffer.from(`8=${d.beginString}\x01${length === null ? '' : `9=${length}\x01`}`, 'latin1')
  const sum = d.checkSum === undefined ? checksum(Buffer.concat([head, body])) : d.checkSum
  return Buffer.concat([head, body, Buffer.from(sum === null ? '' : `10=${sum}\x01`, 'latin1')])
}

type DraftMutation = (r: Random, d: Draft) => void
type ByteMutation = (r: Random, b: Buffer) => Buffer

const BAD_TAGS = ['0', '-1', '-35', 'abc', '', '1a', ' 11', '00011', '099', '99999999', '4294967307', '1.5']
const BAD_VALUES = ['abc', '-1', '1e9', '0x10', ' 1', '1.', '.5', '--1', '+1', '18446744073709551617', 'NaN', 'Y',
  'N', '\x7f', '\xff\xfe', '2', '1-1', '20240229-25:61:61', '=', '==1']
const HEADER_TAGS = ['8', '9', '10', '34', '35', '43', '49', '52', '56', '97', '115', '122', '128']
const MSG_TYPES = ['', 'ZZ', '8', 'F', 'G', 'A', '5', '2', '4', '1', '0', '3', 'j', 'x', 'D', 'B', 'd', 'AE', '\x7f']

/** A field index, mostly in the body (after the five header fields) when there is one. */
function someField (r: Random, d: Draft): number {
  const n = d.fields.length
  return n > 5 && r.chance(0.7) ? r.int(5, n - 1) : r.int(0, n - 1)
}

function setValue (d: Draft, tag: string, value: string): void {
  const f = d.fields.find(([t]) => t === tag)
  if (f !== undefined) f[1] = value
  else d.fields.splice(5, 0, [tag, value])
}

/** A value far longer than any field should be: digits (a number to backtrack on), letters, or both. */
function hugeValue (r: Random): string {
  const n = r.chance(0.02) ? r.int(200_000, 1_000_000) : r.int(1_000, 64_000)
  switch (r.int(0, 3)) {
    case 0: return '9'.repeat(n)
    case 1: return `${'1'.repeat(n >> 1)}.${'1'.repeat(n >> 1)}x`
    case 2: return 'A'.repeat(n)
    default: return '='.repeat(n)
  }
}

const DRAFT_MUTATIONS = {
  'tag-invalid': (r, d) => { d.fields[someField(r, d)][0] = r.pick(BAD_TAGS) },
  'tag-unknown': (r, d) => { d.fields[someField(r, d)][0] = String(r.chance(0.5) ? r.int(5000, 9999) : r.int(1, 960)) },
  'header-in-body': (r, d) => {
    const tag = r.pick(HEADER_TAGS)
    const existing = d.fields.find(([t]) => t === tag)
    d.fields.push([tag, existing?.[1] ?? 'Y'])
  },
  'value-empty': (r, d) => { d.fields[someField(r, d)][1] = '' },
  'value-garbage': (r, d) => { d.fields[someField(r, d)][1] = r.pick(BAD_VALUES) },
  'value-huge': (r, d) => { d.fields[someField(r, d)][1] = hugeValue(r) },
  'value-control': (r, d) => {
    const f = d.fields[someField(r, d)]
    const at = r.int(0, f[1].length)
    f[1] = f[1].slice(0, at) + String.fromCharCode(r.pick([0, 2, 9, 10, 13, 0x7f, 0x80, 0xff])) + f[1].slice(at)
  },
  'field-remove': (r, d) => { d.fields.splice(someField(r, d), 1) },
  'field-duplicate': (r, d) => {
    const f = d.fields[someField(r, d)]
    d.fields.splice(r.int(0, d.fields.length), 0, [f[0], r.chance(0.5) ? f[1] : `${f[1]}X`])
  },
  'field-move': (r, d) => {
    const [f] = d.fields.splice(someField(r, d), 1)
    d.fields.splice(r.int(0, d.fields.length), 0, f)
  },
  'group-count': (r, d) => {
    const counter = d.fields.find(([t]) => ['33', '146', '454', '78'].includes(t))
    const n = counter === undefined ? 1 : Number(counter[1])
    const wrong = String(r.pick([0, n + 1, Math.max(0, n - 1), n + 50, 1_000_000, -1]))
    if (counter !== undefined) counter[1] = r.chance(0.1) ? 'x' : wrong
    else d.fields.push(['78', wrong], ['79', 'ACC1'], ['80', '10'])
  },
  'group-repeat': (r, d) => {
    // Many entries of a group, with the count right (a big valid group) or left as it was.
    const at = d.fields.findIndex(([t]) => ['33', '146', '454'].includes(t))
    const times = r.chance(0.1) ? r.int(1_000, 20_000) : r.int(2, 50)
    const entry: Field[] = at >= 0 && d.fields[at][0] === '33' ? [['58', 'again']] : [['455', 'ALT'], ['456', '4']]
    const entries: Field[] = []
    for (let i = 0; i < times; i++) entries.push(...entry.map(([t, v]) => [t, v] as Field))
    if (at < 0) {
      d.fields.push(['454', String(times)], ...entries)
      return
    }
    if (r.chance(0.5)) d.fields[at][1] = String(Number(d.fields[at][1]) + times)
    d.fields.splice(at + 1, 0, ...entries)
  },
  possdup: (r, d) => {
    const sent = d.fields.find(([t]) => t === '52')?.[1] ?? ''
    d.fields.splice(4, 0, ['43', 'Y'])
    const orig = r.pick(['none', 'later', 'garbage', 'earlier'])
    if (orig === 'later') d.fields.splice(6, 0, ['122', sent.replace(/^(\d{4})/, y => String(Number(y) + 1))])
    if (orig === 'garbage') d.fields.splice(6, 0, ['122', r.pick(BAD_VALUES)])
    if (orig === 'earlier') d.fields.splice(6, 0, ['122', sent.replace(/^(\d{4})/, y => String(Number(y) - 1))])
  },
  'msg-type': (r, d) => { setValue(d, '35', r.pick(MSG_TYPES)) },
  'comp-id': (r, d) => { setValue(d, r.pick(['49', '56']), r.pick(['', 'OTHER', 'TESTER ', 'tester'])) },
  'seq-num': (r, d) => {
    const seq = Number(d.fields.find(([t]) => t === '34')?.[1] ?? 1)
    setValue(d, '34', String(r.pick([seq + r.int(1, 5), seq - r.int(1, 5), 0, -1, 'x', '', '99999999999', `0${seq}`])))
  },
  'sending-time': (r, d) => {
    setValue(d, '52', r.pick(['20250101', '2025-01-01T00:00:00', '20240101-00:00:00', '29991231-23:59:59',
      '20240229-23:59:60.000', '99999999-99:99:99', '', 'now']))
  },
  'begin-string': (r, d) => { d.beginString = r.pick(['FIX.4.2', 'FIXT.1.1', 'FIX.9.9', 'FIX', 'FIX.4.44', '']) },
  'body-length': (r, d) => {
    const real = bodyOf(d.fields).length
    d.bodyLength = r.pick([String(real + r.int(1, 20)), String(Math.max(0, real - r.int(1, 20))), '0', 'x', '-5', '',
      '1048576', '9999999999', String(real * 2), null])
  },
  'check-sum': (r, d) => {
    const real = Number(checksum(Buffer.concat([Buffer.from(`8=${d.beginString}\x01`), bodyOf(d.fields)])))
    d.checkSum = r.pick([String((real + r.int(1, 255)) % 256).padStart(3, '0'), '1', '1234', 'abc', '', null])
  }
} satisfies Record<string, DraftMutation>

const BYTE_MUTATIONS = {
  'bit-flip': (r, b) => {
    const out = Buffer.from(b)
    for (let i = r.int(1, 4); i > 0; i--) out[r.int(0, out.length - 1)] ^= 1 << r.int(0, 7)
    return out
  },
  'byte-insert': (r, b) => {
    const at = r.int(0, b.length)
    return Buffer.concat([b.subarray(0, at), r.bytes(r.int(1, 8)), b.subarray(at)])
  },
  'byte-delete': (r, b) => {
    const at = r.int(0, b.length - 1)
    return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + r.int(1, 8)))])
  },
  truncate: (r, b) => b.subarray(0, r.int(0, b.length - 1)),
  'soh-duplicate': (r, b) => {
    const at = sohAt(r, b)
    return at < 0 ? b : Buffer.concat([b.subarray(0, at), Buffer.from([SOH]), b.subarray(at)])
  },
  'soh-remove': (r, b) => {
    const at = sohAt(r, b)
    return at < 0 ? b : Buffer.concat([b.subarray(0, at), b.subarray(at + 1)])
  }
} satisfies Record<string, ByteMutation>

function sohAt (r: Random, b: Buffer): number {
  const at: number[] = []
  for (let i = 0; i < b.length; i++) if (b[i] === SOH) at.push(i)
  return at.length === 0 ? -1 : r.pick(at)
}

/**
 * How often each mutation is chosen. The ones that end the session as the protocol says (wrong
 * CompID, SendingTime or BeginString, MsgSeqNum too low, a Logout) are kept rare so the run
 * spends its time on a logged-on session rather than on reconnecting.
 */
const WEIGHTS: Record<MutationName, number> = {
  'tag-invalid': 8,
  'tag-unknown': 6,
  'header-in-body': 4,
  'value-empty': 6,
  'value-garbage': 8,
  'value-huge': 1.5,
  'value-control': 4,
  'field-remove': 6,
  'field-duplicate': 5,
  'field-move': 6,
  'group-count': 5,
  'group-repeat': 3,
  possdup: 2,
  'msg-type': 2.5,
  'comp-id': 0.1,
  'seq-num': 1,
  'sending-time': 0.4,
  'begin-string': 0.2,
  'body-length': 6,
  'check-sum': 5,
  'bit-flip': 8,
  'byte-insert': 4,
  'byte-delete': 4,
  truncate: 3,
  'soh-duplicate': 4,
  'soh-remove': 4
}

/**
 * One to three mutations of `d` (which is not changed). Byte mutations hit the body with the
 * framing computed afterwards (so the engine's parser and rules see them), or, one time in four,
 * the finished frame (so the framing sees them).
 */
export function mutate (r: Random, d: Draft): Mutated {
  const copy: Draft = { ...d, fields: d.fields.map(([t, v]) => [t, v]) }
  const names: MutationName[] = []
  const bodyBytes: ByteMutation[] = []
  const frameBytes: ByteMutation[] = []
  for (let i = Number(r.weighted({ 1: 70, 2: 20, 3: 10 })); i > 0; i--) {
    const name = r.weighted(WEIGHTS)
    names.push(name)
    if (name in BYTE_MUTATIONS) {
      (r.chance(0.75) ? bodyBytes : frameBytes).push(BYTE_MUTATIONS[name as keyof typeof BYTE_MUTATIONS])
    } else if (copy.fields.length > 0) {
      DRAFT_MUTATIONS[name as keyof typeof DRAFT_MUTATIONS](r, copy)
    }
  }
  let body = bodyOf(copy.fields)
  for (const m of bodyBytes) body = m(r, body)
  let bytes = frameAround(copy, body)
  for (const m of frameBytes) bytes = m(r, bytes)
  return { bytes, names }
}

/** Bytes that are no frame: random, or pieces of frames (a start, a trailer, a BodyLength). */
export function garbage (r: Random): Buffer {
  switch (r.int(0, 4)) {
    case 0: return r.bytes(r.int(1, 64))
    case 1: return Buffer.from('8=FIX', 'latin1')
    case 2: return Buffer.from(`10=${String(r.int(0, 999)).padStart(3, '0')}\x01`, 'latin1')
    case 3: return Buffer.from(`8=FIX.4.4\x019=${r.int(0, 99)}\x01`, 'latin1')
    default: return Buffer.from('\x01\x01=\x01', 'latin1')
  }
}

/** `bytes` cut into 2-5 pieces, for writes the engine must put together again. */
export function split (r: Random, bytes: Buffer): Buffer[] {
  const cuts = new Set<number>()
  for (let i = r.int(1, 4); i > 0 && bytes.length > 1; i--) cuts.add(r.int(1, bytes.length - 1))
  const at = [0, ...[...cuts].sort((a, b) => a - b), bytes.length]
  const out: Buffer[] = []
  for (let i = 1; i < at.length; i++) out.push(bytes.subarray(at[i - 1], at[i]))
  return out
}
