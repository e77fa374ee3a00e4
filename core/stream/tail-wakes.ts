import { onCommit, onTransactionEnd } from '../db/commit-wake'
import type { Database } from '../db/database'
import type { QualifiedName } from '../db/identifiers'
import type { SleepMarker } from '../db/sleep-marker'
import type { TailWaker } from './tail-waker'

/**
 * What wakes a streamer's live tail besides its polls, and the subscriptions behind it:
 * - writers in this process announcing commits to its table (core/db/commit-wake.ts): the tail
 *   reads at once, as after a NOTIFY, with no LISTEN to configure;
 * - the end of any of this process's transactions on its database, while a row is held back
 *   (tail-waker.ts);
 * - a NOTIFY on its channel, and on a server the tail's sleep mark (core/db/sleep-marker.ts),
 *   without which the pack's audit triggers do not notify.
 * Once stopped, nothing new is subscribed: a LISTEN that answers after close() is undone at once.
 */
export class TailWakes {
  /** The tail's sleep mark: present on a server once LISTEN is on. */
  marker: SleepMarker | undefined
  private unlisten: (() => Promise<void>) | undefined
  private unwake: (() => void) | undefined
  private unfollowEnds: (() => void) | undefined
  private stopped = false

  /**
   * @param notice a NOTIFY or an announced commit came: a row may be there to read.
   * @param reconnected the LISTEN connection is back; notifications meanwhile are lost.
   */
  constructor (
    private readonly waker: TailWaker,
    private readonly notice: () => void,
    private readonly reconnected: () => void
  ) {}

  /** Follows this process's commits to `table` and its transaction ends, once. */
  follow (db: Database, table: QualifiedName): void {
    if (this.unwake !== undefined || this.stopped) return
    this.unwake = onCommit(db, table, this.notice)
    this.unfollowEnds = onTransactionEnd(db, () => this.waker.transactionEnded())
  }

  /** LISTENs on `channel` once, and takes the sleep mark where the database has one. Rejects when LISTEN fails. */
  async listen (db: Database, channel: string): Promise<void> {
    if (this.unlisten !== undefined || this.stopped) return
    const unlisten = await db.listen(channel, { onNotify: this.notice, onReconnect: this.reconnected })
    if (this.stopped) {
      await unlisten().catch(() => {})
      return
    }
    this.unlisten = unlisten
    this.marker = db.sleepMarker?.(channel)
  }

  /** Stops hearing this process's commits and transaction ends (first thing at close). */
  stopFollowing (): void {
    this.stopped = true
    this.unwake?.()
    this.unwake = undefined
    this.unfollowEnds?.()
    this.unfollowEnds = undefined
  }

  /** Drops the sleep mark and the LISTEN (once the tail has stopped). */
  async close (): Promise<void> {
    this.stopFollowing()
    this.marker?.wake()
    this.marker = undefined
    const unlisten = this.unlisten
    this.unlisten = undefined
    if (unlisten !== undefined) await unlisten().catch(() => {})
  }
}
