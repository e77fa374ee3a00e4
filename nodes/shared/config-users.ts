import type { Node, NodeAPI } from 'node-red'

/** What a config node shares among its users: opened by the first, closed when the last has left. */
export interface SharedResource {
  /** Starts opening (a database pool, a FIX session); errors are the resource's own to report. */
  open: () => void
  /** Closes it; resolves once closed (a FIX session after its Logout, a pool after its last query). */
  close: () => Promise<void>
}

/**
 * The users of a config node (the database, the FIX session), kept as Node-RED's MQTT broker node
 * keeps its users. A user calls `register(node, handlers)` when it starts and
 * `deregister(node, done)` from its close. The first user opens the shared resource: a config
 * node nobody uses opens nothing. When the last user leaves, the resource closes and `done` is
 * called only once it has closed, so a redeploy that replaces every user starts on a closed
 * resource and never on one still closing. A user that leaves while others stay closes nothing:
 * redeploying one of them does not cut the others off. The class is plain TypeScript.
 * (Node-RED's broker closes only for a user removed from the flow; here a redeploy of the last
 * user closes too, as the FIX session always did: its numbers are stored by a clean Logout.)
 */
export class ConfigUsers<H> {
  private readonly users = new Map<string, H>()
  private emptied: Array<() => void> = []
  private closing: Promise<void> = Promise.resolve()

  constructor (private readonly resource: SharedResource) {}

  /** Adds (or replaces) the user with this id; the first user opens the resource. */
  register (user: { id: string }, handlers: H): void {
    this.users.set(user.id, handlers)
    if (this.users.size === 1) this.resource.open()
  }

  /**
   * Removes the user; the last one closes the resource. `done` is called once that close has
   * finished (or at once when others remain); a failed close is passed to it. Without `done` the
   * close still happens, unawaited (a user written before deregister took one).
   */
  deregister (user: { id: string }, done: (err?: Error) => void = () => {}): void {
    if (!this.users.delete(user.id) || this.users.size > 0) return done()
    for (const tell of this.emptied.splice(0)) tell()
    this.closing = this.resource.close()
    this.closing.then(() => done(), err => done(err instanceof Error ? err : new Error(String(err))))
  }

  /** The handlers of every user now registered (a copy: a handler may deregister its user). */
  handlers (): H[] {
    return [...this.users.values()]
  }

  get size (): number {
    return this.users.size
  }

  /**
   * For the config node's own close: resolves once every user has left and the resource they
   * closed is closed, or after `ms`. Users flush state on their close (checkpoints, a Logout),
   * and Node-RED may close the config node before them.
   */
  async whenEmpty (ms: number): Promise<void> {
    if (this.users.size > 0) {
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, ms)
        this.emptied.push(() => { clearTimeout(timer); resolve() })
      })
    }
    await this.closing.catch(() => {})
  }
}

/**
 * The config node a user names in its settings (`def.database`, `def.session`), if one of that
 * type is deployed: an explicit reference checked by type, never a cast or a walk of the flow.
 */
export function configNode<T extends Node> (RED: NodeAPI, id: string | undefined, type: string): T | undefined {
  if (id === undefined || id === '') return undefined
  const n = RED.nodes.getNode(id)
  return n !== null && n.type === type ? n as T : undefined
}
