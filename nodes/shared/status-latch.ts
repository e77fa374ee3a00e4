import type { NodeStatus } from 'node-red'

/**
 * Shows a node's status only when it changes, named by a key: a node that handles thousands of
 * messages a second sets the same status on each, and Node-RED sends every status to the
 * editor. The status itself is built only when its key differs from the one shown.
 */
export class StatusLatch {
  private shown: string | undefined

  constructor (private readonly show: (s: NodeStatus) => void) {}

  /** The key of the status shown now (undefined before the first). */
  get key (): string | undefined {
    return this.shown
  }

  /** Shows `make()` unless the status shown now has `key`. */
  set (key: string, make: () => NodeStatus): void {
    if (key === this.shown) return
    this.shown = key
    this.show(make())
  }
}
