/** Exponential backoff with jitter: 1 s, 2 s, 4 s ... capped, so a down server is not hammered. */
export class Backoff {
  private attempt = 0

  constructor (private readonly initialMs = 1000, private readonly maxMs = 30000) {}

  /** Delay before the next try; each call doubles it up to the cap. */
  next (): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt)
    this.attempt++
    return Math.round(base * (0.8 + Math.random() * 0.4))
  }

  reset (): void {
    this.attempt = 0
  }

  get attempts (): number {
    return this.attempt
  }
}

/** A promise that resolves after `ms`, or early when `signal` aborts. */
export function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal?.aborted === true) return resolve()
    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    function done (): void {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })
}
