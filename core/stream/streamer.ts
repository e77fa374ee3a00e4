import { EventEmitter } from 'events'
import type { Database, Queryable } from '../db/database'
import type { SleepCheck } from '../db/sleep-marker'
import { validateChannel } from '../db/channel'
import { Backoff, sleep } from '../util/backoff'
import { describeStreamError, isRetryable, isSourceMissing, retryingState, StreamConfigError } from './errors'
import { comparePositions, validatePosition } from './position'
import type { Horizon } from './horizon'
import { SettledHorizon } from './horizon-settled'
import { Xid8Horizon } from './horizon-xid8'
import { resolveSource, SourcePlan, takePosition } from './source'
import { positiveInt, StreamerOptions } from './streamer-options'
import { retryForSubscriber } from './subscriber-retry'
import { StreamSubscription } from './subscription'
import { TailWaker } from './tail-waker'
import { TailWakes } from './tail-wakes'
import type { Position, StartAt, StreamRow, StreamSource, Subscriber, Subscription, SubscriptionState } from './types'

export type { StreamerOptions }

interface Ready { db: Database, plan: SourcePlan, horizon: Horizon }

const BEFORE_ALL = undefined
/** First poll after a notified read found its row held back (ms); it doubles up to busyPollMs while held. */
const HELD_FIRST_MS = 2

/** Compares positions where undefined means "before every row". */
function cmp (a: Position | undefined, b: Position | undefined): number {
  if (a === undefined) return b === undefined ? 0 : -1
  if (b === undefined) return 1
  return comparePositions(a, b)
}

/**
 * Streams one insert-only table or view in the order of its position columns to many
 * subscribers, each from its own position. A subscriber behind the head reads its own batches
 * (replay); once it has caught up it joins the one shared live tail, which reads new rows once
 * for everybody. Rows are read only up to the horizon (xid8 snapshot xmin, or the settled
 * watermark), so a row that commits late is never skipped.
 *
 * Events: 'state' (subscription, SubscriptionState) and 'warning' (message).
 */
export class Streamer extends EventEmitter implements StreamSource {
  readonly name: string
  readonly initialStart: StartAt
  /** Rows read from the source since the streamer started (replays and the live tail), for the metrics. */
  rowsRead = 0
  private readonly batchSize: number
  private readonly pollMs: number
  private readonly busyPollMs: number
  private readonly retry: { initialMs: number, maxMs: number }
  private readonly liveQueueLimit: number
  private readonly subs = new Set<StreamSubscription>()
  private readonly live = new Set<StreamSubscription>()
  private readonly stopped = new AbortController()
  private ready: Promise<Ready> | undefined
  private readyValue: Ready | undefined
  private failure: string | undefined
  private nextId = 1
  // The shared live tail: the position it has read up to, and its last batch, which a
  // subscriber that has just caught up can take instead of reading again.
  private tail: {
    anchored: boolean, pos: Position | undefined, recent: StreamRow[], recentFrom: Position | undefined
  } = { anchored: false, pos: undefined, recent: [], recentFrom: undefined }

  private tailRunning: Promise<void> | undefined
  private tailActive = false
  private readonly waker = new TailWaker()
  private readonly wakes = new TailWakes(this.waker, () => {
    this.notified = true
    this.wake()
  }, () => this.wake())

  /**
   * A NOTIFY, or a commit announced in this process, came that no read has answered yet (taken at
   * the start of each read, kept while a row is held back): a row may have committed behind the horizon.
   */
  private notified = false

  constructor (private readonly options: StreamerOptions) {
    super()
    this.name = options.name
    this.initialStart = options.initialStart ?? { kind: 'live' }
    this.batchSize = positiveInt(options.batchSize, 500, 'batch size')
    this.pollMs = positiveInt(options.pollMs, 1000, 'poll interval')
    this.busyPollMs = positiveInt(options.busyPollMs, 20, 'busy poll interval')
    this.retry = { initialMs: options.retryInitialMs ?? 1000, maxMs: options.retryMaxMs ?? 30000 }
    this.liveQueueLimit = options.liveQueueLimit ?? this.batchSize * 4
    if (options.listenChannel !== undefined && options.listenChannel !== '') validateChannel(options.listenChannel)
    // 'error' events would throw when nobody listens; warnings are plain events.
    this.on('warning', () => {})
  }

