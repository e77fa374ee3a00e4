/**
 * The fields of one FIX message in wire order, as two parallel arrays: `tags[i]` and `values[i]`
 * are the i-th `tag=value`. Flat on purpose: a message is held from its parse until its journal
 * commit (and again by the translator while a flow has it), long enough for a scavenge to promote
 * it, and a `[tag, value]` array per field cost about 64 bytes more per field than a slot in each
 * of these two arrays (see docs/performance.md, 4 December 2026). Readers index the arrays; the
 * iterator makes pairs on demand for the few paths that are not per message.
 */
export class FieldList implements Iterable<[number, string]> {
  constructor (
    readonly tags: number[] = [],
    readonly values: string[] = []
  ) {}

  /** A list of these pairs (tests, lenient splits of rare frames). */
  static of (pairs: Iterable<readonly [number, string]>): FieldList {
    const list = new FieldList()
    for (const [tag, value] of pairs) list.push(tag, value)
    return list
  }

  get length (): number {
    return this.tags.length
  }

  push (tag: number, value: string): void {
    this.tags.push(tag)
    this.values.push(value)
  }

  /** The value of the first field with this tag. */
  first (tag: number): string | undefined {
    const { tags } = this
    for (let i = 0; i < tags.length; i++) if (tags[i] === tag) return this.values[i]
    return undefined
  }

  /** `[tag, value]` pairs, made as they are read. */
  * [Symbol.iterator] (): Iterator<[number, string]> {
    for (let i = 0; i < this.tags.length; i++) yield [this.tags[i], this.values[i]]
  }

  /** Every field as a `[tag, value]` pair (a new array). */
  pairs (): Array<[number, string]> {
    return [...this]
  }
}

/** Fields as the session's checks take them: a FieldList, or pairs (converted once). */
export type FieldsLike = FieldList | ReadonlyArray<readonly [number, string]>

export function fieldList (fields: FieldsLike): FieldList {
  return fields instanceof FieldList ? fields : FieldList.of(fields)
}
