import { describeDbError } from '../db/errors'
import { retryTransient } from '../db/retry'
import type { Position, StartAt, StreamRow, StreamSource, Subscription, SubscriptionState } from '../stream/types'
import { CheckpointWriter, FLUSH_WINDOW } from './checkpoint-writer'
import { ConfirmTracker } from './confirm-tracker'
import { assessHealth, DEFAULT_RANGE } from './health'
import { estimateLag, RateMeter } from './metrics'
import { describeStart, positionKey } from './position'
import {
  ClientError, ClientPhase, ClientState, ClientStats, Disposition, FailOutcome, LAG_COUNT_LIMIT, StreamerClientOptions
} from './types'

/**
 * A streamer client without Node-RED: subscribes to a StreamSource from its checkpoint, hands
 * each row to the adapter's `prepare`, holds at most `inFlightLimit` unconfirmed rows out, and
 * moves its checkpoint only over the contiguous confirmed prefix. At-least-once: after a crash it
 * resumes after the last written checkpoint, so only rows that were in flight or confirmed within
 * the last flush window (FLUSH_WINDOW: 200 ms / 500 rows) come again.
 */
export class StreamerClient {
  readonly limit: number
  private readonly tracker = new ConfirmTracker()
  private readonly writer: CheckpointWriter | undefined
  private readonly meter = new RateMeter()
  private source: StreamSource | undefined
  private subscription: Subscription | undefined
  private generation = 0
  private waiters: Array<() => void> = []
  private ops: Promise<unknown> = Promise.resolve()
  private streamName: string | undefined
  /** Where the next subscription starts; undefined until read from the checkpoint. */
  private resumeFrom: StartAt | undefined
  private lastPosition: Position | undefined
  private checkpointPosition: Position | undefined
  private lastSendAt: number | undefined
  private lastConfirmAt: number | undefined
  private sentCount = 0
  private confirmedCount = 0
  private state: ClientState = { phase: 'detached' }
  private closed = false
  /** Aborted by close(): an attach waiting for the database gives up rather than hold close() back. */
  private readonly closing = new AbortController()
  private passedAtLastMove = 0
  private readonly maxAttempts: number
  /** Failures per row (position key) until the row is confirmed. */
  private readonly attempts = new Map<string, number>()
  private failedCount = 0
  private redeliverTimer: NodeJS.Timeout | undefined
  private lastFailure: { position: Position, error: string } | undefined

