import { Client, Pool, PoolClient, PoolConfig, ClientConfig } from 'pg'
import {
  BatchError,
  Database,
  ListenHandlers,
  QueryResult,
  Queryable,
  runInOrder,
  Statement,
  textTypeParser
} from './database'
import { validateChannel } from './channel'
import { Backoff, sleep } from '../util/backoff'
import { isStalePlan, StatementCache } from './statement-cache'
import { isTransientDbError } from './errors'

export interface PgOptions {
  connectionString?: string
  host?: string
  port?: number
  database?: string
  user?: string
  password?: string
  /** false: no TLS; true: TLS with certificate checks; or node TLS options. */
  ssl?: boolean | { rejectUnauthorized?: boolean, ca?: string | Buffer, cert?: string | Buffer, key?: string | Buffer }
  /** Pool size (default 10). The LISTEN connection is one more. */
  max?: number
  applicationName?: string
  connectionTimeoutMillis?: number
  /**
   * Runs of the same parameterized statement after which it is sent as a prepared statement
   * (default 3; 0 = never, for PgBouncer in transaction mode before 1.21).
   */
  prepareThreshold?: number
  /** Told about errors on idle connections, which pg would otherwise throw as uncaught. */
  onError?: (err: Error) => void
}

// Per-connection type parsing, so the process-wide pg.types stay untouched for other nodes.
const types = {
  getTypeParser (oid: number, format?: string): any {
    const parse = textTypeParser(oid)
    if (parse !== undefined && format !== 'binary') return parse

    return require('pg').types.getTypeParser(oid, format)
  }
}

/** A PostgreSQL server through a `pg` pool, with one dedicated connection for LISTEN. */
/** What node-postgres answers to a query (the parts read here). */
type RawResult = { rows: any[], rowCount: number | null, command?: string }

export class PgDatabase implements Database {
  readonly kind = 'pg' as const
  private readonly pool: Pool
  private readonly clientConfig: ClientConfig
  private listener: PgListener | undefined
  private closing: Promise<void> | undefined
  private readonly statements: StatementCache

  constructor (private readonly options: PgOptions) {
    this.statements = new StatementCache(options.prepareThreshold ?? 3)
    this.clientConfig = {
      connectionString: options.connectionString,
      host: options.host,
      port: options.port,
      database: options.database,
      user: options.user,
      password: options.password,
      ssl: options.ssl,
      application_name: options.applicationName ?? 'node-red-fix-streamers',
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10000,
      // Timestamps come back in UTC whatever the server's default is.
      options: '-c TimeZone=UTC',
      types
    }
    // Pipelined clients: batch() writes all of its statements before reading any answer. Every
    // other use awaits each query before the next, exactly as without pipelining.
    const poolConfig: PoolConfig = {
      ...this.clientConfig,
      max: options.max ?? 10,
      idleTimeoutMillis: 30000,
      pipeline: true
    }
    this.pool = new Pool(poolConfig)
    // pg-pool listens for errors only on idle connections (and reports them here). A connection
    // lost while checked out (a transaction, a batch) emits 'error' with nobody listening, which
    // Node throws as an uncaught exception and which would end Node-RED. So every connection gets
    // a listener for its whole life; the error itself reaches the caller through its query.
    this.pool.on('connect', client => client.on('error', () => { this.lost.add(client) }))
    this.pool.on('error', err => this.options.onError?.(err))
  }

  /** Checked-out connections that broke: released with an error, so the pool drops them. */
  private readonly lost = new WeakSet<PoolClient>()

  private release (client: PoolClient, broken: Error | undefined): void {
    client.release(broken ?? (this.lost.has(client) ? new Error('the connection was lost') : undefined))
  }

  /** Opens the pool and proves the server answers; throws the server's error otherwise. */
  static async open (options: PgOptions): Promise<PgDatabase> {
    const db = new PgDatabase(options)
    try {
      await db.query('SELECT 1')
    } catch (err) {
      await db.close()
      throw err
    }
    return db
  }

  get closed (): boolean {
    return this.closing !== undefined
  }

