import type { Queryable } from '../../core/db/database'
import type { Position, StreamRow, Subscriber, SubscriptionState } from '../../core/stream'
import { lookupSource } from '../../core/stream/catalog'
import { Xid8Horizon } from '../../core/stream/horizon-xid8'
import { buildPlan } from '../../core/stream/source'

/** A subscriber that keeps every row and state it is given; `hold` pauses its deliveries. */
export class Collector implements Subscriber {
  rows: StreamRow[] = []
  states: SubscriptionState[] = []
  deliveries = 0
  private gate: Promise<void> | undefined
  private open: (() => void) | undefined

  constructor (private readonly delayMs = 0) {}

  deliver = async (rows: StreamRow[]): Promise<void> => {
    this.deliveries++
    if (this.gate !== undefined) await this.gate
    if (this.delayMs > 0) await new Promise(resolve => setTimeout(resolve, this.delayMs))
    this.rows.push(...rows)
  }

  onState = (s: SubscriptionState): void => { this.states.push(s) }

  get phase (): string | undefined {
    return this.states[this.states.length - 1]?.phase
  }

  get lastError (): string | undefined {
    for (let i = this.states.length - 1; i >= 0; i--) {
      const s = this.states[i]
      if (s.phase === 'failed' || s.phase === 'retrying') return s.error
    }
    return undefined
  }

  hold (): void {
    this.gate = new Promise(resolve => { this.open = resolve })
  }

  release (): void {
    this.gate = undefined
    this.open?.()
  }

  /** Sequence numbers of the rows, from row[column]. */
  seqs (column = 'seq'): number[] {
    return this.rows.map(r => Number(r.row[column]))
  }

  positions (): Position[] {
    return this.rows.map(r => r.position)
  }
}

/** Asserts the numbers are exactly 1..n without gap or repeat (order-independent). */
export function missingAndDuplicates (seen: number[], expected: number[]): { missing: number[], duplicates: number[] } {
  const counts = new Map<number, number>()
  for (const s of seen) counts.set(s, (counts.get(s) ?? 0) + 1)
  const missing = expected.filter(e => !counts.has(e))
  const duplicates = [...counts.entries()].filter(([, c]) => c > 1).map(([k]) => k)
  return { missing, duplicates }
}

/**
 * The horizon of a `fix_in` journal streamed as the e2e flows and the demo stream it: ExecutionReports
 * only, in (tx, receive_seq) order.
 */
export async function executionReportsHorizon (db: Queryable, schema: string): Promise<Xid8Horizon> {
  const relation = { schema, name: 'fix_in' }
  return new Xid8Horizon(buildPlan({
    relation,
    positionColumns: ['tx', 'receive_seq'],
    timeColumn: undefined,
    projection: [],
    filter: "msg_type = '8'"
  }, await lookupSource(db, relation)))
}
