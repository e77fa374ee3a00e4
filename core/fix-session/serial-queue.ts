/**
 * Runs async jobs one at a time, in order: the session's single thread of control, so an
 * inbound message, a send and a timer never interleave half way through a commit.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()
  private waiting = 0

  run<T>(job: () => Promise<T>): Promise<T> {
    this.waiting++
    const p = this.tail.then(job)
    this.tail = p.then(() => { this.waiting-- }, () => { this.waiting-- })
    return p
  }

  /** Jobs queued or running. */
  get length (): number {
    return this.waiting
  }

  /** Resolves when everything queued so far has finished. */
  async idle (): Promise<void> {
    await this.tail
  }
}
