/**
 * What Node-RED's heap holds, from V8's own trace (`--trace-gc`, which the e2e bench gives Node-RED):
 * the heap left after each full collection (mark-compact) is what is still reachable, so it says
 * whether something keeps the backlog (it would grow phase after phase) or V8 only lets garbage pile
 * up between collections (the peak RSS is then far above it). Load does not change these figures.
 */
import * as fs from 'fs'

export interface HeapTrace {
  /** MB left after each mark-compact, in order. */
  afterFull: number[]
  /** Largest heap seen before a collection, MB. */
  peakBefore: number
}

/** `... Mark-Compact 368.2 (405.4) -> 89.5 (243.6) MB, ...`: before and after, in MB. */
const FULL = /Mark-Compact(?: \(reduce\))? ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/

/** The full collections in a `--trace-gc` log; undefined when the log has none (or is missing). */
export function readHeapTrace (logFile: string): HeapTrace | undefined {
  let text: string
  try {
    text = fs.readFileSync(logFile, 'latin1')
  } catch {
    return undefined
  }
  const afterFull: number[] = []
  let peakBefore = 0
  for (const line of text.split('\n')) {
    const m = FULL.exec(line)
    if (m === null) continue
    peakBefore = Math.max(peakBefore, Number(m[1]))
    afterFull.push(Number(m[2]))
  }
  return afterFull.length === 0 ? undefined : { afterFull, peakBefore }
}

/** One line for the bench's output. The first collections (start-up, warm-up) are left out when there are more. */
export function heapLine (t: HeapTrace | undefined): string {
  if (t === undefined) return 'Node-RED heap after full collections: - (no mark-compact in its --trace-gc log)'
  const xs = t.afterFull.length > 3 ? t.afterFull.slice(2) : t.afterFull
  const min = Math.min(...xs)
  const max = Math.max(...xs)
  return `Node-RED heap after each full collection (what is still reachable): ${min.toFixed(0)}-${max.toFixed(0)} MB ` +
    `over ${xs.length} mark-compacts (the first ${t.afterFull.length - xs.length} left out: start-up); ` +
    `largest heap before one: ${t.peakBefore.toFixed(0)} MB (the rest of the RSS above is garbage not yet ` +
    'collected, code and buffers)'
}
