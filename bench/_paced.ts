/**
 * The fixed-rate phases' load: an open loop. Every 10 ms tick the orders that have come due since
 * the last one go in as one INSERT, started without waiting for the INSERTs before it to finish, and
 * each order's latency starts at the tick it was due at, not at the moment its INSERT started.
 *
 * Why: a closed loop (await one INSERT, then send what is due) hides a stall. While PostgreSQL or the
 * machine stalls for 100 ms, the orders due in it are not sent; they go out together after it,
 * stamped with that later time, so the 100 ms never shows in their latency (coordinated omission),
 * and the p99 looks better than what an application inserting on its own schedule would see.
 */
export const TICK_MS = 10

export interface PacedResult {
  /** Orders sent. */
  sent: number
  /** INSERTs that were still running when a later one started (the stalls seen by the load itself). */
  overlapped: number
}

/**
 * Sends `rate` orders a second for `seconds`. `send(dueAt)` starts one INSERT of the next
 * `dueAt.length` orders, each due at the wall-clock ms given (what its latency is measured from); the
 * phase ends when every INSERT it started has finished.
 */
export async function paced (
  rate: number, seconds: number, now: () => number,
  send: (dueAt: number[]) => Promise<void>
): Promise<PacedResult> {
  const t0 = now()
  const running = new Set<Promise<void>>()
  let sent = 0
  let overlapped = 0
  let failure: unknown
  while (now() - t0 < seconds * 1000) {
    const elapsed = now() - t0
    const due = Math.floor(elapsed / 1000 * rate) - sent
    if (due > 0) {
      // Each order counts from the tick it came due in: on time, that is this tick; after a stall,
      // a tick inside the stall.
      const dueAt: number[] = []
      for (let k = sent + 1; k <= sent + due; k++) {
        dueAt.push(t0 + Math.min(elapsed, Math.ceil(k * 1000 / rate / TICK_MS) * TICK_MS))
      }
      if (running.size > 0) overlapped++
      const p = send(dueAt).catch(err => { failure ??= err })
      running.add(p)
      void p.finally(() => running.delete(p))
      sent += due
    }
    await new Promise(resolve => setTimeout(resolve, Math.max(0, TICK_MS - ((now() - t0) % TICK_MS))))
  }
  await Promise.all(running)
  if (failure !== undefined) throw failure
  return { sent, overlapped }
}
