import { createHash } from 'crypto'

/**
 * Which statements a PgDatabase sends as named (prepared) statements. A statement text that has
 * been run `threshold` times gets a name; node-postgres then parses and plans it once per
 * connection and only binds values after that (as JDBC's prepareThreshold does). Planning is
 * most of the cost of a short statement such as a CTE that applies one report: measured about
 * 4x less server time per call.
 *
 * threshold 0 turns it off, for a pooler in transaction mode that cannot keep prepared
 * statements (PgBouncer before 1.21, or without max_prepared_statements).
 */
export class StatementCache {
  private readonly counts = new Map<string, number>()
  private readonly names = new Map<string, string>()
  private generation = 0

  constructor (
    private readonly threshold: number,
    private readonly maxNames = 500,
    private readonly maxCounted = 2000
  ) {}

  /** The name to run `text` under, or undefined to run it unnamed. */
  nameFor (text: string): string | undefined {
    if (this.threshold <= 0) return undefined
    const named = this.names.get(text)
    if (named !== undefined) return named
    if (this.names.size >= this.maxNames) return undefined
    const n = (this.counts.get(text) ?? 0) + 1
    if (n < this.threshold) {
      // Bounded: texts that vary without end (ad-hoc SQL) must not grow this map.
      if (this.counts.size >= this.maxCounted) this.counts.clear()
      this.counts.set(text, n)
      return undefined
    }
    this.counts.delete(text)
    const name = `fs_${createHash('sha1').update(text).digest('hex').slice(0, 24)}_${this.generation}`
    this.names.set(text, name)
    return name
  }

  /**
   * The server refused a prepared statement whose result columns changed since it was planned
   * ("cached plan must not change result type", after an ALTER TABLE). Every connection holds the
   * old plan under the old name, so the text gets a new name and is prepared afresh.
   */
  invalidate (text: string): void {
    if (!this.names.has(text)) return
    this.names.delete(text)
    this.generation++
    this.counts.set(text, this.threshold)
  }

  get size (): number {
    return this.names.size
  }
}

/**
 * The server's error for a prepared statement whose result columns changed under it, or one the
 * connection no longer holds (DISCARD ALL or DEALLOCATE run on it, e.g. by a pooler).
 */
export function isStalePlan (err: unknown): boolean {
  const e = err as { code?: string, message?: string }
  const message = String(e?.message ?? '')
  return (e?.code === '0A000' && /cached plan must not change result type/i.test(message)) ||
    (e?.code === '26000' && /prepared statement "fs_[0-9a-f]+_\d+" does not exist/.test(message))
}
