/**
 * A seeded pseudo-random source for the fuzzer, so a run is reproducible from its seed (the
 * order of mutations; the interleaving with the engine's answers still depends on timing).
 * Mulberry32-style 32-bit mixing: fast, good enough for choosing mutations, not for secrets.
 */
export class Random {
  private state: number

  constructor (readonly seed: number) {
    this.state = seed >>> 0
  }

  /** A float in [0, 1). */
  next (): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [min, max], both included. */
  int (min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** True with probability p. */
  chance (p: number): boolean {
    return this.next() < p
  }

  pick<T> (xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]
  }

  /** One of the keys, chosen in proportion to its weight. */
  weighted<K extends string> (weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>
    let r = this.next() * entries.reduce((s, [, w]) => s + w, 0)
    for (const [k, w] of entries) {
      r -= w
      if (r < 0) return k
    }
    return entries[entries.length - 1][0]
  }

  /** `n` random bytes. */
  bytes (n: number): Buffer {
    const b = Buffer.alloc(n)
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255)
    return b
  }
}
