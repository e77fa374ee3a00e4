import type { FixDefinitions } from '../jspurefix'
import { CompiledDictionary, CompiledSet, compileDictionary, GroupRule, SimpleRule } from './compile'
import { Invalid } from './values'
import { isDate, isPlainObject } from '../../util/realm'

/** One thing wrong with a message, by field name and tag, at a path such as "Parties.NoPartyIDs[1].PartyRole". */
export interface FixProblem {
  field: string
  tag?: number
  path: string
  problem: string
}

export interface ValidateOptions {
  /**
   * Fixed number of decimals per float field name (e.g. { Price: 2 } writes 0.3 as "0.30").
   * Without it a number is written as its shortest exact decimal (15 significant digits).
   */
  decimals?: Record<string, number>
}

export interface ValidationResult {
  ok: boolean
  /** The message type code ('D'), or the input when it is not in the dictionary. */
  msgType: string
  /** 'NewOrderSingle', or '' when unknown. */
  msgTypeName: string
  /**
   * The body ready for FixCodec.encodeBody: every value as its exact FIX text (DATA fields as a
   * Buffer, with their length field derived), components as objects, groups as arrays. Only the
   * valid parts when there are problems: never encode a body whose result is not ok.
   */
  body: Record<string, unknown>
  /** Every problem found, not just the first. */
  problems: FixProblem[]
}

interface Context {
  dict: CompiledDictionary
  problems: FixProblem[]
  decimals?: Record<string, number>
}

/**
 * Checks a message object against the dictionary before encoding and gives the normalised body.
 * Pure: the result depends only on the definitions, the message type (code 'D' or name
 * 'NewOrderSingle') and the object; the object is not modified.
 */
export function validateMessage (
  definitions: FixDefinitions,
  msgType: string,
  object: unknown,
  options: ValidateOptions = {}
): ValidationResult {
  const dict = compileDictionary(definitions)
  const message = dict.message(msgType)
  if (message === undefined) {
    return {
      ok: false,
      msgType,
      msgTypeName: '',
      body: {},
      problems: [
        { field: 'MsgType', tag: 35, path: 'MsgType', problem: `message type "${msgType}" is not in the dictionary` }
      ]
    }
  }
  const { definition, set } = message
  const ctx: Context = { dict, problems: [], decimals: options.decimals }
  let body: Record<string, unknown> = {}
  if (!isPlainObject(object)) {
    ctx.problems.push({
      field: definition.name,
      path: '',
      problem: `the message must be an object keyed by field names, got ${kindOf(object)}`
    })
  } else {
    body = walk(ctx, set, object, '')
  }
  return {
    ok: ctx.problems.length === 0,
    msgType: definition.msgType,
    msgTypeName: definition.name,
    body,
    problems: ctx.problems
  }
}

function walk (
  ctx: Context, set: CompiledSet, input: Record<string, unknown>, prefix: string
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const keys = Object.keys(input)
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]
    const v = input[key]
    // Absent, as for jspurefix's encoder (which skips null and '').
    if (v === undefined || v === null || v === '') continue
    const rule = set.fields.get(key)
    if (rule === undefined) {
      unknown(ctx, set, key, prefix)
      continue
    }
    if (rule.kind === 'simple') {
      simple(ctx, rule, v, input, out, prefix)
    } else if (rule.kind === 'component') {
      let value = v
      if (Array.isArray(value) && rule.soleGroup !== undefined) value = { [rule.soleGroup]: value }
      if (!isPlainObject(value)) {
        ctx.problems.push({
          field: key,
          path: prefix + key,
          problem: `component ${key} must be an object, got ${kindOf(v)}`
        })
        continue
      }
      const inner = walk(ctx, rule.set(), value, prefix + key + '.')
      if (!isEmpty(inner)) out[key] = inner
    } else {
      const instances = group(ctx, rule, v, prefix)
      if (instances !== undefined) out[key] = instances
    }
  }
  const required = set.required
  for (let r = 0; r < required.length; r++) {
    const rule = required[r]
    if (out[rule.name] !== undefined) continue
    // A present but invalid field was already reported.
    if (
      input[rule.name] !== undefined &&
      input[rule.name] !== null &&
      input[rule.name] !== '' &&
      rule.kind !== 'component'
    ) { continue }
    if (rule.kind === 'component') {
      const given = input[rule.name]
      if (given !== undefined && given !== null && given !== '' && !isPlainObject(given) && !Array.isArray(given)) {
        continue
      }
      for (const leaf of ctx.dict.requiredLeaves(rule.set())) {
        ctx.problems.push({
          field: leaf.name,
          tag: leaf.tag,
          path: `${prefix}${rule.name}.${leaf.path}`,
          problem: `required field is missing (in component ${rule.name})`
        })
      }
    } else {
      ctx.problems.push({
        field: rule.name,
        tag: rule.tag,
        path: prefix + rule.name,
        problem: rule.kind === 'group' ? 'required repeating group is missing' : 'required field is missing'
      })
    }
  }
  return out
}

