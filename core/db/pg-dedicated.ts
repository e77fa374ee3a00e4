import { Client, ClientBase, ClientConfig } from 'pg'
import type { DedicatedConnection, QueryResult } from './database'

/**
 * A statement on a dedicated connection got no answer in time. The connection is dropped (its
 * state is unknown) and the next statement opens a new one. SQLSTATE 08006 (connection failure):
 * callers treat it as transient.
 */
export class DedicatedTimeoutError extends Error {
  readonly code = '08006'
  constructor (readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms on the dedicated connection: the connection was lost`)
    this.name = 'DedicatedTimeoutError'
  }
}

export interface PgDedicatedOptions {
  /** The current server's settings, read at every connect: after a failover it reaches the new primary. */
  config: () => ClientConfig
  /** Run on each new connection before its first statement (the server kind, with several servers). */
  check?: (client: ClientBase) => Promise<void>
  /** How long a connect or a statement may take before the connection is given up. */
  timeoutMs: number
  /** Told about every failure (the database looks for another server after a transient one). */
  onError?: (err: unknown) => void
}

/**
 * One connection of its own, outside the pool: what runs on it never waits for a pooled
 * connection, so a pool that is exhausted (or whose connections all wait on slow statements)
 * cannot delay it. It connects on first use and again after any loss; statements run one after
 * another. Invariant: a statement that got no answer within `timeoutMs` ends the connection, so a
 * half-dead connection never holds later statements back for longer than that.
 */
export class PgDedicatedConnection implements DedicatedConnection {
  private client: Client | undefined
  private connecting: Promise<Client> | undefined
  private closedForGood = false
  private queue: Promise<unknown> = Promise.resolve()

  constructor (private readonly o: PgDedicatedOptions) {}

  get connected (): boolean {
    return this.client !== undefined
  }

  async query<R = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    // One statement at a time (a pg client would queue them too, but warns): each one's time
    // starts when it is sent, not while it waits for the one before.
    const turn = this.queue.then(async () => await this.run<R>(text, params))
    this.queue = turn.catch(() => {})
    return await turn
  }

  private async run<R>(text: string, params: readonly unknown[]): Promise<QueryResult<R>> {
    if (this.closedForGood) throw new Error('the database connection is closed')
    try {
      const client = await this.open()
      const r = await this.timed(client.query({ text, values: params as unknown[] }), client)
      return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length }
    } catch (err) {
      this.o.onError?.(err)
      throw err
    }
  }

  /** Drops the connection now (after a failover, or when nothing needs it); the next statement reconnects. */
  drop (): void {
    const c = this.client
    this.client = undefined
    if (c !== undefined) c.end().catch(() => {})
  }

  /** Ends the connection for good (the database closes). */
  async close (): Promise<void> {
    this.closedForGood = true
    const c = this.client
    this.client = undefined
    await this.connecting?.catch(() => {})
    if (c !== undefined) await c.end().catch(() => {})
  }

  private async open (): Promise<Client> {
    if (this.client !== undefined) return this.client
    this.connecting ??= this.connect().finally(() => { this.connecting = undefined })
    return await this.connecting
  }

  private async connect (): Promise<Client> {
    const config = this.o.config()
    const client = new Client({
      ...config,
      connectionTimeoutMillis: Math.min(config.connectionTimeoutMillis ?? this.o.timeoutMs, this.o.timeoutMs),
      keepAlive: true
    })
    // A lost connection emits 'error' (an uncaught exception without a listener): it is dropped.
    client.on('error', () => this.lost(client))
    client.on('end', () => this.lost(client))
    try {
      await this.timed(client.connect(), client)
      await this.o.check?.(client)
    } catch (err) {
      await client.end().catch(() => {}) // half-open: never left behind
      throw err
    }
    if (this.closedForGood) {
      await client.end().catch(() => {})
      throw new Error('the database connection is closed')
    }
    this.client = client
    return client
  }

  private lost (client: Client): void {
    if (this.client === client) this.drop()
  }

  private async timed<T> (work: Promise<T>, client: Client): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        if (this.client === client) this.drop()
        else client.end().catch(() => {})
        reject(new DedicatedTimeoutError(this.o.timeoutMs))
      }, this.o.timeoutMs)
    })
    try {
      return await Promise.race([work, timeout])
    } finally {
      clearTimeout(timer)
      work.catch(() => {}) // settled after the timeout: nobody waits for it any more
    }
  }
}
