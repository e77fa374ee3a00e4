import type { Database, DedicatedConnection } from '../db/database'
import { LeaseGrant, LeaseLostError, LeaseSettings } from './lease'
import { LeaseKeeper } from './lease-keeper'
import { LeaseStore, listenForReleases } from './lease-store'

/** One user of a lease in this process (a session node, the client that feeds its gateway). */
export interface LeaseMember {
  onActive: (grant: LeaseGrant) => Promise<void>
  onLost: (err: LeaseLostError) => Promise<void>
  onStandby?: (activeOn: string | undefined, error?: unknown, detail?: Record<string, unknown>) => void
}

export interface Membership {
  /** The grant while this instance is active. */
  readonly grant: LeaseGrant | undefined
  /** A write found a newer token: every member stops. */
  lost: (token: string, reason: string) => void
  /** Leaves; the last member to leave gives the lease back (after stopping its resource itself). */
  leave: () => Promise<void>
}

interface Shared {
  keeper: LeaseKeeper
  members: Set<LeaseMember>
  lastStandby?: { activeOn: string | undefined, error?: unknown, detail?: Record<string, unknown> }
}

/**
 * The leases of one process on one database and schema. Several nodes of a flow may need the same
 * lease (a FIX session and the streamer client that feeds its gateway must run on the same
 * instance): they share one keeper, so this process never competes with itself. One LISTEN per
 * database wakes the standbys when a lease is released.
 */
export class LeaseRegistry {
  private static readonly byDb = new WeakMap<Database, Map<string, LeaseRegistry>>()
  private readonly leases = new Map<string, Shared>()
  private readonly store: LeaseStore
  private readonly connection: DedicatedConnection | undefined
  private unlisten: Promise<(() => Promise<void>) | undefined> | undefined
  private heartbeat: NodeJS.Timeout | undefined
  /** Acquisition decisions are taken one at a time, each seeing the leases the ones before it took. */
  private turn: Promise<unknown> = Promise.resolve()

  private constructor (private readonly db: Database, readonly schema: string, readonly settings: LeaseSettings) {
    // Renewals never wait for a pooled connection: a pool that is busy (or waits on a slow
    // statement) for longer than the lease would otherwise cost the lease. Half the lease time
    // per statement leaves a reconnect and a second try before the lease runs out. PGlite has
    // no pool and one process: its leases go through the database itself.
    this.connection = db.dedicated?.(Math.max(50, Math.floor(settings.leaseMs / 2)))
    this.store = new LeaseStore(this.connection ?? db, schema)
  }

  /** The registry of `db` and `schema` (the settings of the first caller count: they are the process's). */
  static of (db: Database, schema: string, settings: LeaseSettings): LeaseRegistry {
    let bySchema = LeaseRegistry.byDb.get(db)
    if (bySchema === undefined) LeaseRegistry.byDb.set(db, bySchema = new Map())
    let r = bySchema.get(schema)
    if (r === undefined) bySchema.set(schema, r = new LeaseRegistry(db, schema, settings))
    return r
  }

  /** Who holds what, on the database's clock (status pages, tests). */
  async holders (): ReturnType<LeaseStore['all']> {
    return await this.store.all()
  }