function simple (
  ctx: Context,
  rule: SimpleRule,
  v: unknown,
  input: Record<string, unknown>,
  out: Record<string, unknown>,
  prefix: string
): void {
  // The length of raw data is derived from the data itself (see below).
  if (rule.lengthOf !== undefined) {
    const data = input[rule.lengthOf]
    if (data === undefined || data === null || data === '') {
      problem(ctx, rule, prefix, `is given without ${rule.lengthOf}`)
    }
    return
  }
  let value = v
  if (rule.aliases !== undefined && typeof v === 'string' && !rule.enums!.has(v)) value = rule.aliases.get(v) ?? v
  const c = rule.coerce(value, ctx.decimals?.[rule.name])
  if (c instanceof Invalid) {
    problem(ctx, rule, prefix, c.reason)
    return
  }
  if (typeof c === 'string') {
    if (rule.enums !== undefined) {
      if (!rule.multi) {
        if (!rule.enums.has(c)) {
          problem(ctx, rule, prefix, `"${c}" is not a valid ${rule.name} (${enumList(rule)})`)
          return
        }
      } else {
        const bad = c.split(' ').filter(t => !rule.enums!.has(t))
        if (bad.length > 0) {
          problem(
            ctx,
            rule,
            prefix,
            `${bad.map(b => `"${b}"`).join(', ')} not valid for ${rule.name} (${enumList(rule)})`
          )
          return
        }
      }
    }
    out[rule.name] = c
    return
  }
  out[rule.name] = c
  if (rule.lengthName !== undefined) {
    const given = input[rule.lengthName]
    const length = String(c.length)
    if (given !== undefined && given !== null && given !== '' && String(given) !== length) {
      ctx.problems.push({
        field: rule.lengthName,
        tag: lengthTag(ctx, rule.lengthName),
        path: prefix + rule.lengthName,
        problem: `is ${String(given)} but ${rule.name} has ${length} bytes`
      })
    }
    out[rule.lengthName] = length
  }
}

function group (ctx: Context, rule: GroupRule, v: unknown, prefix: string): Array<Record<string, unknown>> | undefined {
  const path = prefix + rule.name
  if (!Array.isArray(v)) {
    ctx.problems.push({
      field: rule.name,
      tag: rule.tag,
      path,
      problem: 'a repeating group must be an array of ' +
      `instances (its count ${rule.name} is derived from the length), got ${kindOf(v)}`
    })
    return undefined
  }
  if (v.length === 0) return undefined
  const set = rule.set()
  const instances: Array<Record<string, unknown>> = new Array(v.length)
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i]
    const at = `${path}[${i}]`
    if (!isPlainObject(item)) {
      ctx.problems.push({
        field: rule.name,
        tag: rule.tag,
        path: at,
        problem: `group instance must be an object, got ${kindOf(item)}`
      })
      instances[i] = {}
      continue
    }
    const inst = walk(ctx, set, item, at + '.')
    instances[i] = inst
    if (!hasPath(inst, rule.delimiter) && !hasPath(item, rule.delimiter)) {
      const first = rule.delimiter[rule.delimiter.length - 1]
      ctx.problems.push({
        field: first,
        tag: rule.delimiterTag,
        path: `${at}.${rule.delimiter.join('.')}`,
        problem: `every instance of ${rule.name} must carry its first field ${first} (${rule.delimiterTag})`
      })
    }
  }
  return instances
}

function unknown (ctx: Context, set: CompiledSet, key: string, prefix: string): void {
  const env = ctx.dict.envelope.get(key)
  if (env !== undefined) {
    ctx.problems.push({
      field: key,
      tag: env.tag,
      path: prefix + key,
      problem: `is a ${env.part} field: the session sets the ${env.part}, it must not be in the body`
    })
    return
  }
  if (/^\d+$/.test(key)) {
    const tag = Number(key)
    const byTag = ctx.dict.envelopeTags.get(tag)
    if (byTag !== undefined) {
      ctx.problems.push({
        field: byTag.name,
        tag,
        path: prefix + key,
        problem: `is a ${byTag.part} field: the session sets the ${byTag.part}, it must not be in the body`
      })
      return
    }
    const simple = ctx.dict.field(tag)
    ctx.problems.push({
      field: simple?.name ?? key,
      tag,
      path: prefix + key,
      problem:
        simple !== undefined ? `fields are keyed by name: use "${simple.name}"` : `tag ${tag} is not in the dictionary`
    })
    return
  }
  const known = ctx.dict.definitions.simple.get(key)
  ctx.problems.push({ field: key, tag: known?.tag, path: prefix + key, problem: `is not a field of ${set.label}` })
}

function problem (ctx: Context, rule: SimpleRule, prefix: string, text: string): void {
  ctx.problems.push({ field: rule.name, tag: rule.tag, path: prefix + rule.name, problem: text })
}

function lengthTag (ctx: Context, name: string): number | undefined {
  return ctx.dict.definitions.simple.get(name)?.tag
}

function enumList (rule: SimpleRule): string {
  const all = [...rule.enums!].map(([k, d]) => `${k} ${d}`)
  return all.length > 12 ? all.slice(0, 12).join(', ') + `, … ${all.length - 12} more` : all.join(', ')
}

function hasPath (o: Record<string, unknown>, path: string[]): boolean {
  let cur: unknown = o
  for (const p of path) {
    if (!isPlainObject(cur)) return false
    cur = cur[p]
  }
  return cur !== undefined && cur !== null && cur !== '' && !(Array.isArray(cur) && cur.length === 0)
}

function isEmpty (o: Record<string, unknown>): boolean {
  // eslint-disable-next-line no-unreachable-loop -- returns at the first key: an emptiness test with no allocation
  for (const _ in o) return false
  return true
}

function kindOf (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (isDate(v)) return 'a Date'
  if (Buffer.isBuffer(v)) return 'a Buffer'
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`
}

/** One line listing every problem, for node.error and logs. */
export function describeProblems (msgTypeLabel: string, problems: FixProblem[]): string {
  const list = problems.map(p => {
    const tag = p.tag !== undefined ? ` (${p.tag})` : ''
    const at = p.path !== '' && p.path !== p.field ? ` at ${p.path}` : ''
    return `${p.field}${tag}${at}: ${p.problem}`
  })
  return `${msgTypeLabel}: ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${list.join('; ')}`
}
