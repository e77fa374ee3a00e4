import type { Database, Queryable } from '../db/database'
import { quoteIdent } from '../db/identifiers'
import { newestBreakingSql, SCHEMA_VERSION, SchemaNewerError } from '../db/migrate'
import { LeaseGrant, LeaseHolder } from './lease'

/** Channel on which a released lease is announced, so a standby takes it at once, not at its next look. */
export const LEASE_RELEASED_CHANNEL = 'fix_streamers_lease_released'

/** What a renewal found (LeaseStore.renew). */
export interface Renewal {
  /** The lease is still this grant's, extended by the lease time; false: it is lost. */
  ok: boolean
  /** Another instance, the resource's preferred one, asks for it. */
  wantedBy?: string
  /** A newer version of the pack migrated the schema in a way this one cannot work with. */
  schemaNewer?: SchemaNewerError
}

interface HolderRow { holder: string, token: string, remaining_ms: string | number, detail: unknown }

/**
 * The `leases` table (migration 70). Every decision about time is taken with the database's
 * clock (now()), never the caller's: two instances whose clocks disagree still agree on whether a
 * lease has run out. Each method is one statement, atomic on its own.
 */
export class LeaseStore {
  readonly table: string
  private readonly instances: string
  private readonly migrations: string

  constructor (private readonly db: Queryable, readonly schema: string) {
    this.table = `${quoteIdent(schema, 'schema')}.leases`
    this.instances = `${quoteIdent(schema, 'schema')}.ha_instances`
    this.migrations = `${quoteIdent(schema, 'schema')}.schema_migrations`
  }

  /**
   * Takes the lease if nobody holds it or the holder's lease ran out, and no other instance's
   * request for it (its preferred instance's, `wanted_by`) is still running; the token then grows
   * by one (the first is 1) and the request is done. Resolves the grant, or undefined when someone
   * else holds it. Throws SchemaNewerError, taking nothing, once a newer version of the pack has
   * applied a migration that breaks this one (Migration.breaksOlder): an instance that kept running
   * through that upgrade must not take over what the newer one wrote (it checked the schema only
   * when it connected). The check and the take are one statement, so no migration commits between.
   */
  async acquire (resource: string, holder: string, leaseMs: number, detail?: Record<string, unknown>):
  Promise<LeaseGrant | undefined> {
    const r = await this.db.query<{ newest: number, token: string | null }>(
      `WITH newest AS (${newestBreakingSql(this.migrations)}),
       taken AS (
         INSERT INTO ${this.table} AS l (resource, holder, token, expires_at, acquired_at, renewed_at, detail)
         SELECT $1, $2, 1, now() + $3 * interval '1 millisecond', now(), now(), $4::jsonb
         FROM newest WHERE newest.v <= $5
         ON CONFLICT (resource) DO UPDATE SET holder = EXCLUDED.holder, token = l.token + 1,
           expires_at = EXCLUDED.expires_at, acquired_at = EXCLUDED.acquired_at, renewed_at = EXCLUDED.renewed_at,
           detail = EXCLUDED.detail, wanted_by = NULL, wanted_until = NULL
         WHERE l.expires_at <= now()
           AND (l.wanted_by IS NULL OR l.wanted_by = EXCLUDED.holder OR l.wanted_until <= now())
         RETURNING token)
       SELECT (SELECT v FROM newest) AS newest, (SELECT token FROM taken) AS token`,
      [resource, holder, leaseMs, detail === undefined ? null : JSON.stringify(detail), SCHEMA_VERSION])
    const row = r.rows[0]
    if (Number(row.newest) > SCHEMA_VERSION) throw new SchemaNewerError(this.schema, Number(row.newest), SCHEMA_VERSION)
    return row.token !== null ? { resource, holder, token: String(row.token) } : undefined
  }

  /**
   * Extends a lease that is still this grant's and has not run out: `ok` false when it is lost.
   * `wantedBy`: the instance whose running request asks for the resource (its preferred one).
   * `schemaNewer`: a newer version of the pack applied a migration that breaks this one while this
   * instance held the lease (acquire() refuses it; a holder learns it here). The lease is still
   * extended, so that the holder stops its resource cleanly under it before giving it back. Read in
   * the same statement as the extension, on one snapshot: a renewal that reports no such migration
   * saw none committed when it ran.
   */
  async renew (grant: LeaseGrant, leaseMs: number): Promise<Renewal> {
    const r = await this.db.query<{ newest: number, renewed: number, wanted_by: string | null }>(
      `WITH newest AS (${newestBreakingSql(this.migrations)}),
       renewed AS (
         UPDATE ${this.table} SET expires_at = now() + $3 * interval '1 millisecond', renewed_at = now()
         WHERE resource = $1 AND token = $2 AND expires_at > now()
         RETURNING CASE WHEN wanted_until > now() THEN wanted_by END AS wanted_by)
       SELECT (SELECT v FROM newest) AS newest, (SELECT count(*) FROM renewed)::int AS renewed,
         (SELECT wanted_by FROM renewed) AS wanted_by`,
      [grant.resource, grant.token, leaseMs])
    const row = r.rows[0]
    if (row.renewed !== 1) return { ok: false }
    const renewal: Renewal = { ok: true }
    if (row.wanted_by !== null && row.wanted_by !== grant.holder) renewal.wantedBy = row.wanted_by
    const newest = Number(row.newest)
    if (newest > SCHEMA_VERSION) renewal.schemaNewer = new SchemaNewerError(this.schema, newest, SCHEMA_VERSION)
    return renewal
  }

