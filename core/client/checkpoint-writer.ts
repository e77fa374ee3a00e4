import { Position, StartAt } from '../stream/types'
import { CheckpointStore } from './checkpoint-store'

/**
 * The flush window: the confirmed checkpoint is written once this many rows have been confirmed
 * since the last write, or this long after the first unwritten advance, whichever comes first
 * (and on close). After a crash a client repeats only rows that were in flight or confirmed
 * within this window.
 */
export const FLUSH_WINDOW = { rows: 500, ms: 200 } as const

/** Longest wait between tries of a failing checkpoint write. */
const RETRY_MAX_MS = 10000

export interface CheckpointWriterOptions {
  /** Write once this many rows have moved into the confirmed prefix since the last write ... */
  every: number
  /** ... or this long after the first unwritten advance, whichever comes first. */
  intervalMs: number
  onError: (err: unknown) => void
  onWritten?: (position: Position) => void
}

/**
 * Batches checkpoint writes: the position given to `advanced` is always a confirmed one, and
 * only the newest is written, so a batch never claims more than was confirmed. Writes run one at
 * a time, in order; a rewind's write is queued behind a running one and cancels pending ones.
 */
export class CheckpointWriter {
  private pending: { stream: string, position: Position } | undefined
  private count = 0
  private timer: NodeJS.Timeout | undefined
  private chain: Promise<void> = Promise.resolve()
  private closed = false
  private writes = 0
  private queued: Promise<void> | undefined
  /** Failed writes in a row: the next try waits longer (backoff), so a down database is not hammered. */
  private failures = 0

  constructor (
    private readonly store: CheckpointStore,
    private readonly client: string,
    private readonly opts: CheckpointWriterOptions
  ) {}

  /** Number of statements written so far (for tests and metrics). */
  get written (): number {
    return this.writes
  }

  /** The checkpoint moved to `position` (confirmed), over `rows` rows. */
  advanced (stream: string, position: Position, rows = 1): void {
    if (this.closed) return
    this.pending = { stream, position }
    this.count += rows
    if (this.count >= this.opts.every) {
      this.flush().catch(() => { /* reported through onError */ })
    } else {
      this.schedule()
    }
  }

  /** Writes the newest confirmed position, if any is unwritten. */
  async flush (): Promise<void> {
    this.stopTimer()
    this.count = 0
    // One queued write is enough: it takes the newest position when it runs.
    if (this.queued !== undefined) return await this.queued
    const run = this.chain.then(async () => {
      this.queued = undefined
      const p = this.pending
      if (p === undefined) return
      this.pending = undefined
      try {
        await this.store.savePosition(this.client, p.stream, p.position)
        this.failures = 0
        this.writes++
        this.opts.onWritten?.(p.position)
      } catch (err) {
        // Keep it for the next try unless something newer came meanwhile.
        if (this.pending === undefined) this.pending = p
        this.failures++
        this.schedule() // retry later, with backoff: the database may be back by then
        this.opts.onError(err)
        throw err
      }
    })
    this.queued = run
    this.chain = run.catch(() => {})
    await run
  }

  /** Durably records a new start (rewind, reset, first start), dropping unwritten positions. */
  async writeStart (stream: string, start: StartAt): Promise<void> {
    this.stopTimer()
    this.count = 0
    this.pending = undefined
    const run = this.chain.then(async () => {
      this.pending = undefined
      await this.store.saveStart(this.client, stream, start)
      this.writes++
    })
    this.chain = run.catch(() => {})
    await run
  }

  /** Flushes and stops; later advances are ignored. */
  async close (): Promise<void> {
    try {
      await this.flush()
    } finally {
      this.closed = true
      this.stopTimer()
    }
  }

  private schedule (): void {
    if (this.timer !== undefined || this.closed) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.flush().catch(() => { /* reported through onError */ })
    }, this.failures === 0 ? this.opts.intervalMs : Math.min(RETRY_MAX_MS, this.opts.intervalMs * 2 ** this.failures))
    this.timer.unref?.()
  }

  private stopTimer (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }
}
