import type { Position, StreamRow, Subscriber, Subscription, SubscriptionState } from './types'
import { Backoff, sleep } from '../util/backoff'
import { describeStreamError } from './errors'
import { comparePositions } from './position'

export type SubscriberMode = 'starting' | 'replay' | 'live' | 'ended'

/**
 * One subscriber's place in the stream and its delivery queue. Rows are handed over one batch
 * at a time; the next batch waits until `deliver` resolves. `queued` is the position of the
 * last row taken for it, `position` that of the last row it has accepted.
 */
export class StreamSubscription implements Subscription {
  mode: SubscriberMode = 'starting'
  queued: Position | undefined
  private accepted: Position | undefined
  private readonly queue: StreamRow[][] = []
  queuedRows = 0
  private pumping: Promise<void> | undefined
  /** Replay progress: rows delivered since the replay began, and rows it expects in all. */
  replayed = 0
  replayTotal: number | undefined
  current: SubscriptionState = { phase: 'starting' }
  readonly stop = new AbortController()

  constructor (
    readonly id: number,
    private readonly subscriber: Subscriber,
    private readonly onState: (sub: StreamSubscription, state: SubscriptionState) => void,
    private readonly retry: { initialMs: number, maxMs: number },
    private readonly onClose: (sub: StreamSubscription) => void
  ) {}

  get position (): Position | undefined {
    return this.accepted
  }

  get ended (): boolean {
    return this.mode === 'ended'
  }

  /** Sets where the subscriber stands before anything is delivered (a checkpoint or the head). */
  startAt (p: Position | undefined): void {
    this.queued = p
    this.accepted = p
  }

  setState (state: SubscriptionState): void {
    if (this.mode === 'ended' && state.phase !== 'closed' && state.phase !== 'failed') return
    this.current = state
    try {
      this.subscriber.onState?.(state)
    } catch { /* a subscriber's own bug must not stop the stream */ }
    this.onState(this, state)
  }

  /** Queues rows (already in stream order, all after `queued`) and starts delivering them. */
  enqueue (rows: StreamRow[]): void {
    if (rows.length === 0 || this.ended) return
    this.queue.push(rows)
    this.queuedRows += rows.length
    this.queued = rows[rows.length - 1].position
    if (this.pumping === undefined) this.pumping = this.pump().finally(() => { this.pumping = undefined })
  }

  /**
   * Moves `queued` forward to `p` without rows: every row up to `p` has been read for this
   * subscriber and none passed the filter. Never moves it back. What the subscriber has accepted
   * (its checkpoint) stays at its last row.
   */
  passTo (p: Position): void {
    if (this.queued === undefined || comparePositions(p, this.queued) > 0) this.queued = p
  }

  /** Resolves once every queued row has been accepted (or the subscription ended). */
  async drained (): Promise<void> {
    while (this.pumping !== undefined) await this.pumping
  }

  fail (error: string): void {
    if (this.ended) return
    this.mode = 'ended'
    this.stop.abort()
    this.setState({ phase: 'failed', error })
    this.onClose(this)
  }

  async close (): Promise<void> {
    if (this.mode === 'ended' && this.current.phase === 'closed') return
    this.mode = 'ended'
    this.stop.abort()
    this.queue.length = 0
    this.queuedRows = 0
    this.current = { phase: 'closed' }
    try {
      this.subscriber.onState?.(this.current)
    } catch { /* ignore */ }
    this.onState(this, this.current)
    this.onClose(this)
  }

  private async pump (): Promise<void> {
    const backoff = new Backoff(this.retry.initialMs, this.retry.maxMs)
    while (this.queue.length > 0 && !this.ended) {
      const batch = this.queue[0]
      try {
        await this.subscriber.deliver(batch)
      } catch (err) {
        // The subscriber refused the batch: offer the same rows again later, never skip them.
        if (this.ended) return
        const retryInMs = backoff.next()
        const resume = this.current
        this.setState({ phase: 'retrying', error: `delivery failed: ${describeStreamError(err)}`, retryInMs })
        await sleep(retryInMs, this.stop.signal)
        if (!this.ended && this.current.phase === 'retrying') this.setState(resume)
        continue
      }
      backoff.reset()
      if (this.ended) return
      this.queue.shift()
      this.queuedRows -= batch.length
      this.accepted = batch[batch.length - 1].position
      if (batch[0].replay && this.mode === 'replay') {
        this.replayed += batch.length
        const remaining = this.replayTotal === undefined ? undefined : Math.max(0, this.replayTotal - this.replayed)
        this.setState({ phase: 'replaying', delivered: this.replayed, remaining })
      }
    }
  }
}