  /**
   * A standby that is the resource's preferred instance asks for it, for `ms`: the holder hands
   * it over cleanly at its next renewal, and until the request runs out only `instance` may take
   * the released lease. Renewed at every look while the instance stands by; it lapses by itself
   * when the instance is gone.
   */
  async want (resource: string, instance: string, ms: number): Promise<void> {
    await this.db.query(
      `UPDATE ${this.table} SET wanted_by = $2, wanted_until = now() + $3 * interval '1 millisecond'
       WHERE resource = $1 AND holder <> $2`,
      [resource, instance, ms])
  }

  /** This instance is up until `ms` from now (work spreading counts the instances that are). */
  async announce (instance: string, ms: number): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.instances} AS i (instance, started_at, expires_at)
       VALUES ($1, now(), now() + $2 * interval '1 millisecond')
       ON CONFLICT (instance) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      [instance, ms])
  }

  /** This instance stops (a clean stop): it no longer counts. */
  async retire (instance: string): Promise<void> {
    await this.db.query(`DELETE FROM ${this.instances} WHERE instance = $1`, [instance])
  }

  /**
   * How the work is spread now, for `instance`: the instances up (itself included), the
   * resources held lately (`recentMs`), how many it holds, and the fewest another instance
   * that is up holds (undefined: no other instance is up).
   */
  async spread (instance: string, recentMs: number):
  Promise<{ live: number, recent: number, mine: number, leastOther: number | undefined }> {
    const r = await this.db.query<{ live: number, recent: number, mine: number, least_other: number | null }>(
      `WITH up AS (SELECT instance FROM ${this.instances} WHERE expires_at > now() UNION SELECT $1::text),
       held AS (SELECT holder, count(*)::int AS n FROM ${this.table} WHERE expires_at > now() GROUP BY holder)
       SELECT (SELECT count(*) FROM up)::int AS live,
         (SELECT count(*) FROM ${this.table} WHERE expires_at > now() - $2 * interval '1 millisecond')::int AS recent,
         coalesce((SELECT n FROM held WHERE holder = $1), 0)::int AS mine,
         (SELECT min(coalesce(h.n, 0)) FROM up LEFT JOIN held h ON h.holder = up.instance
          WHERE up.instance <> $1)::int AS least_other`,
      [instance, recentMs])
    const x = r.rows[0]
    return { live: x.live, recent: x.recent, mine: x.mine, leastOther: x.least_other ?? undefined }
  }

  /**
   * Gives the lease up now (a clean stop) and announces it, so a standby takes over without
   * waiting for the expiry. The token stays: the next holder's is higher.
   */
  async release (grant: LeaseGrant): Promise<boolean> {
    const r = await this.db.query<{ released: boolean }>(
      `WITH rel AS (
         UPDATE ${this.table} SET expires_at = now() - interval '1 millisecond'
         WHERE resource = $1 AND token = $2 AND expires_at > now() RETURNING resource)
       SELECT EXISTS (SELECT 1 FROM rel) AS released,
         (SELECT pg_notify($3, resource) FROM rel) AS notified`,
      [grant.resource, grant.token, LEASE_RELEASED_CHANNEL])
    return r.rows[0]?.released === true
  }

  /** Who holds the resource now (undefined: nobody ever did). */
  async holder (resource: string): Promise<LeaseHolder | undefined> {
    const r = await this.db.query<HolderRow>(
      `SELECT holder, token, (extract(epoch FROM (expires_at - now())) * 1000)::float8 AS remaining_ms, detail
       FROM ${this.table} WHERE resource = $1`,
      [resource])
    if (r.rows.length === 0) return undefined
    const x = r.rows[0]
    const detail = x.detail !== null && typeof x.detail === 'object' ? x.detail as Record<string, unknown> : undefined
    return { holder: x.holder, token: String(x.token), remainingMs: Number(x.remaining_ms), detail }
  }

  /** Every lease, for status pages and tests. */
  async all (): Promise<Array<LeaseHolder & { resource: string }>> {
    const r = await this.db.query<HolderRow & { resource: string }>(
      `SELECT resource, holder, token, (extract(epoch FROM (expires_at - now())) * 1000)::float8 AS remaining_ms,
         detail FROM ${this.table} ORDER BY resource`)
    return r.rows.map(x => ({
      resource: x.resource,
      holder: x.holder,
      token: String(x.token),
      remainingMs: Number(x.remaining_ms),
      detail: x.detail as Record<string, unknown> | undefined
    }))
  }
}

/** Listens for released leases; `wake` gets the resource. Resolves the function that stops listening. */
export async function listenForReleases (db: Database, wake: (resource: string) => void):
Promise<() => Promise<void>> {
  return await db.listen(LEASE_RELEASED_CHANNEL, { onNotify: wake, onReconnect: () => wake('') })
}
