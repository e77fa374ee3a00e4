import type { NodeMessage } from 'node-red'
import type { Disposition, FailOutcome } from '../../core/client'
import type { Position, StreamMeta, StreamRow } from '../../core/stream'
import type { Translate } from '../shared/i18n'
import type { Transform } from './transform'

/** What delivering rows needs of the node (the Node-RED node is one): who it is, its send and error. */
export interface DeliveryHost {
  readonly id: string
  readonly type: string
  readonly name?: string
  send: (out: Array<NodeMessage | null>) => void
  /** node.error(text, msg): the log, and a copy of msg to the Catch nodes. */
  error: (text: string, msg: NodeMessage) => void
}

export interface DeliveryOptions {
  clientName: string
  /** Confirmed when sent: the target does not confirm. */
  confirmOnSend: boolean
  /** A row the transform fails stops the client before it, instead of going to the error output. */
  terminateOnError: boolean
  /** Failures of a row its target may report before the client gives up on it (for the log). */
  attempts: number
  /** A new message id (RED.util.generateId). */
  newId: () => string
  t: Translate
}

type StreamMessage = NodeMessage & { stream: StreamMeta, error?: unknown }

/** The node's outputs with `msg` on output `index` (data outputs first, the error output last). */
export function outputsWith (outputs: number, index: number, msg: NodeMessage): Array<NodeMessage | null> {
  const out: Array<NodeMessage | null> = new Array(outputs + 1).fill(null)
  out[index] = msg
  return out
}

/**
 * What the client does with a row (core/client's Disposition): filtered out or routed nowhere,
 * skipped; else sent on its output as msg.payload with msg.stream saying where it is from. A row
 * the transform fails goes to the error output with the error in msg.error (or stops the client,
 * with terminate on error), reported when the client decides to. Synchronous unless a JSONata
 * expression made the filter, route or payload a promise, so the client awaits nothing for a row
 * (before: three promises and microtask turns a row, on every client).
 */
export function dispose (
  row: StreamRow, transform: Transform, streamer: string | undefined, host: DeliveryHost, o: DeliveryOptions
): Disposition | Promise<Disposition> {
  const stream: StreamMeta = {
    name: row.stream,
    streamer: streamer ?? '',
    client: o.clientName,
    clientId: host.id,
    position: row.position,
    replay: row.replay
  }
  try {
    const keep = transform.keep(row)
    if (keep instanceof Promise) return disposeLater(row, transform, stream, host, o, keep)
    if (!keep) return { action: 'skip' }
    const route = transform.route(row)
    if (route instanceof Promise) return disposeLater(row, transform, stream, host, o, true, route)
    if (route < 0) return { action: 'skip' }
    const payload = transform.payload(row)
    if (payload instanceof Promise) return disposeLater(row, transform, stream, host, o, true, route, payload)
    return sending(row, transform, stream, host, o, route, payload)
  } catch (err) {
    return failing(err, row, transform, stream, host, o)
  }
}

/** dispose once one of the transform's answers is a promise: the rest in the same order, awaited. */
async function disposeLater (
  row: StreamRow, transform: Transform, stream: StreamMeta, host: DeliveryHost, o: DeliveryOptions,
  keep: boolean | Promise<boolean>, route?: number | Promise<number>, payload?: Promise<unknown>
): Promise<Disposition> {
  try {
    if (!(await keep)) return { action: 'skip' }
    const output = await (route ?? transform.route(row))
    if (output < 0) return { action: 'skip' }
    return sending(row, transform, stream, host, o, output, await (payload ?? transform.payload(row)))
  } catch (err) {
    return failing(err, row, transform, stream, host, o)
  }
}

function sending (
  row: StreamRow, transform: Transform, stream: StreamMeta, host: DeliveryHost, o: DeliveryOptions,
  output: number, payload: unknown
): Disposition {
  const msg: StreamMessage = { _msgid: o.newId(), topic: row.stream, payload, stream }
  const out = outputsWith(transform.outputs, output, msg)
  return { action: 'send', send: () => host.send(out), confirmed: o.confirmOnSend }
}

function failing (
  err: unknown, row: StreamRow, transform: Transform, stream: StreamMeta, host: DeliveryHost, o: DeliveryOptions
): Disposition {
  const error = err instanceof Error ? err : new Error(String(err))
  const msg: StreamMessage = { _msgid: o.newId(), topic: row.stream, payload: row.row, stream }
  const report = (): void => {
    host.error(o.t('streamer-client.errors.row', { position: row.position.join(','), error: error.message }), msg)
    // The error output's copy says what failed (Catch nodes get their own copy from node.error).
    msg.error = { message: error.message, source: { id: host.id, type: host.type, name: host.name } }
  }
  if (o.terminateOnError) return { action: 'stop', error, report }
  return {
    action: 'reject',
    report: () => {
      report()
      host.send(outputsWith(transform.outputs, transform.outputs, msg))
    }
  }
}

/**
 * A row its target failed (a Catch node wired back): `fail` tells the client, which sends it
 * again or gives up on it. Given up (skipped, or the client stopped before it), the row goes to
 * the error output with why, and true is returned.
 */
export function targetFailed (
  msg: NodeMessage & { error?: unknown },
  position: Position,
  fail: (position: Position, error: string) => FailOutcome | undefined,
  outputs: number,
  host: DeliveryHost,
  o: DeliveryOptions
): boolean {
  const e = msg.error as { message?: unknown } | undefined
  const error = String(e?.message ?? e)
  const outcome = fail(position, error)
  if (outcome !== 'skipped' && outcome !== 'stopped') return false
  const key = outcome === 'skipped' ? 'streamer-client.errors.skipped' : 'streamer-client.errors.gave-up'
  host.error(o.t(key, { position: position.join(', '), attempts: o.attempts, error }), msg)
  host.send(outputsWith(outputs, outputs, msg))
  return true
}
