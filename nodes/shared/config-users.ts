import type { Node, NodeAPI } from 'node-red'

/** What a config node shares among its users: opened by the first, closed when the last has left. */
export interface SharedResource {
  /** Starts opening (a database pool, a FIX session); errors are the resource's own to report. */
  open: () => void
  /** Closes it; resolves once closed (a FIX session after its Logout, a pool after its last query). */
  close: () => Promise<void>
  /**
   * Whether the last user closes it also when that user is only redeployed, not removed. Node-RED's
   * broker does not (its users pass `removed` as autoDisconnect); a FIX session does, as it always
   * did: a clean Logout stores its numbers, and the next Logon continues them.
   */
  closeOnRedeploy?: boolean
}

/**
 * The users of a config node (the database, the FIX session), kept as Node-RED's MQTT broker node
 * keeps its users. A user calls `register(node, handlers)` when it starts and
 * `deregister(node, done, removed)` from its close. The first user opens the shared resource: a
 * config node nobody uses opens nothing. When the last user is removed from the flows, the
 * resource closes and `done` is called only once it has closed, so the next user starts on a
 * closed resource, never on one still closing. A user that leaves while others stay closes
 * nothing: redeploying one of them does not cut the others off. A last user that is only
 * redeployed closes it too if the resource says so (`closeOnRedeploy`). Plain TypeScript.
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
   * Removes the user; the last one closes the resource (see the class). `done` is called once that
   * close has finished, else at once; a failed close is passed to it. `removed`: the user's close
   * was for its removal from the flows (Node-RED's first close argument), not a redeploy.
   */
  deregister (user: { id: string }, done: (err?: Error) => void = () => {}, removed = false): void {
    if (!this.users.delete(user.id) || this.users.size > 0) return done()
    for (const tell of this.emptied.splice(0)) tell()
    if (!removed && this.resource.closeOnRedeploy !== true) return done()
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
