/**
 * High availability, the contract. Several Node-RED instances run the same flows on one
 * PostgreSQL; each resource (a FIX session, a streamer client) runs on at most one of them at a
 * time: the holder of its lease. The lease lives in the `leases` table with an expiry on the
 * database's clock and a fencing token that grows at every acquisition. The holder renews it;
 * every durable write of the resource carries the token, so a holder that lost its lease (paused,
 * cut off, slow) can no longer write, and learns it at its next write or renewal at the latest.
 */

/** How leases are kept: absent (no `ha` settings), a single instance works exactly as before. */
export interface LeaseSettings {
  /** This instance's name, as shown in status and logs (`standby (active on <instance>)`). */
  instance: string
  /** How long a lease lasts after each renewal: a dead holder is replaced after at most this long. */
  leaseMs: number
  /** How often the holder renews, and how often a standby looks for an expired lease. */
  renewMs: number
}

/** Takeover within 5 s: a dead holder's lease runs out at most 4 s after its last renewal. */
export const LEASE_DEFAULTS = { leaseMs: 4000, renewMs: 1000 } as const

/** A lease this instance holds. `token` is the fencing token: a decimal bigint. */
export interface LeaseGrant {
  resource: string
  holder: string
  token: string
}

/** Who holds a resource, as the database sees it now. */
export interface LeaseHolder {
  holder: string
  token: string
  /** Milliseconds left on the database's clock (<= 0: expired, free to take). */
  remainingMs: number
  /** What the holder runs the resource with (a configuration fingerprint), when it said. */
  detail?: Record<string, unknown>
}

/** What a lease keeper reports. */
export type LeaseState =
  | { state: 'active', grant: LeaseGrant }
  | { state: 'standby', activeOn?: string, reason?: string }
  | { state: 'stopped' }

/**
 * The holder lost the lease (another instance took it over, it expired before a renewal got
 * through, or a write found a newer token): it must stop writing and sending at once.
 */
export class LeaseLostError extends Error {
  constructor (readonly resource: string, readonly reason: string) {
    super(`lease of "${resource}" lost: ${reason}`)
    this.name = 'LeaseLostError'
  }
}

/** Lease settings that cannot work (a renewal interval not well below the lease time, a bad name). */
export class LeaseSettingsError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'LeaseSettingsError'
  }
}

/** The fencing a durable store applies to its writes: the holder's grant. */
export interface Fence {
  /** The lease (`resources.session(name)` ...) and this holder's token of it. */
  resource: string
  token: string
  /** Told when a write was refused for a newer token: the caller stops at once. */
  onLost?: (err: LeaseLostError) => void
}

/** Resource names: one namespace per kind, so a session and a client of the same name never collide. */
export const resourceOf = {
  session: (name: string): string => `fix-session:${name}`,
  client: (name: string): string => `streamer-client:${name}`
}