  constructor (private readonly opts: StreamerClientOptions) {
    this.limit = Math.max(1, Math.floor(opts.inFlightLimit ?? 50))
    this.maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? 5))
    if (opts.replayable) {
      if (opts.store === undefined) throw new ClientError('a replayable client needs a checkpoint store')
      this.writer = new CheckpointWriter(opts.store, opts.name, {
        every: Math.max(1, opts.checkpointEvery ?? FLUSH_WINDOW.rows),
        intervalMs: Math.max(1, opts.checkpointIntervalMs ?? FLUSH_WINDOW.ms),
        onError: err => opts.onProblem?.(err)
      })
    }
  }

  get name (): string {
    return this.opts.name
  }

  get attachedTo (): StreamSource | undefined {
    return this.source
  }

  get phase (): ClientPhase {
    return this.state.phase
  }

  /** Checkpoint statements written (batched). */
  get checkpointWrites (): number {
    return this.writer?.written ?? 0
  }

  /** Subscribes to `source` from the checkpoint (or keeps going where it left off). */
  async attach (source: StreamSource): Promise<void> {
    await this.serial(async () => {
      if (this.closed || (this.source === source && this.subscription !== undefined)) return
      await this.dropSubscription()
      this.source = source
      // Stopped on an error (terminate on error): stays stopped until a rewind or reset.
      if (this.state.phase === 'stopped') return
      try {
        const start = await this.startWhenReachable(source)
        if (this.source !== source || this.closed) return
        this.subscribe(source, start)
      } catch (err) {
        if (this.closing.signal.aborted) return
        this.setState({ phase: 'failed', error: (err as Error).message ?? String(err) })
        throw err
      }
    })
  }

  /**
   * startFor, tried again with backoff while the database is away (restarting, unreachable): a
   * transient error while the checkpoint is read is no reason to fail the client. The phase is
   * 'retrying' with the reason, said once per outage; close() ends the wait.
   */
  private async startWhenReachable (source: StreamSource): Promise<StartAt> {
    let waiting = false
    return await retryTransient(async () => await this.startFor(source), {
      signal: this.closing.signal,
      initialMs: 250,
      maxMs: 10000,
      onWaiting: err => {
        if (waiting) return
        waiting = true
        this.setState({ phase: 'retrying', error: describeDbError(err) })
      }
    })
  }

  /** Leaves the current streamer; rows in flight stay tracked, so re-attaching loses nothing. */
  async detach (): Promise<void> {
    await this.serial(async () => {
      await this.dropSubscription()
      this.source = undefined
      if (!this.closed && this.state.phase !== 'stopped') this.setState({ phase: 'detached' })
    })
  }

  /** The target finished the row at `position`. Returns false for a position not in flight. */
  confirm (position: readonly unknown[]): boolean {
    const r = this.tracker.confirm(position)
    if (!r.known) return false
    if (this.attempts.size > 0) this.attempts.delete(positionKey(position))
    this.lastConfirmAt = Date.now()
    this.confirmedCount++
    if (r.checkpoint !== undefined) this.moved(r.checkpoint)
    this.wake()
    return true
  }

  /**
   * The target failed the row at `position` (e.g. a Catch node wired back). The row and every
   * unconfirmed row after it are sent again, in order, from the checkpoint, after a backoff,
   * without a restart: the redelivered messages carry msg.stream.replay. After maxAttempts
   * failures of one row the client gives up on it: with skipAfterFailures it counts as failed and
   * the checkpoint moves past it; otherwise the client stops before it (checkpoint held) until a
   * rewind or reset. 'unknown': the row is not in flight (already confirmed, or from before a rewind).
   */
  fail (position: readonly unknown[], error: string): FailOutcome {
    if (this.closed || !this.tracker.isOpen(position)) return 'unknown'
    const key = positionKey(position)
    const n = (this.attempts.get(key) ?? 0) + 1
    const pos = position.map(String)
    if (n >= this.maxAttempts) {
      this.attempts.delete(key)
      this.failedCount++
      if (this.opts.skipAfterFailures === true) {
        this.confirm(position)
        return 'skipped'
      }
      this.stop(
        new ClientError(`row [${pos.join(', ')}] failed ${n} times, stopped before it: ${error}`),
        this.generation
      )
      return 'stopped'
    }
    this.attempts.set(key, n)
    this.lastFailure = { position: pos, error }
    // One redelivery for a burst of failures; the delay grows with the row's failures.
    if (this.redeliverTimer === undefined) this.scheduleRedelivery(Math.min(10000, 500 * 2 ** (n - 1)))
    return 'redeliver'
  }

  private scheduleRedelivery (delayMs: number): void {
    this.redeliverTimer = setTimeout(() => {
      const failed = this.lastFailure
      this.redeliver().then(from => {
        this.redeliverTimer = undefined
        if (from !== undefined && failed !== undefined) this.opts.onRedeliver?.(from, failed.position, failed.error)
      }, err => {
        // The rewind's checkpoint write failed (the database is away): try again later.
        this.opts.onProblem?.(err)
        if (!this.closed) this.scheduleRedelivery(Math.min(10000, delayMs * 2))
      })
    }, delayMs)
    this.redeliverTimer.unref?.()
  }

  /**
   * Starts again from `target` (a position, a timestamp, the beginning, or live = after the head
   * now). Rows in flight are forgotten: their confirmations no longer count. The new start is
   * committed before any row flows.
   */
  async rewind (target: StartAt): Promise<StartAt> {
    return await this.serial(async () => {
      const source = this.source
      if (source === undefined || this.closed) throw new ClientError('the client is not attached to a streamer')
      await this.dropSubscription()
      this.tracker.clear()
      this.wake()
      const start = await this.resolve(target, source)
      if (this.writer !== undefined) await this.writer.writeStart(source.name, start)
      this.resumeFrom = start
      this.checkpointPosition = start.kind === 'after' ? start.position : undefined
      this.lastPosition = undefined
      if (this.source === source && !this.closed) this.subscribe(source, start)
      return start
    })
  }

  /**
   * Sends every unconfirmed row again, from just after the confirmed prefix: for a target that
   * refused rows it could not take yet (a FIX gateway that was not logged on). A row already
   * done comes again only if it was in flight, which targets recognise by msg.stream.
   */
  async redeliver (): Promise<StartAt | undefined> {
    if (this.source === undefined || this.closed || this.tracker.size === 0) return undefined
    const from: StartAt | undefined = this.checkpointPosition !== undefined
      ? { kind: 'after', position: this.checkpointPosition }
      : this.resumeFrom
    if (from === undefined) return undefined
    return await this.rewind(from)
  }

  /** Back to where a client without a checkpoint starts (the streamer's setting, else live). */
  async reset (): Promise<StartAt> {
    const source = this.source
    if (source === undefined) throw new ClientError('the client is not attached to a streamer')
    return await this.rewind(source.initialStart ?? { kind: 'live' })
  }

  /** Writes the confirmed checkpoint now (normally batched). */
  async flush (): Promise<void> {
    await this.writer?.flush()
  }

  /** Stops: no more rows; the confirmed checkpoint is written. */
  async close (): Promise<void> {
    this.closing.abort()
    await this.serial(async () => {
      if (this.closed) return
      this.closed = true
      if (this.redeliverTimer !== undefined) clearTimeout(this.redeliverTimer)
      await this.dropSubscription()
      this.source = undefined
      await this.writer?.close()
    })
  }

  stats (now = Date.now()): ClientStats {
    return {
      phase: this.state.phase,
      stream: this.streamName,
      inFlight: this.tracker.unconfirmed,
      limit: this.limit,
      sent: this.sentCount,
      confirmed: this.confirmedCount,
      failed: this.failedCount,
      position: this.lastPosition,
      checkpoint: this.checkpointPosition,
      rate: this.meter.rate(now),
      health: assessHealth({
        now,
        inFlight: this.tracker.unconfirmed,
        limit: this.limit,
        lastSendAt: this.lastSendAt,
        lastConfirmAt: this.lastConfirmAt,
        oldestUnconfirmedAt: this.tracker.oldestUnconfirmedAt
      }, this.opts.sendRange ?? DEFAULT_RANGE, this.opts.confirmRange ?? DEFAULT_RANGE)
    }
  }

  /**
   * Rows between the last row handed on and the head of the stream: exact (counted by the
   * streamer, through its filter and horizon) up to `limit`, which bounds the cost of asking
   * every second; a result equal to `limit` means "at least". Estimated from positions when the
   * source cannot count. Undefined while the client does not know where it stands yet.
   */
  async lag (limit = LAG_COUNT_LIMIT): Promise<number | undefined> {
    const source = this.source
    if (source === undefined) return undefined
    const at = this.standing()
    if (at === 'unknown') return undefined
    if (source.rowsAfter !== undefined) return await source.rowsAfter(at, limit)
    return estimateLag(await source.head(), at)
  }

  /** The position after which the next row comes (undefined: before every row). */
  private standing (): Position | undefined | 'unknown' {
    if (this.lastPosition !== undefined) return this.lastPosition
    const from = this.resumeFrom
    if (from?.kind === 'after') return from.position
    if (from?.kind === 'beginning') return undefined
    // live or a timestamp: where the streamer placed the subscription, once it has.
    const p = this.subscription?.position
    return p === undefined || this.state.phase === 'starting' ? 'unknown' : p
  }

  private async startFor (source: StreamSource): Promise<StartAt> {
    if (this.resumeFrom !== undefined && this.streamName === source.name) return this.resumeFrom
    this.streamName = source.name
    this.tracker.clear() // another stream: positions of the old one mean nothing here
    if (this.writer === undefined) {
      this.resumeFrom = { kind: 'live' }
      return this.resumeFrom
    }
    const stored = await this.opts.store!.load(this.opts.name)
    if (stored !== undefined) {
      if (stored.stream !== source.name) {
        throw new ClientError(`client name "${this.opts.name}" holds a checkpoint of stream "${stored.stream}", not ` +
          `"${source.name}": pick another client name, or reset the client`)
      }
      this.resumeFrom = stored.start
      if (stored.start.kind === 'after') this.checkpointPosition = stored.start.position
      return stored.start
    }
    // First start: commit where it starts, so a crash before the first confirmation cannot
    // turn "live at first deploy" into "live at restart" and skip the rows in between.
    const start = await this.resolve(source.initialStart ?? { kind: 'live' }, source)
    await this.writer.writeStart(source.name, start)
    this.resumeFrom = start
    return start
  }

  /** 'live' becomes "after the head now" so it can be stored and replayed exactly. */
  private async resolve (target: StartAt, source: StreamSource): Promise<StartAt> {
    if (target.kind !== 'live' || this.writer === undefined) return target
    const head = await source.head()
    return head === undefined ? { kind: 'beginning' } : { kind: 'after', position: head }
  }

  private subscribe (source: StreamSource, start: StartAt): void {
    const generation = ++this.generation
    this.setState({ phase: 'starting' })
    this.subscription = source.subscribe(start, {
      deliver: async rows => await this.deliver(rows, generation),
      onState: s => this.onSubscriptionState(s, generation)
    })
  }

  private onSubscriptionState (s: SubscriptionState, generation: number): void {
    if (generation !== this.generation || this.state.phase === 'stopped') return
    if (s.phase === 'closed') {
      // The streamer went away (redeploy): wait for the next one; in-flight rows stay tracked.
      this.generation++
      this.subscription = undefined
      this.source = undefined
      this.wake()
      if (!this.closed) this.setState({ phase: 'detached' })
      return
    }
    if (s.phase === 'retrying') {
      this.setState({
        phase: s.phase,
        error: s.error,
        ...(s.needsAction === true ? { needsAction: true } : {}),
        ...(s.needsOperator === true ? { needsOperator: true } : {})
      })
    } else this.setState('error' in s ? { phase: s.phase, error: s.error } : { phase: s.phase })
  }

  private async deliver (rows: StreamRow[], generation: number): Promise<void> {
    for (const row of rows) {
      if (generation !== this.generation || this.closed) return
      let d: Disposition
      try {
        // Awaited only when it is a promise: most adapters answer at once, and an await per row costs one.
        const prepared = this.opts.prepare(row)
        d = prepared instanceof Promise ? await prepared : prepared
      } catch (err) {
        d = { action: 'stop', error: err as Error, report: () => {} }
      }
      if (generation !== this.generation || this.closed) return
      let checkpoint: Position | undefined
      switch (d.action) {
        case 'stop':
          d.report()
          this.stop(d.error, generation)
          return
        case 'skip':
          checkpoint = this.tracker.add(row.position, true)
          break
        case 'reject':
          d.report()
          checkpoint = this.tracker.add(row.position, true)
          break
        case 'send':
          // The window is checked here first: most rows find room, and an await per row would
          // allocate a promise for each of them.
          if (d.confirmed !== true && this.tracker.unconfirmed >= this.limit) {
            await this.room(generation)
            if (generation !== this.generation || this.closed) return
          }
          // Tracked before it is sent: a target that confirms synchronously finds it.
          checkpoint = this.tracker.add(row.position, d.confirmed === true)
          d.send()
          this.lastSendAt = Date.now()
          this.sentCount++
          this.meter.add(1, this.lastSendAt)
          if (d.confirmed === true) this.confirmedCount++
          break
      }
      this.lastPosition = row.position
      this.resumeFrom = { kind: 'after', position: row.position }
      if (checkpoint !== undefined) this.moved(checkpoint)
    }
  }

  private stop (error: Error, generation: number): void {
    if (generation !== this.generation) return
    this.generation++
    this.wake()
    this.setState({ phase: 'stopped', error: error.message })
    const sub = this.subscription
    this.subscription = undefined
    sub?.close().catch(err => this.opts.onProblem?.(err))
  }

  private moved (position: Position): void {
    this.checkpointPosition = position
    const rows = this.tracker.passed - this.passedAtLastMove
    this.passedAtLastMove = this.tracker.passed
    if (this.writer !== undefined && this.streamName !== undefined) {
      this.writer.advanced(this.streamName, position, Math.max(1, rows))
    }
    this.opts.onCheckpoint?.(position)
  }

  private async room (generation: number): Promise<void> {
    while (this.tracker.unconfirmed >= this.limit && generation === this.generation && !this.closed) {
      await new Promise<void>(resolve => this.waiters.push(resolve))
    }
  }

  private wake (): void {
    const w = this.waiters
    this.waiters = []
    for (const resolve of w) resolve()
  }

  private async dropSubscription (): Promise<void> {
    this.generation++
    this.wake()
    const sub = this.subscription
    this.subscription = undefined
    if (sub !== undefined) await sub.close()
  }

  private setState (s: ClientState): void {
    this.state = s
    this.opts.onState?.(s)
  }

  private async serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.ops.then(fn)
    this.ops = run.catch(() => {})
    return await run
  }
}

export { describeStart }
