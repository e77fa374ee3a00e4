import { Backoff, sleep } from '../util/backoff'
import { isTransientDbError } from './errors'

export interface RetryOptions {
  /** Stops the retries: the last error is thrown at once (a node closing). */
  signal?: AbortSignal
  /** Backoff from this delay, doubling up to maxMs (defaults 500 ms and 15 s). */
  initialMs?: number
  maxMs?: number
  /** Told before each wait, with the transient error and the delay. */
  onWaiting?: (err: unknown, delayMs: number, attempt: number) => void
}

/** Retrying was stopped (the owner is closing) while the database was still away. */
export class RetryAbortedError extends Error {
  constructor (cause: unknown) {
    super((cause as Error)?.message ?? String(cause), { cause })
    this.name = 'RetryAbortedError'
    const code = (cause as { code?: unknown })?.code
    if (code !== undefined) (this as { code?: unknown }).code = code
  }
}

/**
 * Runs `fn` until it succeeds, waiting with backoff after each transient database error
 * (isTransientDbError). A permanent error is thrown at once: trying again would fail the same way.
 * `fn` must be safe to run again after a transient failure: a statement or transaction that
 * failed that way did not commit, or (a lost COMMIT) is idempotent for its caller.
 */
export async function retryTransient<T> (fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const backoff = new Backoff(opts.initialMs ?? 500, opts.maxMs ?? 15000)
  const aborted = (): boolean => opts.signal?.aborted === true
  for (;;) {
    try {
      return await fn()
    } catch (err) {
      if (!isTransientDbError(err)) throw err
      if (aborted()) throw new RetryAbortedError(err)
      const delayMs = backoff.next()
      opts.onWaiting?.(err, delayMs, backoff.attempts)
      await sleep(delayMs, opts.signal)
      if (aborted()) throw new RetryAbortedError(err)
    }
  }
}

/** What one failure means to an outage: whether it began it, and whether its reason is worth a log line. */
export interface OutageStep {
  /** The outage's first failure. */
  first: boolean
  /** Worth a log line: the first failure's reason, or a new one that only a person can clear. */
  say: boolean
}

/**
 * Says "the database is away" once per outage rather than once per message or per try. A server
 * that restarts goes through several texts (the connection ended, refused, starting up) and that is
 * still one outage, one line. But a reason that only a person can clear (a refused password, a
 * full disk, a missing right) is said when it comes, even in an outage that began as something
 * else: after a restart with a changed password the log has to name the password, not only the
 * first "terminating connection". Each such text is said once per outage, and at most OUTAGE_TEXTS
 * are, so one that flaps with another on every retry does not flood the log. `end` is true only
 * for the first success after an outage.
 */
export const OUTAGE_TEXTS = 8

export class Outage {
  private reason: string | undefined
  private readonly said = new Set<string>()

  get active (): boolean {
    return this.reason !== undefined
  }

  get why (): string | undefined {
    return this.reason
  }

  /** A failure with `reason`; `needsPerson` when only a person can clear it (needsOperator). */
  begin (reason: string, needsPerson = false): OutageStep {
    const first = this.reason === undefined
    this.reason = reason
    const say = first || (needsPerson && !this.said.has(reason) && this.said.size < OUTAGE_TEXTS)
    if (say) this.said.add(reason)
    return { first, say }
  }

  end (): boolean {
    const was = this.reason !== undefined
    this.reason = undefined
    this.said.clear()
    return was
  }
}
