import { Position } from '../stream/types'

/** Rows per second over the last few seconds, from one-second buckets. */
export class RateMeter {
  private readonly buckets: number[]
  private bucketStart: number

  constructor (private readonly seconds = 5, now = Date.now()) {
    this.buckets = new Array(seconds).fill(0)
    this.bucketStart = Math.floor(now / 1000)
  }

  add (n = 1, now = Date.now()): void {
    this.roll(now)
    this.buckets[this.buckets.length - 1] += n
  }

  /** Rows per second, averaged over the window. */
  rate (now = Date.now()): number {
    this.roll(now)
    const sum = this.buckets.reduce((a, b) => a + b, 0)
    return sum / this.seconds
  }

  private roll (now: number): void {
    const sec = Math.floor(now / 1000)
    const steps = Math.min(sec - this.bucketStart, this.seconds)
    for (let i = 0; i < steps; i++) {
      this.buckets.shift()
      this.buckets.push(0)
    }
    if (sec > this.bucketStart) this.bucketStart = sec
  }
}

/**
 * Rows behind the head, estimated from positions when the source cannot count: the difference of
 * the last position column (a sequence). Exact for a gap-free sequence, an estimate otherwise;
 * undefined when the positions are not numeric.
 */
export function estimateLag (head: Position | undefined, at: Position | undefined): number | undefined {
  if (head === undefined) return 0
  const h = head[head.length - 1]
  if (at === undefined) return /^\d+$/.test(h) ? Number(h) : undefined
  const a = at[at.length - 1]
  if (!/^-?\d+$/.test(h) || !/^-?\d+$/.test(a)) return undefined
  const d = BigInt(h) - BigInt(a)
  return d > 0n ? Number(d) : 0
}
