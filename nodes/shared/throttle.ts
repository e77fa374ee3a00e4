/**
 * Runs `show` at most once per `everyMs`: a poke within that time schedules one run for when it
 * has passed, and further pokes until then change nothing. A busy flow runs thousands of
 * messages a second; a status per message would cost more than the messages.
 */
export class Throttle {
  private timer: NodeJS.Timeout | undefined
  private shownAt = -Infinity

  constructor (private readonly everyMs: number, private readonly show: () => void, private readonly now = Date.now) {}

  /** Whether a run is scheduled. */
  get pending (): boolean {
    return this.timer !== undefined
  }

  poke (): void {
    if (this.timer !== undefined) return
    const wait = this.shownAt + this.everyMs - this.now()
    if (wait <= 0) return this.run()
    this.timer = setTimeout(() => this.run(), wait)
  }

  /** Runs now, unless a run is scheduled already. */
  soon (): void {
    if (this.timer === undefined) this.run()
  }

  /** Drops the scheduled run: something more urgent (an error) is shown instead, or the node closes. */
  cancel (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private run (): void {
    this.timer = undefined
    this.shownAt = this.now()
    this.show()
  }
}
