import type { NodeMessage, NodeStatus } from 'node-red'
import { FixInputError, FixParseError, FixTranslator } from '../../core/fix'
import type { Translate } from '../shared/i18n'
import { status } from '../shared/status'
import { dictionaryLabel } from './dictionary'
import { decodedFix, firstProblem, invalidFix, msgTypeToBuild, routeOutputs } from './messages'
import { dictionaryFailedText, readyText } from './status-text'
import type { Routing } from './types'

/** The translator a node runs with, and its ready status text; or why it cannot run. */
export type Loaded = { translator: FixTranslator, ready: string } | { error: string, status?: string }

/**
 * Loads the dictionary `ref` (shared by every node of the process) and checks the message type
 * the node builds, when it names one: a type the dictionary lacks would fail every message, so
 * the node says so once, at deploy. `error` is the log line, `status` a shorter label if any.
 */
export async function loadTranslator (
  ref: string, toFix: boolean, msgType: string | undefined, _: Translate
): Promise<Loaded> {
  let t: FixTranslator
  try {
    t = await FixTranslator.create(ref)
  } catch (err) {
    const message = (err as Error).message
    return {
      error: _('fix-translator.errors.dictionary', { error: message }),
      status: dictionaryFailedText(error => _('fix-translator.errors.dictionary', { error }), message)
    }
  }
  const named = toFix && msgType !== '' && msgType !== undefined
  const message = named ? t.definitions.message.get(msgType) : undefined
  if (named && message === undefined) return { error: _('fix-translator.errors.unknown-type', { msgType }) }
  return { translator: t, ready: readyText(dictionaryLabel(ref), toFix, message) }
}

/**
 * What one input message comes to: the outputs to send (none when nothing goes out), the status
 * to show ('ready', or a fault with its own key so a repeated fault is not shown again) and the
 * error that ends the message (undefined when it went through).
 */
export interface Outcome {
  send?: Array<NodeMessage | null>
  status: 'ready' | { key: string, status: NodeStatus }
  error?: Error
}

type FixMessage = NodeMessage & { fix?: unknown }

/**
 * Object -> FIX: builds the message object (`build`: the mapping table, or msg.payload), encodes
 * it and validates it. Valid: msg.payload is the FIX message, to the first output. Invalid: the
 * problems in msg.fix, to the second output, and an error naming them.
 */
export async function encode (
  t: FixTranslator,
  configuredType: string | undefined,
  build: (msg: NodeMessage) => Promise<unknown>,
  msg: FixMessage,
  _: Translate
): Promise<Outcome> {
  const msgType = msgTypeToBuild(configuredType, msg.fix as { msgType?: unknown } | undefined)
  if (msgType === '') {
    return {
      status: { key: 'no-type', status: status.error(_('fix-translator.status.no-type')) },
      error: new Error(_('fix-translator.errors.no-type'))
    }
  }
  let object: unknown
  try {
    object = await build(msg)
  } catch (err) {
    return { status: { key: 'mapping', status: status.error(_('fix-translator.status.mapping')) }, error: err as Error }
  }
  const r = t.toFix(msgType, object)
  if (r.ok) {
    msg.payload = r.payload
    msg.fix = r.fix
    return { send: [msg, null], status: 'ready' }
  }
  msg.fix = invalidFix(r, t)
  const text = _('fix-translator.status.invalid', { count: r.problems.length, first: firstProblem(r.problems) })
  return {
    send: [null, msg],
    status: { key: `invalid:${r.problems[0]?.field ?? ''}`, status: status.error(text) },
    error: new Error(r.message)
  }
}

/**
 * FIX -> object: parses msg.payload (a FIX message, or a fix_in row) and routes the object by
 * its type. Input that is not FIX ends the message with an error; any other failure is thrown.
 */
export function decode (
  t: FixTranslator, routing: Routing, types: string[], msg: FixMessage, _: Translate
): Outcome {
  let result
  try {
    result = t.fromFix(msg.payload)
  } catch (err) {
    if (!(err instanceof FixParseError || err instanceof FixInputError)) throw err
    const text = _('fix-translator.status.bad-input', { reason: err.reason })
    return {
      status: { key: `bad:${err.reason}`, status: status.error(text) },
      error: new Error(_('fix-translator.errors.bad-input', { error: err.message }))
    }
  }
  msg.fix = decodedFix(result, msg.payload)
  msg.payload = result.payload
  return { send: routeOutputs(routing, types, result.fix.msgType, msg), status: 'ready' }
}
