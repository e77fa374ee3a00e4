import { Position } from '../stream/types'
import { positionKey } from './position'

interface Entry {
  key: string
  position: Position
  confirmed: boolean
  sentAt: number
}

/**
 * Remembers every row handed to the target, in stream order, until it and every row before it
 * are confirmed. The checkpoint is the last position of that contiguous confirmed prefix, so it
 * never passes a row that is still unconfirmed, whatever order confirmations arrive in.
 */
export class ConfirmTracker {
  // Slots before `head` are consumed and hold undefined: an entry is released the moment the
  // checkpoint passes it, not when the prefix is next cut off. Kept until the cut (up to 1,024 rows,
  // about a second at the rates a client sees), every entry with its key and position outlived
  // several young-generation collections and was promoted, so each row fed the full collections
  // that pause Node-RED (docs/performance.md, session 34).
  private readonly entries: Array<Entry | undefined> = []
  private head = 0
  private readonly byKey = new Map<string, Entry>()
  private open = 0
  private passedRows = 0

  /** Rows sent and not yet confirmed (the in-flight count). */
  get unconfirmed (): number {
    return this.open
  }

  /** Rows that have entered the confirmed prefix so far (the checkpoint moved over them). */
  get passed (): number {
    return this.passedRows
  }

  /** Rows tracked (confirmed or not) behind the oldest unconfirmed one. */
  get size (): number {
    return this.entries.length - this.head
  }

  /** When the oldest unconfirmed row was sent, or undefined when nothing is in flight. */
  get oldestUnconfirmedAt (): number | undefined {
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i] as Entry
      if (!entry.confirmed) return entry.sentAt
    }
    return undefined
  }

  /**
   * Tracks the next row. `confirmed` rows (filtered out, sent to the error output, or sent in
   * "confirm on send" mode) need nothing more. Returns the new checkpoint if it moved.
   */
  add (position: Position, confirmed: boolean, now = Date.now()): Position | undefined {
    if (this.size === 0 && confirmed) { // nothing earlier is open: the checkpoint moves at once
      this.passedRows++
      return position
    }
    const entry: Entry = { key: positionKey(position), position, confirmed, sentAt: now }
    this.entries.push(entry)
    if (!confirmed) {
      this.open++
      this.byKey.set(entry.key, entry)
    }
    return this.advance()
  }

  /**
   * Marks a row confirmed. `known` is false for a position this tracker is not waiting for
   * (already confirmed, from before a rewind or a restart, or made up): such a confirmation
   * changes nothing. `checkpoint` is the new checkpoint if it moved.
   */
  confirm (position: readonly unknown[]): { known: boolean, checkpoint?: Position } {
    const entry = this.byKey.get(positionKey(position))
    if (entry === undefined) return { known: false }
    this.byKey.delete(entry.key)
    entry.confirmed = true
    this.open--
    return { known: true, checkpoint: this.advance() }
  }

  /** True while the row at `position` is tracked and not confirmed yet. */
  isOpen (position: readonly unknown[]): boolean {
    return this.byKey.has(positionKey(position))
  }

  /** Forgets everything (a rewind): later confirmations of these rows are ignored. */
  clear (): void {
    this.entries.length = 0
    this.head = 0
    this.byKey.clear()
    this.open = 0
  }

  private advance (): Position | undefined {
    let last: Position | undefined
    while (this.head < this.entries.length && (this.entries[this.head] as Entry).confirmed) {
      last = (this.entries[this.head] as Entry).position
      this.entries[this.head] = undefined
      this.head++
      this.passedRows++
    }
    // Drop the consumed prefix now and then, not on every step (shift() is O(n)).
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head)
      this.head = 0
    }
    return last
  }
}
