import type { MessageDefinition } from './jspurefix'

/**
 * What the fast decode (decode.ts) does with one frame's fields, worked out once per tag sequence:
 * where each field goes, in which order the keys of each object come, which reader types each
 * value. A counterparty sends the same few shapes of a message type over and over (an
 * ExecutionReport acknowledging, one filling), and the placement of a frame's fields depends on
 * its tags alone (the dictionary's sets, each tag's set, a group's delimiter: the tag after its
 * count field), never on a value: so a frame whose tags are those of a plan is built by the plan,
 * without placing its fields again. Values are still read from each frame (a timestamp too short
 * to read still leaves its key out, as jspurefix does).
 */

export const SIMPLE = 0
export const COMPONENT = 1
export const GROUP = 2

/**
 * One key of a decoded object, in the order the object has its keys. One class for every kind,
 * so the loop that builds objects reads one shape.
 */
export class Step {
  constructor (
    readonly kind: typeof SIMPLE | typeof COMPONENT | typeof GROUP,
    /** The key. */
    readonly name: string,
    /** SIMPLE: the field's index in the frame's fields. */
    readonly at: number,
    /** SIMPLE: jspurefix's TagType of the field (which reader types its value). */
    readonly tagType: number,
    /** COMPONENT: its object's steps; GROUP: one list of steps per entry. */
    readonly inner: Step[][]
  ) {}
}

/** The steps of the message object, or REFUSED: the fast decode steps aside for these tags. */
export type Plan = Step[] | typeof REFUSED
export const REFUSED = null

interface Known { tags: number[], plan: Plan }

/**
 * The plans of the last tag sequences seen, per message type. Bounded: a flow that receives
 * messages of endlessly varied shapes keeps at most PER_TYPE plans of a type (the newest replace
 * the oldest) and then pays what it paid without plans, plus the comparisons.
 */
export class Plans {
  private readonly byType = new Map<MessageDefinition, { known: Known[], next: number }>()

  constructor (private readonly perType = 8) {}

  /** The plan of these tags: a known one, or made (and kept) by `make`. */
  planOf (def: MessageDefinition, tags: number[], make: () => Plan): Plan {
    let entry = this.byType.get(def)
    if (entry === undefined) {
      entry = { known: [], next: 0 }
      this.byType.set(def, entry)
    }
    const { known } = entry
    for (let k = 0; k < known.length; k++) if (same(known[k].tags, tags)) return known[k].plan
    const plan = make()
    // A copy: the frame's tag list belongs to its message, which a flow holds and may change.
    const kept: Known = { tags: tags.slice(), plan }
    if (known.length < this.perType) known.push(kept)
    else {
      known[entry.next] = kept
      entry.next = (entry.next + 1) % this.perType
    }
    return plan
  }
}

function same (a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false
  // From the end: frames of one type share their header, and differ in the body.
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false
  return true
}
