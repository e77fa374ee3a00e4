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
 * with terminate on error), reported when the client decides to.
 */
export async function dispose (
  row: StreamRow, transform: Transform, streamer: string | undefined, host: DeliveryHost, o: DeliveryOptions
): Promise<Disposition> {
  const stream: StreamMeta = {
    name: row.stream,
    streamer: streamer ?? '',
    client: o.clientName,
    clientId: host.id,
    position: row.position,
    replay: row.replay
  }
  try {
    // Awaited only when a JSONata expression made them promises: an await per row costs one.
    const keep = transform.keep(row)
    if (!(keep instanceof Promise ? await keep : keep)) return { action: 'skip' }
    const route = transform.route(row)
    const output = route instanceof Promise ? await route : route
    if (output < 0) return { action: 'skip' }
    const value = transform.payload(row)
    const payload = value instanceof Promise ? await value : value
    const msg: StreamMessage = { _msgid: o.newId(), topic: row.stream, payload, stream }
    const out = outputsWith(transform.outputs, output, msg)
    return { action: 'send', send: () => host.send(out), confirmed: o.confirmOnSend }
  } catch (err) {
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