  /** The checked source plan once the streamer has started (for tests and tools). */
  get plan (): SourcePlan | undefined {
    return this.readyValue?.plan
  }

  /** Why the streamer cannot run, or undefined. */
  get failed (): string | undefined {
    return this.failure
  }

  /** Subscriptions now open, with their state. */
  get subscriptions (): ReadonlyArray<{ id: number, state: SubscriptionState, position: Position | undefined }> {
    return [...this.subs].map(s => ({ id: s.id, state: s.current, position: s.position }))
  }

  /** Starts the streamer (check the source, LISTEN) without a subscriber; resolves when ready. */
  async start (): Promise<void> {
    await this.whenReady()
  }

  subscribe (start: StartAt, subscriber: Subscriber): Subscription {
    const sub = new StreamSubscription(this.nextId++, subscriber,
      (s, state) => this.emit('state', s, state), this.retry, s => this.forget(s))
    if (this.stopped.signal.aborted) {
      void sub.close()
      return sub
    }
    this.subs.add(sub)
    sub.setState({ phase: 'starting' })
    void this.begin(sub, start).catch(err => sub.fail(describeStreamError(err)))
    return sub
  }

  async head (): Promise<Position | undefined> {
    const { db, horizon } = await this.whenReady()
    return await horizon.head(db, this.stopped.signal)
  }

  /**
   * Rows readable after `position` (undefined = every row), up to the horizon and through the
   * filter: the exact lag of a subscriber standing there. With `limit` the count stops at it.
   */
  async rowsAfter (position: Position | undefined, limit?: number): Promise<number> {
    const { db, plan, horizon } = await this.whenReady()
    const after = position === undefined ? undefined : validatePosition(position, plan.width)
    return await horizon.count(db, after, limit === undefined ? undefined : Math.max(0, Math.floor(limit)))
  }

  /** Closes every subscription (each sees 'closed') and stops reading. */
  async close (): Promise<void> {
    if (this.stopped.signal.aborted) return
    this.stopped.abort()
    this.wakes.stopFollowing()
    this.wake()
    await Promise.all([...this.subs].map(async s => await s.close()))
    await this.tailRunning
    await this.wakes.close()
  }

  // ---------------------------------------------------------------- start-up

  private async whenReady (): Promise<Ready> {
    if (this.failure !== undefined) throw new StreamConfigError(this.failure)
    if (this.ready === undefined) this.ready = this.init()
    return await this.ready
  }

  private async init (): Promise<Ready> {
    const backoff = new Backoff(this.retry.initialMs, this.retry.maxMs)
    for (;;) {
      if (this.stopped.signal.aborted) throw new Error('the streamer was closed')
      try {
        const db = typeof this.options.database === 'function' ? await this.options.database() : this.options.database
        const plan = await resolveSource(db, this.options)
        // The one place the mode matters: each horizon owns its SQL behind the Horizon interface.
        const horizon = plan.mode === 'xid8' ? new Xid8Horizon(plan) : new SettledHorizon(plan, this.busyPollMs)
        await horizon.checkDatabase(db)
        this.readyValue = { db, plan, horizon }
        // Writers in this process announce their commits to the source table (tail-wakes.ts).
        this.wakes.follow(db, plan.relation)
        await this.startListening(db)
        for (const s of this.subs) if (s.current.phase === 'retrying') s.setState({ phase: 'starting' })
        return this.readyValue
      } catch (err) {
        if (!isRetryable(err) && !isSourceMissing(err)) {
          const error = describeStreamError(err)
          this.failure = error
          this.emit('warning', `stream "${this.name}" cannot start: ${error}`)
          for (const s of [...this.subs]) s.fail(error)
          throw new StreamConfigError(error)
        }
        const retrying = retryingState(err, backoff.next())
        for (const s of this.subs) s.setState({ ...retrying })
        await sleep(retrying.retryInMs, this.stopped.signal)
      }
    }
  }

