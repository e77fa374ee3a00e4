import { LeaseGrant, LeaseLostError, LeaseSettings } from './lease'
import type { LeaseStore } from './lease-store'

/** Why a holder gave its lease back when a newer version of the pack migrated the schema under it. */
export const LEASE_GIVEN_TO_NEWER = 'a newer pack migrated the schema'

export interface LeaseKeeperOptions {
  store: LeaseStore
  resource: string
  settings: LeaseSettings
  /** Stored with the lease for the standbys to compare (a configuration fingerprint). */
  detail?: Record<string, unknown>
  /** The lease is ours: start the resource. A rejection gives the lease back. */
  onActive: (grant: LeaseGrant) => Promise<void>
  /**
   * The lease is gone: stop the resource at once, without writing (its writes are refused now).
   * No new acquisition is tried before this settles.
   */
  onLost: (err: LeaseLostError) => Promise<void>
  /**
   * Standing by: who is active (undefined: nobody, or unknown), the database error if any, and what
   * the holder stored with its lease (`detail`), to compare configurations.
   */
  onStandby?: (activeOn: string | undefined, error?: unknown, detail?: Record<string, unknown>) => void
  /** A monotonic clock in ms (default performance.now): the lease's end as this process sees it. */
  clock?: () => number
  /**
   * Runs each acquisition attempt (work spreading, lease-registry.ts): it may hold the attempt back
   * while this instance has its share and another one has less. Resolves what the attempt did.
   */
  acquireGate?: (attempt: () => Promise<LeaseGrant | undefined>) => Promise<LeaseGrant | undefined>
  /**
   * The instance this resource should run on when it is up. If that is this instance, it asks the
   * holder for the resource while standing by; if this instance holds it and the preferred one
   * asks, it stops the resource cleanly and gives the lease to it.
   */
  preferred?: string
}

/**
 * Keeps one lease: tries to acquire it while standing by, renews it while active, and gives it
 * back on stop. Invariant: this process treats the lease as its own only until `leaseEnd`, a time
 * on its own monotonic clock taken BEFORE the renewal that granted it was sent, minus a margin; the
 * database's expiry of that renewal is later in real time, so this process stops before any other
 * instance can acquire. A holder that cannot renew (paused, cut off, slow database) reaches
 * `leaseEnd` and stops; one whose renewal is refused stops at once.
 */
export class LeaseKeeper {
  private current: LeaseGrant | undefined
  private leaseEnd = 0
  private tickTimer: NodeJS.Timeout | undefined
  private endTimer: NodeJS.Timeout | undefined
  private inflight: Promise<void> | undefined
  /** Owner callbacks run one after another: a lost lease is handled before a new one starts. */
  private chain: Promise<void> = Promise.resolve()
  private stopped = false
  private started = false
  private readonly clock: () => number
  private readonly margin: number
  private detail: Record<string, unknown> | undefined
  private preferred: string | undefined

  constructor (private readonly o: LeaseKeeperOptions) {
    this.clock = o.clock ?? (() => performance.now())
    this.margin = Math.min(500, Math.floor(o.settings.leaseMs / 8))
    this.detail = o.detail
    this.preferred = o.preferred
  }

  /** The preferred instance from now on ('' or undefined: none). */
  setPreferred (instance: string | undefined): void {
    this.preferred = instance === '' ? undefined : instance
  }

  /** What is stored with the lease from the next acquisition on (a member that joined later says it). */
  setDetail (detail: Record<string, unknown> | undefined): void {
    this.detail = detail
  }

  /** The grant while this instance is active, else undefined. */
  get grant (): LeaseGrant | undefined {
    return this.current
  }

  get resource (): string {
    return this.o.resource
  }

  start (): void {
    if (this.started || this.stopped) return
    this.started = true
    this.schedule(0)
  }

  /** A lease was released somewhere: try to take it now rather than at the next look. */
  wake (): void {
    if (this.started && !this.stopped && this.current === undefined) this.schedule(0)
  }

  /** A write found a newer token than `token`: the lease is gone, stop now. */
  lost (token: string | null, reason: string): void {
    const g = this.current
    if (g !== undefined && (token === null || g.token === token)) this.lose(g, reason)
  }

  /**
   * Stops trying and gives the lease back (call after the resource stopped cleanly, so its last
   * writes are done under the lease). The release is announced: a standby takes over at once.
   */
  async stop (): Promise<void> {
    this.stopped = true
    this.clearTimers()
    await this.inflight
    await this.chain
    const g = this.current
    this.current = undefined
    if (g !== undefined) await this.o.store.release(g).catch(() => { /* it runs out by itself */ })
  }

