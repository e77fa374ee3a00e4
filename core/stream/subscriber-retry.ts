import { Backoff, sleep } from '../util/backoff'
import { describeStreamError, isRetryable, isSourceMissing, retryingState } from './errors'
import type { StreamSubscription } from './subscription'
import type { SubscriptionState } from './types'

/**
 * Runs `fn` for a subscriber, retrying with backoff while the database is away (state
 * 'retrying'). A problem a retry cannot fix fails the subscription. Resolves undefined when
 * the subscription ended meanwhile, or `stopped` aborted (the streamer closed).
 *
 * Invariant: once a try succeeds the subscriber is back in the state it had before the first failure
 * ('starting' if it was retrying already), so a passing outage does not leave it showing 'retrying'.
 */
export async function retryForSubscriber<T> (
  sub: StreamSubscription,
  retry: { initialMs: number, maxMs: number },
  stopped: AbortSignal,
  fn: () => Promise<T>
): Promise<T | undefined> {
  const backoff = new Backoff(retry.initialMs, retry.maxMs)
  let resume: SubscriptionState | undefined
  for (;;) {
    if (sub.ended || stopped.aborted) return undefined
    try {
      const v = await fn()
      if (sub.ended) return undefined
      if (resume !== undefined && sub.current.phase === 'retrying') sub.setState(resume)
      return v
    } catch (err) {
      if (sub.ended || stopped.aborted) return undefined
      if (!isRetryable(err) && !isSourceMissing(err)) {
        sub.fail(describeStreamError(err))
        return undefined
      }
      if (resume === undefined) resume = sub.current.phase === 'retrying' ? { phase: 'starting' } : sub.current
      const retrying = retryingState(err, backoff.next())
      sub.setState(retrying)
      await sleep(retrying.retryInMs, sub.stop.signal)
    }
  }
}
