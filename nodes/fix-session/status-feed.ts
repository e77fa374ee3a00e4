import type { FixSessionStatus } from './types'

/** How long a change of sequence numbers alone may wait before users hear of it. */
export const STATUS_MS = 250

/**
 * The session's status as its users (gateways) are told it. Every message moves a sequence
 * number: users hear of a change of phase or text at once, of numbers alone at most every
 * `everyMs` (a status per message cost more than the send). Plain TypeScript.
 */
export class StatusFeed {
  private now: FixSessionStatus = { phase: 'starting', nextSenderSeq: 0, nextTargetSeq: 0 }
  private told: FixSessionStatus | undefined
  private timer: NodeJS.Timeout | undefined
  private closed = false

  constructor (private readonly tell: (s: FixSessionStatus) => void, private readonly everyMs = STATUS_MS) {}

  /** The status as it is now (told or not yet). */
  get current (): FixSessionStatus {
    return this.now
  }

  /** Changes the given fields; tells at once, or within `everyMs` when only the numbers moved. */
  set (s: Partial<FixSessionStatus>): void {
    this.now = { ...this.now, ...s }
    const told = this.told
    if (told === undefined || told.phase !== this.now.phase || told.text !== this.now.text) return this.tellNow()
    if (!this.closed) this.timer ??= setTimeout(() => this.tellNow(), this.everyMs)
  }

  /**
   * The node closes: a pending telling of numbers is dropped and no timer starts again (none may
   * outlive the node); changes of phase or text (the final 'disconnected') are still told.
   */
  close (): void {
    this.closed = true
    this.clearTimer()
  }

  private clearTimer (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private tellNow (): void {
    this.clearTimer()
    this.told = this.now
    this.tell(this.now)
  }
}
