/**
 * Round trips completed in the e2e bench: orders the inbound apply has made `filled` (both
 * ExecutionReports back through fix_in, the inbound stream and the apply). The round trip pass keeps
 * its backlog by these, not by orders the counterparty received, so its sustained phase measures a
 * round trip the whole pipeline sustains (orders out about equal to fills applied).
 */
import type { Client } from 'pg'
import { quoteQualified } from '../core/db'

export class Fills {
  /** Every order below this id is filled (orders are numbered from 1 in insert order). */
  private frontier = 1
  private readonly table: string

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
}
