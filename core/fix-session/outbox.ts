import { firstOf, Tag } from './fields'
import { DuplicateOriginError, MessageStore, originKey, OutboundRecord, StreamOrigin } from './message-store'
import type { OutboundEncoder } from './outbound-encoder'
import type { SerialQueue } from './serial-queue'
import type { SessionEvent } from './application'
import type { SessionPhase, SessionState } from './session-state'

export class NotLoggedOnError extends Error {
  constructor (phase: SessionPhase) {
    super(`the FIX session is not logged on (${phase}): message not sent, not confirmed`)
    this.name = 'NotLoggedOnError'
  }
}

export interface SendRequest {
  msgType: string
  /** An object keyed by field names (translator output)... */
  body?: Record<string, unknown>
  /** ...or a body already in tag=value form (SOH-delimited), e.g. from a raw FIX string. */
  rawBody?: string
  /** The stream row that caused this message: makes the send exactly-once. */
  origin?: StreamOrigin
  /** Send with PossResend(97)=Y: the application may have sent this message before (under another number). */
  possResend?: boolean
}

export interface SendResult {
  /** 'sent': journaled and written; 'duplicate': this origin was journaled before, nothing sent. */
  status: 'sent' | 'duplicate'
  seq: number
}

/** Most sends journaled in one statement. */
const MAX_BATCH = 200

/** Resolves after the immediate callbacks queued so far have run. */
async function nextTurn (): Promise<void> {
  await new Promise<void>(resolve => setImmediate(resolve))
}

/** A send waiting for its turn. */
interface OutboxItem { req: SendRequest, resolve: (r: SendResult) => void, reject: (e: Error) => void }

/** A batch framed for the journal, and what happens to each item once the journal has answered. */
interface FramedBatch {
  records: OutboundRecord[]
  accepted: Array<{ item: OutboxItem, frame: Buffer, seq: number }>
  /** Origins repeated within the batch, and origins journaled before. */
  repeats: Array<{ item: OutboxItem, key: string }>
  duplicates: Array<{ item: OutboxItem, seq: number }>
  rejected: Array<{ item: OutboxItem, err: Error }>
  inBatch: Map<string, number>
  nextSeq: number
}

/** What the outbox needs of its session. */
export interface OutboxHost {
  /** The session's queue: a batch is journaled and written as one job of its outbound lane (serial-queue.ts). */
  readonly queue: SerialQueue
  readonly store: MessageStore
  readonly state: SessionState
  readonly encoder: OutboundEncoder
  now: () => Date
  /** A responder is attached. */
  connected: () => boolean
  /** Writes journaled frames to the responder, if one is attached and writable (`raws` for the log). */
  write: (frames: Buffer, raws: string[]) => void
  emitState: () => void
  event: (e: SessionEvent) => void
}

/**
 * The session's outbound application messages (QuickFIX's Session::send, with a journal):
 * exactly once per stream position (origin) and journaled before they are written.
 * Invariants: a send resolves 'sent' only once its message is committed to the journal under its
 * sequence number (from then on a resend covers a lost write); an origin journaled before
 * resolves 'duplicate' with its first sequence number and nothing is written; sends waiting
 * together (behind a commit, or given to an idle session within one turn of the event loop) are
 * journaled in one statement (group commit) and written together, in order; each resolves or
 * rejects on its own.
 */
export class Outbox {
  private readonly waiting: OutboxItem[] = []
  private queued = false

  constructor (private readonly h: OutboxHost) {}

  /**
   * Sends one application message: exactly once per origin, journaled before it is written.
   * Sends waiting together are journaled in one statement and written together (group commit);
   * each resolves or rejects on its own.
   */
  send (req: SendRequest): Promise<SendResult> {
    // Not an async function: a send waits for the journal commit (over a scavenge or two at these
    // rates) and an async frame around this promise would wait, and be promoted, with it.
    return new Promise<SendResult>((resolve, reject) => {
      this.waiting.push({ req, resolve, reject })
      if (this.queued) return
      this.queued = true
      this.h.queue.runLane('out', async () => {
        // The first send of a burst waits one turn of the event loop for the rest of it, in the
        // queue (so idle() and stop() still wait for it): Node-RED hands a stream batch to the
        // gateway one message per immediate callback, and without this wait the first message
        // was journaled alone while the rest waited for its commit, then paid their own (two
        // commits in a row for most messages of a burst instead of one).
        await nextTurn()
        this.queued = false
        await this.pump()
      }).catch(err => this.h.event({ type: 'error', text: `send: ${(err as Error).message}` }))
    })
  }