  private async startListening (db: Database): Promise<void> {
    const channel = this.options.listenChannel
    if (channel === undefined || channel === '') return
    try {
      await this.wakes.listen(db, channel)
    } catch (err) {
      this.emit('warning', `stream "${this.name}": LISTEN ${channel} failed, polling only: ${describeStreamError(err)}`)
    }
  }

  private async begin (sub: StreamSubscription, start: StartAt): Promise<void> {
    const ready = await this.retrying(sub, async () => await this.whenReady())
    if (ready === undefined) return
    const { db, plan, horizon } = ready
    switch (start?.kind) {
      case 'live': {
        if (this.tail.anchored) {
          sub.startAt(this.tail.pos)
        } else {
          const head = await this.retrying(sub, async () => ({ head: await horizon.head(db, this.stopped.signal) }))
          if (head === undefined) return
          sub.startAt(head.head)
        }
        if (this.join(sub)) return
        break
      }
      case 'beginning':
        sub.startAt(BEFORE_ALL)
        break
      case 'after': {
        const p = validatePosition(start.position, plan.width)
        const checked = await this.retrying(sub, async () => { await horizon.checkCheckpoint(db, p); return true })
        if (checked === undefined) return
        sub.startAt(p)
        break
      }
      case 'timestamp': {
        if (plan.firstAtTime === undefined) throw new StreamConfigError('starting from a time needs a time column')
        if (typeof start.at !== 'string' || Number.isNaN(Date.parse(start.at))) {
          throw new StreamConfigError(`"${String(start.at).slice(0, 40)}" is not a timestamp`)
        }
        const p = await this.retrying(sub, async () => ({ p: await this.positionAtTime(db, plan, start.at) }))
        if (p === undefined) return
        if (p.p === 'head') {
          sub.startAt(await horizon.head(db, this.stopped.signal))
          if (this.join(sub)) return
        } else {
          sub.startAt(p.p)
        }
        break
      }
      default:
        throw new StreamConfigError(`unknown start ${JSON.stringify(start)?.slice(0, 60)}`)
    }
    await this.replay(sub)
  }

  // ---------------------------------------------------------------- replay

  /** Reads batches for one subscriber until it has caught up, then hands it to the live tail. */
  private async replay (sub: StreamSubscription): Promise<void> {
    const ready = this.readyValue
    if (ready === undefined || sub.ended) return
    const { db, horizon } = ready
    sub.mode = 'replay'
    sub.replayed = 0
    sub.replayTotal = undefined
    sub.setState({ phase: 'replaying', delivered: 0, remaining: undefined })
    if (this.options.countReplay !== false) {
      const n = await this.retrying(sub, async () =>
        ({ n: await horizon.countForReplay(db, sub.queued, this.stopped.signal) }))
      if (n === undefined) return
      sub.replayTotal = n.n
      sub.setState({ phase: 'replaying', delivered: 0, remaining: n.n })
    }
    for (;;) {
      if (sub.ended || this.stopped.signal.aborted) return
      const read = await this.retrying(sub, async () => await this.read(ready, sub.queued, true))
      if (read === undefined) return
      const got = read.rows
      sub.enqueue(got)
      // Rows the filter left out up to here are behind it: the next read starts after them.
      if (read.through !== undefined) sub.passTo(read.through)
      await sub.drained()
      if (sub.ended) return
      if (got.length < this.batchSize && this.join(sub)) return
    }
  }

  /**
   * Moves a caught-up subscriber into the live tail, if the tail's position is not past it by
   * more than the tail's last batch (which the subscriber then gets from memory).
   */
  private join (sub: StreamSubscription): boolean {
    if (sub.ended) return false
    const t = this.tail
    if (!t.anchored) {
      this.tail = { anchored: true, pos: sub.queued, recent: [], recentFrom: sub.queued }
    } else if (cmp(sub.queued, t.pos) < 0) {
      if (t.recent.length === 0 || cmp(sub.queued, t.recentFrom) < 0) return false
      sub.enqueue(t.recent.filter(r => cmp(r.position, sub.queued) > 0))
    }
    sub.mode = 'live'
    this.live.add(sub)
    sub.setState({ phase: 'live' })
    this.ensureTail()
    this.wake()
    return true
  }