  private schedule (ms: number): void {
    if (this.stopped) return
    if (this.tickTimer !== undefined) clearTimeout(this.tickTimer)
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined
      if (this.inflight !== undefined) return // it schedules the next one when done
      this.inflight = this.tick().finally(() => { this.inflight = undefined })
    }, Math.max(0, ms))
  }

  private async tick (): Promise<void> {
    let next = this.o.settings.renewMs
    try {
      if (this.current === undefined) next = await this.tryAcquire()
      else await this.renew(this.current)
    } catch (err) {
      if (this.current === undefined) this.o.onStandby?.(undefined, err)
      // Active: the lease end timer decides; try again soon, a renewal may still get through in time.
      else next = Math.max(50, Math.floor(this.o.settings.renewMs / 2))
    }
    this.schedule(next)
  }

  /** Resolves the delay before the next look. */
  private async tryAcquire (): Promise<number> {
    await this.chain
    let sentAt = 0
    const attempt = async (): Promise<LeaseGrant | undefined> => {
      if (this.stopped) return undefined
      sentAt = this.clock()
      return await this.o.store.acquire(this.o.resource, this.o.settings.instance, this.o.settings.leaseMs,
        this.detail)
    }
    const g = this.o.acquireGate === undefined ? await attempt() : await this.o.acquireGate(attempt)
    if (this.stopped && g === undefined) return this.o.settings.renewMs
    if (g === undefined) {
      const me = this.o.settings.instance
      const h = await this.o.store.holder(this.o.resource)
      const live = h !== undefined && h.remainingMs > 0
      // The preferred instance asks for its resource; the request lapses if this instance goes away.
      if (live && this.preferred === me && h.holder !== me) {
        await this.o.store.want(this.o.resource, me, 2 * this.o.settings.leaseMs)
      }
      this.o.onStandby?.(live ? h.holder : undefined, undefined, live ? h.detail : undefined)
      // Look again right after the holder's lease runs out, not up to a renewal interval later.
      return live ? Math.min(this.o.settings.renewMs, Math.ceil(h.remainingMs) + 5) : 50
    }
    if (this.stopped) {
      await this.o.store.release(g).catch(() => {})
      return this.o.settings.renewMs
    }
    this.current = g
    this.extend(sentAt)
    this.chain = this.chain.then(async () => {
      if (this.current !== g) return
      await this.o.onActive(g)
    }).catch(async err => {
      // It could not start: give the lease back for another instance to try.
      if (this.current === g) {
        this.lose(g, `could not start: ${(err as Error)?.message ?? String(err)}`)
        await this.o.store.release(g).catch(() => {})
      }
    })
    return this.o.settings.renewMs
  }

  private async renew (g: LeaseGrant): Promise<void> {
    const sentAt = this.clock()
    const r = await this.o.store.renew(g, this.o.settings.leaseMs)
    if (this.current !== g) return
    if (!r.ok) return this.lose(g, 'the renewal was refused: the lease ran out or another instance took it over')
    this.extend(sentAt)
    // A newer version migrated the schema under this holder: what it writes from now on may fail or
    // be misread, so it stops and gives the lease back at once (a rolling upgrade's handover); its
    // next acquisition is refused with the same error, which its standby status then shows.
    if (r.schemaNewer !== undefined) this.giveBack(g, LEASE_GIVEN_TO_NEWER)
    else if (r.wantedBy !== undefined && r.wantedBy === this.preferred) {
      this.giveBack(g, `handed over to ${r.wantedBy}, its preferred instance`)
    }
  }

  /**
   * Stops the resource (cleanly: the lease is still valid, so its last writes go through), then
   * releases the lease and announces it. When the preferred instance asked, only it may take the
   * lease until its request runs out, so this one takes it back only if that instance does not come.
   */
  private giveBack (g: LeaseGrant, reason: string): void {
    this.lose(g, reason, async () => {
      await this.o.store.release(g).catch(() => { /* it runs out by itself */ })
    })
  }

  private extend (sentAt: number): void {
    this.leaseEnd = sentAt + this.o.settings.leaseMs - this.margin
    if (this.endTimer !== undefined) clearTimeout(this.endTimer)
    const g = this.current
    this.endTimer = setTimeout(() => {
      // A late timer (paused process): the end is what counts, not when the timer ran.
      if (g !== undefined && this.current === g) this.lose(g, 'no renewal got through within the lease time')
    }, Math.max(0, this.leaseEnd - this.clock()))
  }

  private lose (g: LeaseGrant, reason: string, after?: () => Promise<void>): void {
    if (this.current !== g) return
    this.current = undefined
    if (this.endTimer !== undefined) clearTimeout(this.endTimer)
    this.endTimer = undefined
    const err = new LeaseLostError(g.resource, reason)
    this.chain = this.chain.then(async () => await this.o.onLost(err)).catch(() => {}).then(after)
    this.schedule(this.o.settings.renewMs)
  }

  private clearTimers (): void {
    if (this.tickTimer !== undefined) clearTimeout(this.tickTimer)
    if (this.endTimer !== undefined) clearTimeout(this.endTimer)
    this.tickTimer = undefined
    this.endTimer = undefined
  }
}
