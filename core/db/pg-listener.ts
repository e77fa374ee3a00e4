import { Client, ClientBase, ClientConfig } from 'pg'
import { ListenHandlers } from './database'
import { Backoff, sleep } from '../util/backoff'
import { isTransientDbError } from './errors'
import type { MarkerConnection } from './sleep-marker'

/**
 * One dedicated, never-pooled connection that LISTENs on every channel anyone asked for.
 * When it breaks it reconnects with backoff, LISTENs again and tells each listener, because
 * notifications sent while it was down are lost for good.
 */
export class PgListener implements MarkerConnection {
  private client: Client | undefined
  /** Connections made so far: the current one's number is its generation. */
  private connections = 0
  private readonly channels = new Map<string, Set<ListenHandlers>>()
  private readonly stop = new AbortController()
  private connecting: Promise<void> | undefined
  connected = false

  /**
   * @param config the settings of the current server, read at every connect: after a failover
   *   the reconnect reaches the new primary.
   * @param check run on each new connection before it LISTENs (the server kind, with several servers).
   */
  constructor (
    private readonly config: () => ClientConfig,
    private readonly onError?: (err: Error) => void,
    private readonly check?: (client: ClientBase) => Promise<void>
  ) {}

  /**
   * The server changed (a failover): drops the connection to the old one. The reconnect loop
   * connects to the new one and tells every listener, as after any lost connection.
   */
  retarget (): void {
    if (this.client !== undefined) this.lost(this.client)
  }

  async add (channel: string, handlers: ListenHandlers): Promise<() => Promise<void>> {
    let set = this.channels.get(channel)
    const isNew = set === undefined
    if (set === undefined) {
      set = new Set()
      this.channels.set(channel, set)
    }
    set.add(handlers)
    try {
      await this.ensureConnected()
      if (isNew && this.client !== undefined) await this.client.query(`LISTEN ${channel}`)
    } catch (err) {
      if (!isTransientDbError(err)) {
        set.delete(handlers)
        if (set.size === 0) this.channels.delete(channel)
        throw err
      }
      // The server is away: the reconnect loop LISTENs on every channel (this one included) and
      // tells each listener once it is back, as after any lost connection.
      this.onError?.(err as Error)
      void this.reconnectLoop()
    }
    return async () => {
      const s = this.channels.get(channel)
      if (s === undefined) return
      s.delete(handlers)
      if (s.size === 0) {
        this.channels.delete(channel)
        if (this.connected && this.client !== undefined) await this.client.query(`UNLISTEN ${channel}`).catch(() => {})
      }
    }
  }

  get generation (): number | undefined {
    return this.connected ? this.connections : undefined
  }

  /** A statement on the listening connection (a sleep mark, core/db/sleep-marker.ts). */
  async query (text: string, params: readonly unknown[]): Promise<{ rows: Array<Record<string, unknown>> }> {
    const c = this.client
    if (!this.connected || c === undefined) throw new Error('the LISTEN connection is down')
    return await c.query(text, params as unknown[])
  }

  async close (): Promise<void> {
    this.stop.abort()
    this.channels.clear()
    const c = this.client
    this.client = undefined
    this.connected = false
    if (c !== undefined) await c.end().catch(() => {})
  }

  private async ensureConnected (): Promise<void> {
    if (this.connected) return
    if (this.connecting === undefined) {
      this.connecting = this.connect().finally(() => { this.connecting = undefined })
    }
    await this.connecting
  }

  private async connect (): Promise<void> {
    const client = new Client(this.config())
    client.on('error', err => {
      this.onError?.(err)
      this.lost(client)
    })
    client.on('end', () => this.lost(client))
    client.on('notification', n => {
      for (const h of this.channels.get(n.channel) ?? []) h.onNotify(n.payload ?? '')
    })
    try {
      await client.connect()
      await this.check?.(client)
      for (const channel of this.channels.keys()) await client.query(`LISTEN ${channel}`)
    } catch (err) {
      await client.end().catch(() => {}) // half-open: never left behind
      throw err
    }
    if (this.stop.signal.aborted) {
      await client.end().catch(() => {})
      return
    }
    this.client = client
    this.connections++
    this.connected = true
  }

  private lost (client: Client): void {
    if (client !== this.client) return
    this.client = undefined
    this.connected = false
    client.end().catch(() => {})
    void this.reconnectLoop()
  }

  private reconnecting = false

  private async reconnectLoop (): Promise<void> {
    if (this.reconnecting) return
    this.reconnecting = true
    try {
      await this.reconnectUntilConnected()
    } finally {
      this.reconnecting = false
    }
  }

  private async reconnectUntilConnected (): Promise<void> {
    const backoff = new Backoff(500, 15000)
    while (!this.stop.signal.aborted && !this.connected) {
      await sleep(backoff.next(), this.stop.signal)
      if (this.stop.signal.aborted) return
      try {
        await this.ensureConnected()
      } catch (err) {
        this.onError?.(err as Error)
        continue
      }
      for (const set of this.channels.values()) for (const h of set) h.onReconnect?.()
    }
  }
}
