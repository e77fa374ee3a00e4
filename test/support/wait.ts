/** Waiting in tests: on a condition, never a fixed sleep where a condition can be named. */

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/**
 * Waits until `check` gives a truthy value (a throw counts as not yet), checking every `everyMs`;
 * fails after `ms` naming `what` and the last error.
 */
export async function eventually<T> (
  check: () => T | Promise<T>, ms = 10000, what = 'condition', everyMs = 25
): Promise<T> {
  const until = Date.now() + ms
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined && v !== null && v !== false) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > until) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}` +
        `${last !== undefined ? ` (last error: ${(last as Error)?.message ?? String(last)})` : ''}`)
    }
    await sleep(everyMs)
  }
}
