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

/** One collection of a `--trace-gc` log: when (ms since Node-RED's V8 started) and how long the main thread stopped. */
export interface GcEvent {
  t: number
  kind: 'scavenge' | 'mark-compact'
  /** The pause `--trace-gc` prints (wall clock: on a loaded machine it includes time without a CPU). */
  pauseMs: number
  /** Mark-compact only: the longest incremental marking step before it (also a main-thread pause). */
  biggestStepMs?: number
}

/**
 * `[pid:0x..]   20781 ms: Scavenge 242.7 (263.8) -> 232.9 (266.3) MB, 21.06 / 0.00 ms ...`, and for a
 * mark-compact `..., 30.43 / 0.01 ms  (+ 133.0 ms in 74 steps since start of marking, biggest step 56.4 ms ...`.
 * Node.js 22's V8 adds `pooled: 0 MB, ` before the pause (Node-RED 5 runs there).
 */
const EVENT = new RegExp(
  String.raw`\s(\d+) ms: (Scavenge|Mark-Compact)(?: \(reduce\))? [\d.]+ \([\d.]+\) -> [\d.]+ \([\d.]+\) MB, ` +
  String.raw`(?:pooled: [\d.]+ MB, )?` +
  String.raw`([\d.]+) \/ [\d.]+ ms(?:\s+\(\+ [\d.]+ ms in \d+ steps since start of marking, biggest step ([\d.]+) ms)?`
)

export function readGcEvents (logFile: string): GcEvent[] {
  let text: string
  try {
    text = fs.readFileSync(logFile, 'latin1')
  } catch {
    return []
  }
  const out: GcEvent[] = []
  for (const line of text.split('\n')) {
    const m = EVENT.exec(line)
    if (m === null) continue
    out.push({
      t: Number(m[1]),
      kind: m[2] === 'Scavenge' ? 'scavenge' : 'mark-compact',
      pauseMs: Number(m[3]),
      biggestStepMs: m[4] === undefined ? undefined : Number(m[4])
    })
  }
  return out
}

/**
 * When a process started, ms since the epoch, from /proc (its start in clock ticks after boot): a
 * `--trace-gc` time plus this is a wall-clock time, to within the ticks (10 ms) and V8's start-up.
 */
export function processStartMs (pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1')
    // Field 22 (starttime), counted after the command name's closing parenthesis (field 2).
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19])
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'latin1'))?.[1])
    if (!Number.isFinite(startTicks) || !Number.isFinite(btime)) return undefined
    return btime * 1000 + startTicks * 10 // USER_HZ is 100 on Linux
  } catch {
    return undefined
  }
}

/** The collections of one phase (wall-clock ms from and to) summed up in one line. */
export function gcPauseLine (
  events: GcEvent[], startMs: number | undefined, fromMs: number, toMs: number, label: string
): string {
  if (startMs === undefined || events.length === 0) return `Node-RED GC pauses during ${label}: - (no --trace-gc log)`
  const inPhase = events.filter(e => startMs + e.t >= fromMs && startMs + e.t <= toMs)
  const sc = inPhase.filter(e => e.kind === 'scavenge').map(e => e.pauseMs).sort((a, b) => a - b)
  const mc = inPhase.filter(e => e.kind === 'mark-compact')
  const q = (p: number): string =>
    sc.length === 0 ? '-' : sc[Math.min(sc.length - 1, Math.floor(p * sc.length))].toFixed(1)
  const secs = (toMs - fromMs) / 1000
  const scav = `${sc.length} scavenges (${(sc.length / secs).toFixed(1)}/s; pause p50 ${q(0.5)}, p99 ${q(0.99)}, ` +
    `max ${sc.length === 0 ? '-' : sc[sc.length - 1].toFixed(1)} ms; ${sc.filter(x => x > 20).length} over 20 ms, ` +
    `${sc.reduce((s, x) => s + x, 0).toFixed(0)} ms in all)`
  const major = mc.length === 0
    ? 'no mark-compact'
    : `${mc.length} mark-compact${mc.length > 1 ? 's' : ''} ` +
      `(final pause ${mc.map(e => e.pauseMs.toFixed(1)).join(', ')} ms; ` +
      `longest incremental marking step ${mc.map(e => (e.biggestStepMs ?? 0).toFixed(1)).join(', ')} ms)`
  return `Node-RED GC pauses during ${label} (--trace-gc, wall clock: on a loaded machine a pause includes time ` +
    `without a CPU): ${scav}; ${major}`
}