  private async pump (): Promise<void> {
    const items = this.waiting.splice(0, MAX_BATCH)
    if (this.waiting.length > 0 && !this.queued) {
      this.queued = true
      this.h.queue.runLane('out', async () => {
        this.queued = false
        await this.pump()
      }).catch(err => this.h.event({ type: 'error', text: `send: ${(err as Error).message}` }))
    }
    // Logged on, the batch is journaled straight away: the journal's unique origin key refuses a
    // repeat (only rows redelivered after a restart or a rewind), and only then are the repeats
    // looked up, and the rest journaled again. Not logged on, repeats are still confirmed.
    const up = this.h.state.loggedOn && this.h.connected()
    let known: Map<string, number> | undefined
    if (!up) {
      known = await this.lookUp(items)
      if (known === undefined) return
    }
    let b = this.frameBatch(items, known ?? new Map(), up)
    if (b.records.length > 0) {
      try {
        await this.h.store.recordSentBatch(b.records)
      } catch (err) {
        let failure: unknown = err
        if (err instanceof DuplicateOriginError && known === undefined) {
          known = await this.lookUp(items)
          if (known === undefined) return
          b = this.frameBatch(items, known, this.h.state.loggedOn && this.h.connected())
          failure = undefined
          if (b.records.length > 0) await this.h.store.recordSentBatch(b.records).catch(e => { failure = e })
        }
        if (failure !== undefined) {
          // Repeats found by the lookup were sent before: they stay confirmed whatever this batch does.
          for (const d of b.duplicates) d.item.resolve({ status: 'duplicate', seq: d.seq })
          for (const r of b.rejected) r.item.reject(r.err)
          for (const a of b.accepted) a.item.reject(failure as Error)
          for (const r of b.repeats) r.item.reject(failure as Error)
          return
        }
      }
    }
    for (const d of b.duplicates) d.item.resolve({ status: 'duplicate', seq: d.seq })
    for (const r of b.rejected) r.item.reject(r.err)
    if (b.records.length > 0) {
      this.h.state.nextSenderSeq = b.nextSeq
      this.h.write(
        b.accepted.length === 1 ? b.accepted[0].frame : Buffer.concat(b.accepted.map(a => a.frame)),
        b.records.map(r => r.raw)
      )
      // Journaled: from here the message is the session's to deliver (resend covers a lost write).
      for (const a of b.accepted) a.item.resolve({ status: 'sent', seq: a.seq })
      this.h.emitState()
    }
    for (const r of b.repeats) r.item.resolve({ status: 'duplicate', seq: b.inBatch.get(r.key)! })
  }

  /** Which of the batch's origins are journaled already; undefined (every item rejected) if the lookup fails. */
  private async lookUp (items: OutboxItem[]): Promise<Map<string, number> | undefined> {
    const origins = items.map(i => i.req.origin).filter((o): o is StreamOrigin => o !== undefined)
    try {
      return await this.h.store.findSentMany(origins)
    } catch (err) {
      for (const i of items) i.reject(err as Error)
      return undefined
    }
  }

  /**
   * Frames a batch from the next sender seq on: repeats of `known` origins and of origins earlier
   * in the batch are set aside, bad messages rejected. Nothing is resolved here: that waits for
   * the journal's commit.
   */
  private frameBatch (items: OutboxItem[], known: Map<string, number>, up: boolean): FramedBatch {
    const b: FramedBatch = {
      records: [],
      accepted: [],
      repeats: [],
      duplicates: [],
      rejected: [],
      inBatch: new Map(),
      nextSeq: this.h.state.nextSenderSeq
    }
    const sentAt = this.h.now()
    for (const item of items) {
      const req = item.req
      const key = req.origin !== undefined ? originKey(req.origin) : undefined
      if (key !== undefined && known.has(key)) {
        b.duplicates.push({ item, seq: known.get(key)! })
        continue
      }
      if (key !== undefined && b.inBatch.has(key)) {
        b.repeats.push({ item, key })
        continue
      }
      if (!up) {
        b.rejected.push({ item, err: new NotLoggedOnError(this.h.state.phase) })
        continue
      }
      try {
        const { text, fields } = this.h.encoder.applicationBody(req)
        const seq = b.nextSeq
        // header() makes a new object per call: set on it, not copied (an object spread took about
        // 2 µs per message on Node.js 20, docs/performance.md, 4 December 2026, session 16).
        const header = this.h.encoder.header(seq, sentAt)
        if (req.possResend === true) header.PossResend = true
        const frame = this.h.encoder.frame(req.msgType, header, text)
        b.records.push({
          seq,
          msgType: req.msgType,
          clOrdID: firstOf(fields, Tag.ClOrdID),
          sentAt,
          body: text,
          raw: frame.toString('latin1'),
          origin: req.origin
        })
        b.accepted.push({ item, frame, seq })
        if (key !== undefined) b.inBatch.set(key, seq)
        b.nextSeq++
      } catch (err) {
        b.rejected.push({ item, err: err as Error })
      }
    }
    return b
  }
}
