import type { FixDefinitions } from 'jspurefix'
import { checkFrame } from '../fix/framing'
import { FieldList, fieldList, FieldsLike } from '../fix/field-list'
import { compileDictionary } from '../fix/validation/compile'
import type { WireGroup } from '../fix/validation/wire'
import { HEADER_TAGS, TRAILER_TAGS } from '../fix/session-tags'
import { printable, SOH } from './fields'
import { InboundProblem, RejectReason } from './inbound-validation'

/** SessionRejectReason values beyond those inbound-validation names (FIX.4.3 and later). */
export const MoreRejectReasons = {
  RepeatingGroupFieldsOutOfOrder: 15,
  IncorrectNumInGroup: 16
} as const

// Standard header tags of every FIX version from 4.2 on (core/fix/session-tags.ts): a message that carries
// one of them after its first body field has its header and body out of order (SessionRejectReason 14).

/**
 * The fields of a frame whose length and checksum are right but where a field's tag is not a
 * positive number (0, -5, abc): those fields are left out and reported as SessionRejectReason 0,
 * so the message can still be answered with a Reject. Undefined when the frame is not sound or a
 * field has no '=' at all (garbled: ignored, as FIX says).
 */
export function looseFields (frame: Buffer): { fields: FieldList, problem?: InboundProblem } | undefined {
  try {
    checkFrame(frame)
  } catch {
    return undefined
  }
  const text = frame.toString('latin1')
  const parts = text.split(SOH)
  if (parts[parts.length - 1] === '') parts.pop()
  const fields = new FieldList()
  let problem: InboundProblem | undefined
  for (const p of parts) {
    const eq = p.indexOf('=')
    if (eq < 0) return undefined
    const tagText = p.slice(0, eq)
    if (/^[1-9]\d{0,8}$/.test(tagText)) {
      fields.push(Number(tagText), p.slice(eq + 1))
      continue
    }
    problem ??= {
      reason: RejectReason.InvalidTagNumber,
      refTag: /^-?\d{1,9}$/.test(tagText) ? Number(tagText) : undefined,
      text: `Invalid tag number (${printable(tagText, 12)})`
    }
  }
  return { fields, problem }
}

/**
 * Structural rules every message must meet before its content is looked at: no field without a
 * value (373=4), no NUL byte in a value (373=6: the journal, PostgreSQL text and jsonb, cannot
 * hold one, so the message could never be committed), no header field after the first body field (373=14).
 */
export function structureProblem (fieldsLike: FieldsLike): InboundProblem | undefined {
  let inBody = false
  const { tags, values } = fieldList(fieldsLike)
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i]
    const value = values[i]
    if (tag === 10) break
    if (value === '') {
      return {
        reason: RejectReason.TagSpecifiedWithoutValue,
        refTag: tag,
        text: `Tag specified without a value (${tag})`
      }
    }
    if (value.includes('\x00')) {
      return {
        reason: RejectReason.IncorrectDataFormat,
        refTag: tag,
        text: `Incorrect data format for value (${tag}: a NUL byte)`
      }
    }
    if (HEADER_TAGS.has(tag)) {
      if (inBody) {
        return {
          reason: RejectReason.TagOutOfOrder,
          refTag: tag,
          text: `Tag specified out of required order (${tag}: header field after the body)`
        }
      }
    } else if (!TRAILER_TAGS.has(tag)) {
      inBody = true
    }
  }
  return undefined
}

/**
 * A NumInGroup (NoXxx) whose count is not the number of entries that follow it (373=16), or whose
 * first entry does not start with the group's first field (373=15). Groups
 * are read as the dictionary defines them: an entry starts with the group's first field and the
 * group ends at the first field that does not belong to it.
 */
export function groupCountProblem (
  defs: FixDefinitions,
  msgType: string,
  fieldsLike: FieldsLike
): InboundProblem | undefined {
  const groups = compileDictionary(defs).wire(msgType)?.groups
  if (groups === undefined || groups.size === 0) return undefined
  const fields = fieldList(fieldsLike)
  const { tags } = fields
  for (let i = 0; i < tags.length; i++) {
    const g = groups.get(tags[i])
    if (g === undefined) continue
    const r = readGroup(g, fields, i)
    if (r.problem !== undefined) return r.problem
    i = r.next - 1
  }
  return undefined
}

function readGroup (
  g: WireGroup, fields: FieldList, at: number
): { next: number, problem?: InboundProblem } {
  const { tags } = fields
  const countTag = tags[at]
  const countText = fields.values[at]
  const declared = Number(countText)
  let entries = 0
  let i = at + 1
  while (i < tags.length && g.contained.has(tags[i])) {
    const tag = tags[i]
    if (tag === g.delimiter) entries++
    else if (entries === 0) {
      // A group field where an entry must start with the group's first field.
      return {
        next: i,
        problem: {
          reason: MoreRejectReasons.RepeatingGroupFieldsOutOfOrder,
          refTag: tag,
          text: `Repeating group fields out of order (${tag} before ${g.delimiter})`
        }
      }
    }
    const nested = g.nested.get(tag)
    if (nested !== undefined) {
      const r = readGroup(nested, fields, i)
      if (r.problem !== undefined) return r
      i = r.next
      continue
    }
    i++
  }
  if (!Number.isInteger(declared) || declared !== entries) {
    return {
      next: i,
      problem: {
        reason: MoreRejectReasons.IncorrectNumInGroup,
        refTag: countTag,
        text: 'Incorrect ' +
      `NumInGroup count for repeating group (${countTag}=${printable(countText, 10)}, ${entries} entries)`
      }
    }
  }
  return { next: i }
}

/** The highest SessionRejectReason a BeginString defines (FIX.4.2: 0-11); higher ones go as text only. */
export function maxRejectReason (beginString: string): number {
  switch (beginString) {
    case 'FIX.4.0': case 'FIX.4.1': return -1
    case 'FIX.4.2': return 11
    default: return 99
  }
}
