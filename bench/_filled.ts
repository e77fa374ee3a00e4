/**
 * Round trips completed in the e2e bench: orders the inbound apply has made `filled` (both
 * ExecutionReports back through fix_in, the inbound stream and the apply). The round trip pass keeps
 * its backlog by these, not by orders the counterparty received, so its sustained phase measures a
 * round trip the whole pipeline sustains (orders out about equal to fills applied).
 */
import type { Client } from 'pg'
import { quoteQualified } from '../core/db'

/**
 * The way back of one order's fill, ms since the epoch on the machine clock: sent = its SendingTime
 * (framed by the counterparty), received = fix_in.received_at (the gateway's INSERT), journaled = the
 * commit of that INSERT, filled = orders.filled_at (the apply's statement), applied = the apply's
 * commit. The two commit times need track_commit_timestamp=on on the server (undefined without).
 */
export interface FillWayBack {
  sent: number
  received: number
  journaled?: number
  filled: number
  applied?: number
}

export class Fills {
  /** Every order below this id is filled (orders are numbered from 1 in insert order). */
  private frontier = 1
  private readonly table: string
  private readonly fixIn: string

  /**
   * db: the bench's own connection to a server, or undefined on PGlite, where `count` (the system's
   * counts, through Node-RED) is the only reading.
   */
  constructor (
    private readonly db: Client | undefined,
    schema: string,
    private readonly count: () => Promise<number>
  ) {
    this.table = quoteQualified({ schema, name: 'orders' })
    this.fixIn = quoteQualified({ schema, name: 'fix_in' })
  }

  /**
   * The lowest id not yet filled (`next` when all are). On a server: an index range scan of the
   * primary key from the last answer, which stops at the first unfilled order, so each call reads only
   * the orders filled since the one before (a few hundred rows), not the table. Fills come back in
   * about the order they went out, so `next` - this is the unfilled backlog, an order filled out of
   * turn counting until the ones below it are. On PGlite: 1 + the number filled.
   */
  async unfilledFrom (next: number): Promise<number> {
    if (this.db === undefined) return 1 + await this.count()
    const r = await this.db.query<{ id: number | null }>(
      `SELECT min(id)::int AS id FROM ${this.table} WHERE id >= $1 AND status <> 'filled'`, [this.frontier])
    this.frontier = r.rows[0].id ?? next
    return this.frontier
  }

  /** How many orders are filled: one scan of the table (for a phase's start and end only). */
  async total (): Promise<number> {
    if (this.db === undefined) return await this.count()
    return (await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.table} WHERE status = 'filled'`)).rows[0].n
  }

  /**
   * When each order of ids first..last was filled (the apply's clock_timestamp(), ms since the epoch,
   * the machine clock the bench's insert times come from too); empty on PGlite.
   */
  async filledAt (first: number, last: number): Promise<Map<number, number>> {
    if (this.db === undefined) return new Map()
    const r = await this.db.query<{ id: number, at: number }>(
      `SELECT id::int AS id, (extract(epoch FROM filled_at) * 1000)::float8 AS at FROM ${this.table} ` +
        'WHERE id BETWEEN $1 AND $2 AND filled_at IS NOT NULL', [first, last])
    return new Map(r.rows.map(x => [x.id, x.at]))
  }

  /**
   * Where each filled order of ids first..last spent its way back (FillWayBack), from its last
   * ExecutionReport in fix_in (the fill) and its row in orders; empty on PGlite. One hash join over
   * the range, read after the phase has drained.
   */
  async wayBack (first: number, last: number): Promise<Map<number, FillWayBack>> {
    if (this.db === undefined) return new Map()
    const on = (await this.db.query<{ on: string }>("SELECT current_setting('track_commit_timestamp') AS on"))
      .rows[0].on === 'on'
    const ms = (t: string): string => `(extract(epoch FROM ${t}) * 1000)::float8`
    // xid8 -> xid through text: the throw-away server's transaction ids stay below 2^32.
    const commits = on
      ? `, ${ms('pg_xact_commit_timestamp(f.tx::text::xid)')} AS journaled, ` +
        `${ms('pg_xact_commit_timestamp(o.x)')} AS applied`
      : ''
    const r = await this.db.query<{ id: number } & Record<string, number | null>>(
      `WITH o AS (SELECT id, cl_ord_id, filled_at, xmin AS x FROM ${this.table}
                  WHERE id BETWEEN $1 AND $2 AND filled_at IS NOT NULL),
            f AS (SELECT DISTINCT ON (i.cl_ord_id) i.cl_ord_id, i.sending_time, i.received_at, i.tx
                  FROM ${this.fixIn} i JOIN o ON o.cl_ord_id = i.cl_ord_id
                  WHERE i.msg_type = '8' ORDER BY i.cl_ord_id, i.receive_seq DESC)
       SELECT o.id::int AS id, ${ms('f.sending_time')} AS sent, ${ms('f.received_at')} AS received,
              ${ms('o.filled_at')} AS filled${commits}
       FROM o JOIN f USING (cl_ord_id) WHERE f.sending_time IS NOT NULL`, [first, last])
    const num = (v: number | null | undefined): number | undefined => v === null || v === undefined ? undefined : v
    return new Map(r.rows.map(x => [x.id, {
      sent: x.sent as number,
      received: x.received as number,
      journaled: num(x.journaled),
      filled: x.filled as number,
      applied: num(x.applied)
    }]))
  }
}
