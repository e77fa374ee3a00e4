import type { NodeMessage } from 'node-red'
import type { FixInfo, FixProblem, FromFixResult } from '../../core/fix'
import type { Routing } from './types'

/**
 * The outputs for a decoded message of `msgType`. Filter: the listed types on the first, the rest
 * on the second. Route: one output per listed type, in the list's order, then one for the rest.
 */
export function routeOutputs (routing: Routing, types: string[], msgType: string, m: NodeMessage):
Array<NodeMessage | null> {
  if (routing === 'filter') return types.includes(msgType) ? [m, null] : [null, m]
  if (routing === 'route') {
    const out: Array<NodeMessage | null> = new Array(types.length + 1).fill(null)
    const i = types.indexOf(msgType)
    out[i < 0 ? types.length : i] = m
    return out
  }
  return [m]
}

/** The message type to build: the node's own, else the message's msg.fix.msgType ('' when neither). */
export function msgTypeToBuild (configured: string | undefined, fix: { msgType?: unknown } | undefined): string {
  return configured !== '' && configured !== undefined ? configured : String(fix?.msgType ?? '')
}

/** What msg.fix says of a message that did not validate: its type, the dictionary and every problem. */
export function invalidFix (
  r: { msgType: string, msgTypeName: string, problems: FixProblem[] },
  dictionary: { beginString: string, dictionary: string }
): Record<string, unknown> {
  return {
    msgType: r.msgType,
    msgTypeName: r.msgTypeName,
    beginString: dictionary.beginString,
    dictionary: dictionary.dictionary,
    problems: r.problems
  }
}

/** The first problem for the status: the field, and its tag when it has one ("Price (44)"). */
export function firstProblem (problems: FixProblem[]): string {
  const p = problems[0]
  return `${p?.field ?? ''}${p?.tag !== undefined ? ` (${p.tag})` : ''}`
}

/**
 * msg.fix of a decoded message. A fix_in row as input keeps its other columns (connection,
 * sequence, ...) under msg.fix.row; the raw bytes are in the message already.
 */
export function decodedFix (result: FromFixResult, input: unknown): FixInfo & { row?: Record<string, unknown> } {
  if (typeof input !== 'object' || input === null || Buffer.isBuffer(input) || input instanceof Uint8Array) {
    return result.fix
  }
  const { raw, raw_text: rawText, ...row } = input as Record<string, unknown>
  return Object.assign(result.fix, { row })
}
