import type { StreamSource } from '../../core/stream'
import type { Registry } from '../shared/registry'

/** What the follower needs of the node. */
export interface FollowerHooks {
  /** The client to subscribe, undefined while there is none (database not open, standing by, closing). */
  client: () => { attach: (stream: StreamSource) => Promise<void> } | undefined
  /** Subscribing began: a wiring problem shown before is over. */
  attaching: () => void
  /** The subscription could not be made (the stream is not taken again until it is replaced). */
  failed: (error: string) => void
  /** The streamer nodes wired into the client now (the client follows the first). */
  wired: () => string[]
  /** Wired to `count` streamers (more than one), or to none (0). */
  miswired: (count: number) => void
}

/**
 * The client's subscription to the streamer wired into it, through the registry: it watches the
 * streamer's entry and subscribes at once when the streamer starts, and again when a redeploy
 * replaces it, whichever of the two nodes started first. A stream the streamer closed, or that
 * refused the subscription, is not taken again: the follower waits for its replacement.
 */
export class SourceFollower {
  private id: string | undefined
  private unwatch: (() => void) | undefined
  private source: StreamSource | undefined
  private readonly spent = new WeakSet<StreamSource>()

  constructor (private readonly registry: Registry<StreamSource>, private readonly hooks: FollowerHooks) {}

  /** The streamer node followed. */
  get streamerId (): string | undefined {
    return this.id
  }

  /** Whether the client is on a stream now. */
  get attached (): boolean {
    return this.source !== undefined
  }

  /**
   * Follows the first streamer wired into the client. Run again after every deploy (the wiring
   * lives on the streamer's side, so it can change while the client keeps running) and once the
   * client exists: a new id is watched, the same one is looked up again.
   */
  follow (): void {
    const ids = this.hooks.wired()
    if (ids.length !== 1) this.hooks.miswired(ids.length)
    const id: string | undefined = ids[0]
    if (id !== this.id) {
      this.unwatch?.()
      this.id = id
      this.unwatch = id === undefined ? undefined : this.registry.watch(id, s => this.attach(s))
    } else if (id !== undefined) {
      const now = this.registry.get(id)
      if (now !== undefined) this.attach(now)
    }
  }

  /** The streamer closed the stream under the client (its state went 'detached'). */
  detached (): void {
    if (this.source !== undefined) this.spent.add(this.source)
    this.source = undefined
  }

  /** The client went away (lease lost): the next one subscribes afresh. */
  dropped (): void {
    this.source = undefined
  }

  close (): void {
    this.unwatch?.()
  }

  private attach (stream: StreamSource): void {
    const client = this.hooks.client()
    if (client === undefined || stream === this.source || this.spent.has(stream)) return
    this.hooks.attaching()
    this.source = stream
    client.attach(stream).catch(err => {
      if (this.source === stream) this.source = undefined
      this.spent.add(stream)
      this.hooks.failed((err as Error).message ?? String(err))
    })
  }
}
