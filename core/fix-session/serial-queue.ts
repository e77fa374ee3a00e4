/** The two kinds of journal write that may overlap: inbound application messages and outbound ones. */
export type Lane = 'in' | 'out'

/**
 * The session's thread of control. `run` jobs run one at a time, in order, and alone: every job
 * queued before one has finished when it starts, and none queued after it starts before it has
 * finished, so a frame of the full protocol path, an admin send, a reset or a timer never
 * interleaves half way through a commit. `runLane` jobs run in order within their lane and wait
 * for every `run` job queued before them, but not for the other lane's jobs: a commit of inbound
 * application messages (fix_in and the target seq) and a commit of outbound ones (fix_out and the
 * sender seq) overlap, so the database flushes them together. The two lanes touch disjoint state
 * (each its own sequence number and row); anything that touches both runs with `run`.
 */
export class SerialQueue {
  private readonly tails: Record<Lane, Promise<unknown>> = { in: Promise.resolve(), out: Promise.resolve() }
  private waiting = 0

  /** Runs `job` alone, after everything queued so far (both lanes), before anything queued later. */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.waiting++
    const p = Promise.all([this.tails.in, this.tails.out]).then(job)
    const settled = p.then(() => { this.waiting-- }, () => { this.waiting-- })
    this.tails.in = settled
    this.tails.out = settled
    return p
  }

  /** Runs `job` after the jobs of its lane and the `run` jobs queued so far; the other lane's may run meanwhile. */
  runLane<T>(lane: Lane, job: () => Promise<T>): Promise<T> {
    this.waiting++
    const p = this.tails[lane].then(job)
    this.tails[lane] = p.then(() => { this.waiting-- }, () => { this.waiting-- })
    return p
  }

  /** Jobs queued or running. */
  get length (): number {
    return this.waiting
  }

  /** Resolves when everything queued so far has finished. */
  async idle (): Promise<void> {
    await Promise.all([this.tails.in, this.tails.out])
  }
}
