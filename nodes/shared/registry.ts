import type { Confirmable, StreamSource } from '../../core/stream'

/**
 * Where deployed nodes of this pack find each other's running parts by node id, typed, instead
 * of fetching the node with RED.nodes.getNode and casting it. A node registers what it offers
 * when it starts and removes it when it closes; a node that needs it watches the ids it is wired
 * to and is told at once when an entry appears or is replaced (a redeploy of the other node),
 * whichever of the two started first. Plain TypeScript: no Node-RED import.
 */
export class Registry<T> {
  private readonly entries = new Map<string, T>()
  private readonly watchers = new Map<string, Set<(value: T) => void>>()

  /** Registers `value` under `id` (replacing an older entry) and tells everyone watching `id`. */
  register (id: string, value: T): void {
    this.entries.set(id, value)
    for (const tell of [...(this.watchers.get(id) ?? [])]) {
      try {
        tell(value)
      } catch { /* one watcher's bug must not keep the others from hearing */ }
    }
  }

  /**
   * Removes `id`'s entry if it is still `value`: a node closing late never removes the entry of
   * the node that replaced it.
   */
  unregister (id: string, value: T): void {
    if (this.entries.get(id) === value) this.entries.delete(id)
  }

  get (id: string): T | undefined {
    return this.entries.get(id)
  }

  /**
   * Calls `onEntry` with `id`'s entry now if there is one, and again each time one is registered
   * under `id`, until the returned function is called.
   */
  watch (id: string, onEntry: (value: T) => void): () => void {
    let set = this.watchers.get(id)
    if (set === undefined) this.watchers.set(id, set = new Set())
    set.add(onEntry)
    const now = this.entries.get(id)
    if (now !== undefined) onEntry(now)
    return () => {
      const s = this.watchers.get(id)
      s?.delete(onEntry)
      if (s?.size === 0) this.watchers.delete(id)
    }
  }

  /** Entries and watched ids held now (for tests: both go back to zero once the nodes close). */
  get size (): { entries: number, watched: number } {
    return { entries: this.entries.size, watched: this.watchers.size }
  }
}

/**
 * A running audit-streamer's stream, under the streamer node's id. A wire from a streamer to a
 * streamer client is a subscription, not a message path: the client subscribes here, from its
 * own checkpoint, and the streamer sends nothing down that wire.
 */
export const streamSources = new Registry<StreamSource>()

/** A running streamer client, under its node id: what a target (the FIX gateway) confirms rows to. */
export const confirmables = new Registry<Confirmable>()