  /**
   * @param preferred the instance this resource should run on when it is up (a session's
   *   *Preferred instance*); undefined or '': none.
   */
  join (resource: string, member: LeaseMember, detail?: Record<string, unknown>, preferred?: string): Membership {
    let shared = this.leases.get(resource)
    if (shared === undefined) {
      const members = new Set<LeaseMember>()
      const s: Shared = {
        members,
        keeper: new LeaseKeeper({
          store: this.store,
          resource,
          settings: this.settings,
          detail,
          preferred: preferred === '' ? undefined : preferred,
          acquireGate: async attempt => await this.fairTurn(attempt),
          onActive: async g => { await Promise.all([...members].map(async m => await m.onActive(g))) },
          onLost: async err => { await Promise.all([...members].map(async m => await m.onLost(err))) },
          onStandby: (activeOn, error, holderDetail) => {
            s.lastStandby = { activeOn, error, detail: holderDetail }
            for (const m of members) m.onStandby?.(activeOn, error, holderDetail)
          }
        })
      }
      shared = s
      this.leases.set(resource, s)
      this.listen()
      this.announce()
      s.members.add(member)
      s.keeper.start()
    } else {
      shared.members.add(member)
      if (detail !== undefined) shared.keeper.setDetail(detail)
      if (preferred !== undefined) shared.keeper.setPreferred(preferred)
      // Joining a lease this process already holds (or waits for): catch up with its state.
      const g = shared.keeper.grant
      // (after join returns: the member may still be storing its membership)
      if (g !== undefined) Promise.resolve().then(async () => await member.onActive(g)).catch(() => {})
      const last = shared.lastStandby
      if (g === undefined && last !== undefined) member.onStandby?.(last.activeOn, last.error, last.detail)
    }
    const s = shared
    return {
      get grant () { return s.keeper.grant },
      lost: (token, reason) => s.keeper.lost(token, reason),
      leave: async () => {
        s.members.delete(member)
        if (s.members.size > 0 || this.leases.get(resource) !== s) return
        this.leases.delete(resource)
        await s.keeper.stop()
        if (this.leases.size === 0) {
          await this.stopListening()
          await this.retire()
          this.connection?.drop() // reconnects when a lease is joined again
        }
      }
    }
  }

  /**
   * Work spreading: an attempt to take a lease waits one renewal interval first while this
   * instance holds its share of the leases (those held lately, or the ones its flows use if more,
   * divided by the instances up) and another instance that is up holds fewer than its share, so
   * that one takes it. After the wait it tries anyway: the other may not run this resource. A
   * takeover after a crash is not held back: the dead instance's heartbeat runs out (after one
   * renewal interval) well before its leases do.
   */
  private async fairTurn (attempt: () => Promise<LeaseGrant | undefined>): Promise<LeaseGrant | undefined> {
    const decided = this.turn.then(async () => {
      if (await this.atShare().catch(() => false)) return 'wait' as const
      return { grant: await attempt() }
    })
    this.turn = decided.catch(() => {})
    const d = await decided
    if (d !== 'wait') return d.grant
    await new Promise(resolve => setTimeout(resolve, this.settings.renewMs))
    return await attempt()
  }

  private async atShare (): Promise<boolean> {
    const s = await this.store.spread(this.settings.instance, 10 * this.settings.leaseMs)
    if (s.leastOther === undefined) return false
    const share = Math.ceil(Math.max(s.recent, this.leases.size) / s.live)
    return s.mine >= share && s.leastOther < share
  }

  /**
   * Says this instance is up, every half renewal interval, for one renewal interval: an instance
   * that died stops counting long before its leases run out (a lease lasts at least two).
   */
  private announce (): void {
    if (this.heartbeat !== undefined) return
    const beat = (): void => {
      this.store.announce(this.settings.instance, this.settings.renewMs).catch(() => { /* next beat */ })
    }
    beat()
    this.heartbeat = setInterval(beat, Math.max(25, Math.floor(this.settings.renewMs / 2)))
  }

  private async retire (): Promise<void> {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat)
    this.heartbeat = undefined
    await this.store.retire(this.settings.instance).catch(() => {})
  }

  private listen (): void {
    this.unlisten ??= listenForReleases(this.db, resource => {
      for (const [r, s] of this.leases) if (resource === '' || resource === r) s.keeper.wake()
    }).catch(() => undefined) // no LISTEN: the standbys still look every renewal interval
  }

  private async stopListening (): Promise<void> {
    const u = this.unlisten
    this.unlisten = undefined
    const stop = await u
    await stop?.().catch(() => {})
  }
}
