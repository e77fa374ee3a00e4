import { describeDbError, isTransientDbError, needsOperator } from '../db/errors'
import { Outage, retryTransient } from '../db/retry'
import type { MessageStore, OutboundRecord } from './message-store'

export interface RetryingStoreOptions {
  /** Aborted when the session stops: a waiting call then fails with the database's error. */
  signal: AbortSignal
  /**
   * Told when the database goes away and once when it is back (not per call or per try); told again
   * during an outage when a cause only a person can clear comes (a refused login, a full disk), once
   * per text, so the status and the log name it and not only the outage's first reason.
   */
  onOutage?: (err: unknown | undefined) => void
}

/**
 * The session's store with transient database errors (connection lost, server restarting,
 * deadlock ...) retried with backoff until the database is back, instead of failing the send or
 * the inbound message. The session runs its store calls in order (an inbound commit may overlap an
 * outbound one, serial-queue.ts), so a call that waits here holds every later one of its side
 * behind it: outbound messages are journaled (and written) in stream order, once the database is
 * back; inbound messages are neither acknowledged nor handed on before they are stored, and the
 * session reads nothing further meanwhile.
 *
 * A write whose COMMIT was lost with the connection may have committed. Before trying it again its
 * side's number is read afresh (the store's copy follows the database; the other side's is left
 * alone, its write may be in flight); if the
 * write is found done (the numbers moved, and for the journal its rows are there) it counts as
 * done, so a message is never journaled twice and the numbers never disagree with the database.
 */
export function retryingStore (store: MessageStore, o: RetryingStoreOptions): MessageStore {
  const outage = new Outage()
  const run = async <T>(
    fn: () => Promise<T>,
    again?: () => Promise<{ value: T } | undefined>,
    refused?: (value: T) => boolean
  ): Promise<T> => {
    let tries = 0
    const r = await retryTransient(async () => {
      const retry = tries++ > 0 && again !== undefined
      if (retry) {
        const done = await again()
        if (done !== undefined) return done.value
      }
      // The lost write may still be running on the server (it does not notice the closed
      // connection before it answers): the retry then waits for its locks and, once it commits,
      // is refused (the ownership guard, or the journaled origin). Refused after a loss means
      // "look again": the write that was lost is found done.
      try {
        const value = await fn()
        if (!retry || refused?.(value) !== true) return value
        return (await again())?.value ?? value
      } catch (err) {
        if (!retry || isTransientDbError(err)) throw err
        const done = await again()
        if (done === undefined) throw err
        return done.value
      }
    }, {
      signal: o.signal,
      onWaiting: err => {
        if (outage.begin(describeDbError(err), needsOperator(err)).say) o.onOutage?.(err)
      }
    })
    if (outage.end()) o.onOutage?.(undefined)
    return r
  }
  /** The batch is in the journal already (its COMMIT was lost, not the commit itself). */
  const journaled = async (recs: OutboundRecord[]): Promise<boolean> => {
    const found = await store.sentRange(recs[0].seq, recs[recs.length - 1].seq)
    return found.length === recs.length && found.every((f, i) => f.seq === recs[i].seq && f.body === recs[i].body)
  }
  return {
    load: async () => await run(async () => await store.load()),
    reload: async side => await run(async () => await store.reload(side)),
    findSent: async origin => await run(async () => await store.findSent(origin)),
    recordSent: async record => await run(async () => await store.recordSent(record), async () =>
      (await store.reload('sender')).nextSenderSeq === record.seq + 1 && await journaled([record])
        ? { value: true }
        : undefined,
    inserted => !inserted),
    recordSentBatch: async records => await run(async () => await store.recordSentBatch(records), async () =>
      records.length > 0 && (await store.reload('sender')).nextSenderSeq === records[records.length - 1].seq + 1 &&
        await journaled(records)
        ? { value: undefined }
        : undefined),
    findSentMany: async origins => await run(async () => await store.findSentMany(origins)),
    advanceSender: async next => await run(async () => await store.advanceSender(next), async () =>
      (await store.reload('sender')).nextSenderSeq === next ? { value: undefined } : undefined),
    // A lost COMMIT that did commit: the rows are in fix_in, but their receive sequences are not
    // known here (''); the session hands the messages on as usual.
    recordReceived: async (records, nextTarget) => await run(
      async () => await store.recordReceived(records, nextTarget), async () =>
        (await store.reload('target')).nextTargetSeq === nextTarget ? { value: records.map(() => '') } : undefined),
    advanceTarget: async next => await run(async () => await store.advanceTarget(next), async () =>
      (await store.reload('target')).nextTargetSeq === next ? { value: undefined } : undefined),
    // Operator actions: they fail at once, with the reason, rather than wait.
    setNext: async (sender, target) => await store.setNext(sender, target),
    reset: async () => await store.reset(),
    sentRange: async (begin, end, limit) => await run(async () => await store.sentRange(begin, end, limit))
  }
}