  async query<R = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    this.assertOpen()
    const r = await this.run(async q => await this.pool.query(q), text, params)
    return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length }
  }

  /** Named prepared statements in use (for tests and tools). */
  get preparedStatements (): number {
    return this.statements.size
  }

  /**
   * Runs one statement, named once it has been run often enough (see StatementCache). A plan
   * made stale by a change of the table is prepared again under a new name, and the statement
   * run once more: the server refused it before executing anything. Inside a transaction (which
   * that error aborts) it is only renamed, for the caller's next try.
   */
  private async run (
    send: (q: { text: string, values: unknown[], name?: string }) => Promise<RawResult>,
    text: string, params: readonly unknown[], retry = true
  ): Promise<RawResult> {
    const q = this.named({ text, params })
    try {
      return await send(q)
    } catch (err) {
      if (q.name === undefined || !isStalePlan(err)) throw err
      this.statements.invalidate(text)
      if (!retry) throw err
      return await send(this.named({ text, params }))
    }
  }

  async exec (script: string): Promise<void> {
    this.assertOpen()
    // No parameters: pg uses the simple query protocol, which runs several statements in one
    // implicit transaction.
    await this.pool.query(script)
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen()
    const client: PoolClient = await this.pool.connect()
    let broken: Error | undefined
    try {
      await client.query('BEGIN')
      const result = await fn({
        query: async <R>(text: string, params: readonly unknown[] = []) => {
          const r = await this.run(async q => await client.query(q), text, params, false)
          return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length }
        }
      })
      await client.query('COMMIT')
      return result
    } catch (err) {
      try {
        await client.query('ROLLBACK')
      } catch (rollbackErr) {
        // The connection itself is gone: do not hand it back to the pool.
        broken = rollbackErr as Error
      }
      throw err
    } finally {
      this.release(client, broken)
    }
  }

  async batch (statements: readonly Statement[]): Promise<QueryResult[]> {
    this.assertOpen()
    if (statements.length === 0) return []
    const client: PoolClient = await this.pool.connect()
    let broken: Error | undefined
    try {
      if ((client as { pipeline?: boolean }).pipeline !== true) return await this.batchInOrder(client, statements)
      // BEGIN, the statements and COMMIT in one write and one round trip. A failing statement
      // aborts the transaction: the ones after it fail too and COMMIT answers ROLLBACK.
      const stream = (client as unknown as { connection?: { stream?: { cork?: () => void; uncork?: () => void } } })
        .connection?.stream
      let sent: Array<Promise<{ command?: string, rows: unknown[], rowCount: number | null }>>
      stream?.cork?.()
      try {
        sent = [
          client.query('BEGIN'),
          ...statements.map(async s => await client.query(this.named(s))),
          client.query('COMMIT')
        ]
      } finally {
        stream?.uncork?.()
      }
      const settled = await Promise.allSettled(sent)
      const commit = settled[settled.length - 1]
      if (commit.status === 'rejected') broken = commit.reason as Error // the connection's state is unknown
      const failed = settled.findIndex(r => r.status === 'rejected')
      if (failed >= 0) {
        const index = failed === 0 || failed === settled.length - 1 ? -1 : failed - 1
        // Inside a transaction it cannot be run again: renamed, it is prepared afresh next time.
        if (index >= 0 && isStalePlan((settled[failed] as PromiseRejectedResult).reason)) {
          this.statements.invalidate(statements[index].text)
        }
        throw new BatchError(index, (settled[failed] as PromiseRejectedResult).reason)
      }
      if ((commit as PromiseFulfilledResult<{ command?: string }>).value.command !== 'COMMIT') {
        throw new BatchError(-1, new Error('the transaction was rolled back'))
      }
      return settled.slice(1, -1).map(r => {
        const v = (r as PromiseFulfilledResult<{ rows: unknown[], rowCount: number | null }>).value
        return { rows: v.rows as Array<Record<string, unknown>>, rowCount: v.rowCount ?? v.rows.length }
      })
    } finally {
      this.release(client, broken)
    }
  }

  /** A statement with its name once it is run often enough. */
  private named (s: Statement): { text: string, values: unknown[], name?: string } {
    const values = (s.params ?? []) as unknown[]
    // Without parameters a text may hold several statements (simple protocol): never named.
    const name = values.length > 0 ? this.statements.nameFor(s.text) : undefined
    return name === undefined ? { text: s.text, values } : { text: s.text, values, name }
  }

  /** A batch on a client without pipelining: one statement per round trip. */
  private async batchInOrder (client: PoolClient, statements: readonly Statement[]): Promise<QueryResult[]> {
    const tx: Queryable = {
      query: async <R>(text: string, params: readonly unknown[] = []) => {
        const r = await client.query(this.named({ text, params }))
        return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length }
      }
    }
    await client.query('BEGIN')
    try {
      const results = await runInOrder(tx, statements)
      await client.query('COMMIT')
      return results
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err instanceof BatchError ? err : new BatchError(-1, err)
    }
  }

  async listen (channel: string, handlers: ListenHandlers): Promise<() => Promise<void>> {
    this.assertOpen()
    validateChannel(channel)
    if (this.listener === undefined) this.listener = new PgListener(this.clientConfig, this.options.onError)
    return await this.listener.add(channel, handlers)
  }

  async close (): Promise<void> {
    if (this.closing === undefined) {
      this.closing = (async () => {
        await this.listener?.close()
        await this.pool.end()
      })()
    }
    await this.closing
  }

  /** Connections this pool holds now (for leak checks). */
  get connectionCount (): number {
    return this.pool.totalCount + (this.listener?.connected === true ? 1 : 0)
  }

  private assertOpen (): void {
    if (this.closed) throw new Error('the database connection is closed')
  }
}

/**
 * One dedicated, never-pooled connection that LISTENs on every channel anyone asked for.
 * When it breaks it reconnects with backoff, LISTENs again and tells each listener, because
 * notifications sent while it was down are lost for good.
 */
class PgListener {
  private client: Client | undefined
  private readonly channels = new Map<string, Set<ListenHandlers>>()
  private readonly stop = new AbortController()
  private connecting: Promise<void> | undefined
  connected = false

  constructor (private readonly config: ClientConfig, private readonly onError?: (err: Error) => void) {}

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
    const client = new Client(this.config)
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
