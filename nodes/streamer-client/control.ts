import { parsePosition } from '../../core/client'
import type { Position, StartAt, StreamMeta } from '../../core/stream'
import { isDate } from '../../core/util'

/**
 * Reads the target of a rewind from a control message's payload or an admin request:
 * 'live' | 'beginning' | 'reset' | { position } | { timestamp }.
 */
export function parseRewindTarget (payload: unknown): StartAt | 'reset' {
  if (payload === 'live' || payload === 'beginning') return { kind: payload }
  if (payload === 'reset') return 'reset'
  if (payload !== null && typeof payload === 'object') {
    const p = payload as Record<string, unknown>
    if (p.position !== undefined) return { kind: 'after', position: parsePosition(p.position) }
    if (p.timestamp !== undefined) {
      const at = isDate(p.timestamp) ? p.timestamp : new Date(p.timestamp as string | number)
      if (Number.isNaN(at.getTime())) throw new Error(`not a timestamp: ${JSON.stringify(p.timestamp)}`)
      return { kind: 'timestamp', at: at.toISOString() }
    }
  }
  throw new Error('a rewind takes \'live\', \'beginning\', \'reset\', {position: [...]} or {timestamp: \'...\'}, ' +
    `not ${JSON.stringify(payload)}`)
}

/** A start for the log: "after [3, 7]", "from 2024-01-02T03:04:05.000Z", "live", "beginning". */
export function describeStart (start: StartAt): string {
  switch (start.kind) {
    case 'after': return `after [${start.position.join(', ')}]`
    case 'timestamp': return `from ${start.at}`
    default: return start.kind
  }
}

/** What a message into a client asks of it. */
export type ClientInput =
  /** Nothing: a row straight from a streamer's output (the client takes its rows by subscription). */
  | { kind: 'ignore' }
  /** A row of this client wired back from its target (output or Complete node). */
  | { kind: 'confirm', position: Position }
  /** A row of this client its target failed (a Catch node scoped to the target wired back). */
  | { kind: 'failed', position: Position }
  /** A row of another client. */
  | { kind: 'foreign', client: string }
  | { kind: 'redeliver' }
  | { kind: 'rewind', target: StartAt | 'reset' }
  | { kind: 'unknown', topic: string }

/**
 * Reads a message into client `clientId`: a row wired back (by its msg.stream) or a control
 * command (msg.topic 'redeliver', 'rewind' with its target in msg.payload, 'reset'). Throws when
 * a rewind's target is not one.
 */
export function readInput (msg: { topic?: unknown, payload?: unknown, stream?: unknown, error?: unknown },
  clientId: string): ClientInput {
  const meta = msg.stream as Partial<StreamMeta> | null | undefined
  if (meta !== undefined && meta !== null && typeof meta === 'object') {
    if (meta.clientId === clientId) {
      if (!Array.isArray(meta.position)) return { kind: 'ignore' }
      if (msg.error !== undefined && msg.error !== null) return { kind: 'failed', position: meta.position }
      return { kind: 'confirm', position: meta.position }
    }
    if (meta.clientId === undefined) return { kind: 'ignore' }
    return { kind: 'foreign', client: String(meta.client ?? meta.clientId) }
  }
  switch (msg.topic) {
    case 'redeliver': return { kind: 'redeliver' }
    case 'reset': return { kind: 'rewind', target: 'reset' }
    case 'rewind': return { kind: 'rewind', target: parseRewindTarget(msg.payload) }
    default: return { kind: 'unknown', topic: String(msg.topic) }
  }
}

/** What a client does for each input that asks something of it. */
export interface InputActions {
  confirm: (position: Position) => void
  failed: (position: Position) => void
  redeliver: () => Promise<unknown>
  rewind: (target: StartAt | 'reset') => Promise<unknown>
  /** The error for a row of another client or an unknown command. */
  refused: (input: Extract<ClientInput, { kind: 'foreign' | 'unknown' }>) => Error
}

/**
 * Carries out what a message into client `clientId` asks and then calls `done` once, with the
 * error when the message cannot be read or its command failed, so a Catch node sees it.
 */
export function answerInput (msg: Parameters<typeof readInput>[0], clientId: string, act: InputActions,
  done: (err?: Error) => void): void {
  let input: ClientInput
  try {
    input = readInput(msg, clientId)
  } catch (err) {
    return done(err as Error)
  }
  const after = (p: Promise<unknown>): void => { p.then(() => done(), (err: Error) => done(err)) }
  switch (input.kind) {
    case 'confirm': act.confirm(input.position); return done()
    case 'failed': act.failed(input.position); return done()
    case 'foreign': case 'unknown': return done(act.refused(input))
    case 'redeliver': return after(act.redeliver())
    case 'rewind': return after(act.rewind(input.target))
    default: return done()
  }
}