  // ---------------------------------------------------------------- live tail

  private ensureTail (): void {
    if (this.tailActive) return
    this.tailActive = true
    this.tailRunning = this.runTail()
  }

  private async runTail (): Promise<void> {
    try {
      await this.tailLoop()
    } finally {
      // Synchronous with the loop's last check, so a subscriber joining now starts a new tail.
      this.tailActive = false
      if (this.live.size === 0) this.tail = { anchored: false, pos: undefined, recent: [], recentFrom: undefined }
    }
  }

  private async tailLoop (): Promise<void> {
    const backoff = new Backoff(this.retry.initialMs, this.retry.maxMs)
    let idle = this.busyPollMs
    let heldMs = 0
    let retrying = false
    // A notice answered only by reads that found rows: the row it announced may be one they could
    // not see, held back by an older transaction. The next read that finds nothing checks for it.
    let unanswered = false
    while (!this.stopped.signal.aborted && this.live.size > 0) {
      const ready = this.readyValue
      if (ready === undefined) return
      let rows: StreamRow[]
      let through: Position | undefined
      const endsBefore = this.waker.endsSoFar
      // The notices so far are this read's to answer; one that comes during the read (a row that
      // committed after its snapshot, perhaps behind an older transaction) stays for the next.
      const noticed = this.notified
      this.notified = false
      try {
        await ready.horizon.advance(ready.db)
        const read = await this.read(ready, this.tail.pos, false)
        rows = read.rows
        through = read.through
      } catch (err) {
        if (noticed) this.notified = true
        if (this.stopped.signal.aborted) break
        if (!isRetryable(err) && !isSourceMissing(err)) {
          const error = describeStreamError(err)
          for (const s of [...this.live]) s.fail(error)
          this.live.clear()
          break
        }
        const state = retryingState(err, backoff.next())
        retrying = true
        for (const s of this.live) s.setState({ ...state })
        await sleep(state.retryInMs, this.stopped.signal)
        continue
      }
      backoff.reset()
      if (retrying) {
        retrying = false
        for (const s of this.live) s.setState({ phase: 'live' })
      }
      const to = rows.length > 0 ? rows[rows.length - 1].position : this.tail.pos
      // The tail moves past rows the filter left out too: `recent` still holds every row that
      // passed between recentFrom and pos, so a subscriber joining from there misses none.
      const pos = through !== undefined && cmp(through, to) > 0 ? through : to
      if (cmp(pos, this.tail.pos) > 0) {
        this.tail = { anchored: true, pos, recent: rows, recentFrom: this.tail.pos }
        if (rows.length > 0) for (const s of [...this.live]) this.hand(s, rows)
      }
      if (rows.length > 0) unanswered ||= noticed
      if (rows.length >= this.batchSize) {
        this.wakes.marker?.wake()
        continue
      }
      // Notified but nothing readable: the new row may be held back by an older transaction,
      // which ends without a NOTIFY. Such a hold is mostly another writer's commit, a few ms: poll
      // from HELD_FIRST_MS, doubling up to the busy rate, so a short hold delays the row by about
      // its own length, and a long one costs no more reads than the busy rate, rather than backing off.
      // A notice that came during the read counts too: its row may be the one held, and so does one
      // an earlier read answered with other rows. One that comes during the held-back check stays
      // for the next round.
      let held = false
      if (rows.length === 0 && (noticed || unanswered || this.takeNotice())) held = await this.heldBack(ready)
      if (rows.length === 0) unanswered = false
      if (held) this.notified = true
      // While held, this process's transaction ends wake the nap (tail-waker.ts).
      this.waker.held(held, endsBefore)
      const next = held ? undefined : await this.sleepCheck(ready, rows.length)
      if (next === 'reread') {
        // Rows of writers that sent no NOTIFY may have committed behind an older transaction: the
        // next read, if empty, checks for a held row as after a NOTIFY.
        this.notified = true
        continue
      }
      // Writers that sent no NOTIFY still running ('poll') mostly end within a few ms, as a hold does.
      const short = held || next === 'poll'
      idle = rows.length > 0 || short || ready.horizon.moving ? this.busyPollMs : Math.min(this.pollMs, idle * 2)
      heldMs = short ? Math.min(this.busyPollMs, heldMs === 0 ? HELD_FIRST_MS : heldMs * 2) : 0
      await this.waker.nap(short ? heldMs : idle)
    }
  }

