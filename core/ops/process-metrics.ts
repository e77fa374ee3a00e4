import { constants, PerformanceObserver } from 'perf_hooks'
import type { Registry } from 'prom-client'

/**
 * Garbage collection pause buckets (seconds). prom-client's defaults jump from 1 ms to 10 ms to
 * 100 ms; a FIX link's latency budget is tens of milliseconds, so the buckets that matter are
 * between 1 and 50 ms (a young-generation pause is 1-5 ms, a long one 20 ms and more).
 */
const GC_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1]

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb'
}

const GC_DURATION = 'nodejs_gc_duration_seconds'

let registry: Promise<Registry> | undefined

/**
 * The Node.js process's own series (prom-client's default metrics: CPU, resident memory, heap by
 * space, event loop lag, garbage collection pauses by kind, handles, file descriptors), in one
 * registry for the life of the process. It is made at the first call, not with the pack: its
 * collectors watch garbage collection and the event loop from then on, and a Node-RED nobody scrapes
 * need not run them. Made once because the collectors are cumulative (the pause histogram, the CPU
 * counters) and could not be registered twice.
 */
export async function processRegistry (): Promise<Registry> {
  registry ??= (async () => {
    const { Histogram, Registry, collectDefaultMetrics } = await import('prom-client')
    const r = new Registry()
    collectDefaultMetrics({ register: r })
    // prom-client (15.1.3) observes only the first entry of each observer callback, and the
    // collections of one turn of the event loop arrive together: a long synchronous task that
    // collects 13 times was counted once. Its histogram is replaced by one that counts every entry.
    r.removeSingleMetric(GC_DURATION)
    const pauses = new Histogram({
      name: GC_DURATION,
      help: 'Garbage collection pauses by kind: major, minor, incremental or weakcb',
      labelNames: ['kind'],
      buckets: GC_BUCKETS,
      registers: [r]
    })
    new PerformanceObserver(list => {
      for (const e of list.getEntries()) {
        const kind = (e as { detail?: { kind?: number } }).detail?.kind
        pauses.observe({ kind: GC_KINDS[kind ?? -1] ?? 'other' }, e.duration / 1000)
      }
    }).observe({ entryTypes: ['gc'] })
    return r
  })()
  return await registry
}
