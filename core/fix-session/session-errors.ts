/**
 * Errors a caller of Session's operator API gets for its own mistakes (thrown before anything is written),
 * so a node can tell them from a database or protocol failure.
 */

/** An operation that needs the session logged out (sequence numbers reset or set) was asked while connected. */
export class SessionConnectedError extends Error {
  constructor (what: string) {
    super(`log out before ${what}`)
    this.name = 'SessionConnectedError'
  }
}

/** A sequence number that is not a whole number >= 1. A RangeError, as the store's own check throws. */
export class SequenceNumberError extends RangeError {
  readonly value: unknown
  constructor (value: unknown) {
    super(`a sequence number must be a whole number >= 1, not ${String(value)}`)
    this.name = 'SequenceNumberError'
    this.value = value
  }
}

/** Throws SequenceNumberError unless every given value (undefined: not given) is a safe integer >= 1. */
export function checkSequenceNumbers (...values: Array<number | undefined>): void {
  for (const v of values) {
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new SequenceNumberError(v)
  }
}