  /**
   * With a sleep mark (core/db/sleep-marker.ts): writers notify only while the tail is marked
   * asleep, so an awake tail reads on until a read is empty, and only then marks itself and
   * naps. A tail woken again during a read that found rows is behind a stream of commits: it
   * drops the mark, so their NOTIFYs stop queuing on PostgreSQL's lock. Undefined: no mark (PGlite,
   * no LISTEN), the nap as the loop decides.
   */
  private async sleepCheck (ready: Ready, rows: number): Promise<SleepCheck | undefined> {
    const marker = this.wakes.marker
    if (marker === undefined) return undefined
    if (rows > 0) {
      if (this.notified) marker.wake()
      return marker.asleep ? undefined : 'reread'
    }
    if (ready.horizon.moving) return undefined
    return await marker.check()
  }

  /** Gives tail rows to a live subscriber, or sends it back to replay when it lags too far. */
  private hand (sub: StreamSubscription, rows: StreamRow[]): void {
    if (sub.ended) {
      this.live.delete(sub)
      return
    }
    const fresh = cmp(rows[0].position, sub.queued) > 0 ? rows : rows.filter(r => cmp(r.position, sub.queued) > 0)
    if (fresh.length === 0) return
    if (sub.queuedRows + fresh.length > this.liveQueueLimit) {
      this.live.delete(sub)
      sub.mode = 'replay'
      void sub.drained().then(async () => await this.replay(sub)).catch(err => sub.fail(describeStreamError(err)))
      return
    }
    sub.enqueue(fresh)
  }

  private wake (): void {
    this.waker.wake()
  }

  /** Whether a notice came since the last was taken, and forgets it. */
  private takeNotice (): boolean {
    const n = this.notified
    this.notified = false
    return n
  }

  // ---------------------------------------------------------------- reads

  /** One batch after `after`, up to the horizon, in stream order, and how far the read looked. */
  private async read (
    ready: Ready, after: Position | undefined, replay: boolean
  ): Promise<{ rows: StreamRow[], through?: Position }> {
    const { db, plan, horizon } = ready
    const { rows: raw, through } = await horizon.read(db, after, this.batchSize)
    this.rowsRead += raw.length
    const rows: StreamRow[] = new Array(raw.length)
    for (let i = 0; i < raw.length; i++) {
      rows[i] = { stream: this.name, position: takePosition(plan, raw[i]), replay, row: raw[i] }
    }
    return { rows, through }
  }

  /** Whether a committed row after the tail passes the filter that the last read did not return (horizon.ts). */
  private async heldBack ({ db, horizon }: Ready): Promise<boolean> {
    try {
      return await horizon.heldBack(db, this.tail.pos)
    } catch {
      return false // the next read retries and reports
    }
  }

  /** 'head' when no row is that recent, else the position just before the first such row. */
  private async positionAtTime (db: Queryable, plan: SourcePlan, at: string): Promise<Position | undefined | 'head'> {
    const first = await db.query<Record<string, string>>(plan.firstAtTime as string, [at])
    if (first.rows.length === 0) return 'head'
    const p = Array.from({ length: plan.width }, (_, i) => first.rows[0][`p${i}`])
    const before = await db.query<Record<string, string>>(plan.positionBefore, p)
    return before.rows.length === 0 ? undefined : Array.from({ length: plan.width }, (_, i) => before.rows[0][`p${i}`])
  }

  /** retryForSubscriber with this streamer's backoff and stop signal. */
  private async retrying<T> (sub: StreamSubscription, fn: () => Promise<T>): Promise<T | undefined> {
    return await retryForSubscriber(sub, this.retry, this.stopped.signal, fn)
  }

  private forget (sub: StreamSubscription): void {
    this.subs.delete(sub)
    this.live.delete(sub)
  }
}
