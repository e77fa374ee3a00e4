/**
 * The fixed-rate phases' inserts: a pool of connections to the orders table that is open and warm
 * before a phase starts, and stays so.
 *
 * Why: the open loop (bench/_paced.ts) starts an INSERT while earlier ones still run, so a phase
 * needs more connections than the warm-up and the sustained phase's producers left open, and the
 * driver's pool opened them in the phase's first 100 ms (the server's log_connections, 4 December
 * 2026, session 18). Each new one paid its connection and a new backend's first INSERT (the
 * catalog caches of `orders`, its audit trigger compiled), 70-145 ms under load, counted in
 * those orders' latency although no application's pool does that per order. pg's pool also closes
 * a connection idle for 10 s, which the sustained phase leaves the extra ones.
 */
import { Pool } from 'pg'

export class OrderDriver {
  private readonly pool: Pool
  /** Connections opened since the start (a phase compares it before and after). */
  opened = 0

  /** `size` connections, none closed while idle (min = max). */
  constructor (url: string, private readonly insertSql: string, readonly size = 4) {
    this.pool = new Pool({ connectionString: url, max: size, min: size })
    this.pool.on('error', () => {})
    this.pool.on('connect', () => { this.opened++ })
  }

  /** Connections open now. */
  get open (): number {
    return this.pool.totalCount
  }

  /**
   * Opens every connection of the pool and runs the INSERT of `warm(i)` on each, all at once so
   * that each lands on its own connection: every backend has planned the statement and fired the
   * audit trigger before the phase. `warm(i)` gives the i-th connection's orders (real orders, as
   * the warm-up's: an INSERT of no row would not fire the row trigger).
   */
  async warm (warm: (i: number) => unknown[]): Promise<void> {
    const clients = await Promise.all(Array.from({ length: this.size }, async () => await this.pool.connect()))
    try {
      await Promise.all(clients.map(async (c, i) => await c.query(this.insertSql, [JSON.stringify(warm(i))])))
    } finally {
      for (const c of clients) c.release()
    }
  }

  async insert (orders: unknown[]): Promise<void> {
    await this.pool.query(this.insertSql, [JSON.stringify(orders)])
  }

  async end (): Promise<void> {
    await this.pool.end()
  }
}
