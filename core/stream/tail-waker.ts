/**
 * Reads one hold may take when this process's transactions end, beyond its polls: a short hold is
 * mostly such a commit, while a long one (an older transaction elsewhere) would otherwise be read
 * once per write of this process for as long as it lasts.
 */
export const HELD_WAKES = 8

/**
 * When the live tail reads next. It naps between reads; a wake (a NOTIFY, a commit announced to
 * its table, a subscriber joining, close) ends the nap, or, when it comes during a read, the next
 * nap before it starts, so no wake is lost and wakes during one read make one more read, not one
 * each. While the tail naps on a row held back by an older transaction, the end of any of this
 * process's transactions on its database wakes it too (the one it waits for is often one of them,
 * a session's journal commit, and announces no commit to this table), at most HELD_WAKES times per
 * hold; an end during the read that found the row held counts as one, since it may have come after
 * the read's snapshot.
 */
export class TailWaker {
  private woken = false
  private endNap: (() => void) | undefined
  private ends = 0
  private holding = false
  private heldWakes = 0

  wake (): void {
    this.woken = true
    this.endNap?.()
  }

  /** A transaction of this process on the database ended (core/db/commit-wake.ts). */
  transactionEnded (): void {
    this.ends++
    if (!this.holding) return
    this.holding = false // once per nap
    this.heldWakes++
    this.wake()
  }

  /** Transaction ends so far: taken before a read, given back to held() after it. */
  get endsSoFar (): number {
    return this.ends
  }

  /** Whether the read that began at `endsBefore` found its row held back (always called after a read). */
  held (held: boolean, endsBefore: number): void {
    if (!held) this.heldWakes = 0
    this.holding = held && this.heldWakes < HELD_WAKES
    if (this.holding && this.ends !== endsBefore) this.transactionEndedDuringRead()
  }

  /** Sleeps `ms`, or less if woken (not at all if woken since the last nap). */
  async nap (ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false
      this.holding = false
      return
    }
    await new Promise<void>(resolve => {
      const t = setTimeout(done, ms)
      this.endNap = done
      function done (): void {
        clearTimeout(t)
        resolve()
      }
    })
    this.endNap = undefined
    this.woken = false
    this.holding = false
  }

  private transactionEndedDuringRead (): void {
    this.holding = false
    this.heldWakes++
    this.woken = true
  }
}
