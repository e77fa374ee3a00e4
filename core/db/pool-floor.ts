import type { Pool, PoolClient } from 'pg'
import { Backoff, sleep } from '../util/backoff'

/**
 * Keeps at least `min` connections of a pg pool open, so a burst finds them connected instead of
 * opening them while orders wait (a new backend also runs its first statements cold).
 *
 * pg-pool's own `min` only spares that many from the idle timeout; it opens none by itself, and a
 * connection lost in an outage is not replaced until a query needs one. So the floor is filled in
 * the background: when started, and again whenever the pool drops a connection. pg-pool opens a
 * connection only for a checkout that finds none idle, so the idle ones and the missing ones are
 * checked out together and all handed back at once. A failure goes to `onError` (as errors of idle
 * connections do) and is tried again with backoff until the floor is met or the floor is stopped.
 */
export class PoolFloor {
  private readonly stopping = new AbortController()
  private readonly backoff = new Backoff(500, 15000)
  private filling: Promise<void> | undefined
  private again = false

  constructor (
    private readonly pool: Pool,
    readonly min: number,
    private readonly release: (client: PoolClient) => void,
    private readonly onError: (err: unknown) => void
  ) {
    if (min > 0) pool.on('remove', () => this.fill())
  }

  /** Opens the missing connections in the background (at most one fill runs at a time). */
  fill (): void {
    if (this.min === 0 || this.stopping.signal.aborted) return
    if (this.filling !== undefined) {
      this.again = true
      return
    }
    this.filling = this.run().finally(() => {
      this.filling = undefined
      if (this.again) {
        this.again = false
        this.fill()
      }
    })
  }

  /** Stops filling; resolves once no connection of its own is being opened. */
  async stop (): Promise<void> {
    this.stopping.abort()
    await this.filling
  }

  private async run (): Promise<void> {
    const signal = this.stopping.signal
    while (!signal.aborted && this.pool.totalCount < this.min) {
      try {
        await this.openMissing()
        this.backoff.reset()
      } catch (err) {
        if (signal.aborted) return
        this.onError(err)
        await sleep(this.backoff.next(), signal)
      }
    }
  }

  private async openMissing (): Promise<void> {
    const wanted = this.min - this.pool.totalCount + this.pool.idleCount
    const got = await Promise.allSettled(Array.from({ length: wanted }, async () => await this.pool.connect()))
    for (const r of got) if (r.status === 'fulfilled') this.release(r.value)
    const failed = got.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }
}
