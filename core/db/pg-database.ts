import { ClientBase, Pool, PoolClient, PoolConfig, ClientConfig } from 'pg'
import { parse as parseUrl } from 'pg-connection-string'
import {
  BatchError,
  Database,
  DedicatedConnection,
  ListenHandlers,
  QueryResult,
  Queryable,
  runInOrder,
  Statement,
  textTypeParser
} from './database'
import { validateChannel } from './channel'
import { announceTransactionEnd, mayWrite } from './commit-wake'
import { isStalePlan, StatementCache } from './statement-cache'
import { isTransientDbError } from './errors'
import { PgListener } from './pg-listener'
import { SleepMarker } from './sleep-marker'
import { PgDedicatedConnection } from './pg-dedicated'
import { assertKind, findServer, ServerChoice, serverChoice } from './pg-primary'
import { describeTarget, PgTarget, TargetSessionAttrs } from './pg-targets'
import { PoolFloor } from './pool-floor'

export interface PgOptions {
  /**
   * A URL (`postgresql://h1:5432,h2:5433/db?target_session_attrs=read-write`) or libpq key/value
   * string (`host=h1,h2 port=5432,5433 dbname=db`); several hosts as libpq takes them.
   */
  connectionString?: string
  host?: string
  port?: number
  /**
   * Several servers of one database (a primary and its standbys): the first that accepts writes
   * is used, and after a failover the next connection finds the new primary. Overrides host/port.
   */
  hosts?: PgTarget[]
  /** The kind of server wanted (libpq's target_session_attrs); default read-write with several hosts. */
  targetSessionAttrs?: TargetSessionAttrs
  database?: string
  user?: string
  password?: string
  /** false: no TLS; true: TLS with certificate checks; or node TLS options. */
  ssl?: boolean | { rejectUnauthorized?: boolean, ca?: string | Buffer, cert?: string | Buffer, key?: string | Buffer }
  /** Pool size (default 10). The LISTEN connection is one more. */
  max?: number
  /**
   * Connections kept open (default 0, at most max): opened in the background once the database
   * answers, never closed while idle, opened again after an outage or a failover (PoolFloor).
   */
  min?: number
  /** A connection above `min` idle this long is closed (default 30000). */
  idleTimeoutMillis?: number
  applicationName?: string
  connectionTimeoutMillis?: number
  /**
   * Runs of the same parameterized statement after which it is sent as a prepared statement
   * (default 3; 0 = never, for PgBouncer in transaction mode before 1.21).
   */
  prepareThreshold?: number
  /** Told about errors on idle connections, which pg would otherwise throw as uncaught. */
  onError?: (err: Error) => void
  /** Told when, with several servers, the pool moves to another one (`server` is host:port). */
  onServerChange?: (server: string, previous: string) => void
}

// Per-connection type parsing, so the process-wide pg.types stay untouched for other nodes.
const types = {
  getTypeParser (oid: number, format?: string): any {
    const parse = textTypeParser(oid)
    if (parse !== undefined && format !== 'binary') return parse

    return require('pg').types.getTypeParser(oid, format)
  }
}

/** Transient errors of a healthy server: no reason to look for another one. */
const CONTENTION = new Set(['40001', '40P01', '40003', '57014', '55P03'])

/** What node-postgres answers to a query (the parts read here). */
type RawResult = { rows: any[], rowCount: number | null, command?: string }

/**
 * A PostgreSQL server through a `pg` pool, with one dedicated connection for LISTEN.
 *
 * With several servers (options.hosts, or a connection string naming several) every connection
 * of the pool goes to one server, the current one, and each new connection is checked to be of
 * the kind wanted (read-write). A transient error (the server gone, refused, read-only: 25006)
 * makes the database try the list again in order; if another server is now the one wanted, the
 * pool is replaced by a pool on it (the old one ends as its connections come back) and the
 * LISTEN connection moves too. Callers simply retry transient errors, as they do for a restart,
 * and their retry lands on the new primary.
 */
export class PgDatabase implements Database {
  readonly kind = 'pg' as const
  private pool: Pool
  /** Each pool's floor of open connections (PoolFloor), stopped when the pool is left or closed. */
  private readonly floors = new WeakMap<Pool, PoolFloor>()
  private readonly clientConfig: ClientConfig
  private readonly choice: ServerChoice | undefined
  private target: PgTarget | undefined
  /** Pools replaced by a failover, ending as their checked-out connections are released. */
  private readonly retired = new Map<Pool, Promise<void>>()
  private rechecking: Promise<void> | undefined
  private listener: PgListener | undefined
  private readonly dedicatedConnections = new Set<PgDedicatedConnection>()
  private closing: Promise<void> | undefined
  private readonly statements: StatementCache

  /** @param target the server to start on, when the options name several (default: the first). */
  constructor (private readonly options: PgOptions, target?: PgTarget) {
    this.statements = new StatementCache(options.prepareThreshold ?? 3)
    this.choice = serverChoice(options)
    const base: ClientConfig = {
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
    // The string's own settings win over the explicit ones, as in pg; its hosts are in the choice.
    this.clientConfig = this.choice === undefined
      ? base
      : { ...base, connectionString: undefined, ...this.choice.config }
    this.target = this.choice === undefined ? undefined : target ?? this.choice.targets[0]
    this.pool = this.newPool()
  }

  /** The server in use, as host:port (the one chosen, with several). */
  get server (): string {
    if (this.target !== undefined) return describeTarget(this.target)
    let { host, port } = this.options as { host?: string, port?: number | string | null }
    if (this.options.connectionString !== undefined) {
      try {
        ({ host, port } = parseUrl(this.options.connectionString) as { host?: string, port?: string | null })
      } catch { /* pg reports the unreadable string at connect */ }
    }
    return `${host ?? 'localhost'}:${port ?? 5432}`
  }

  /** Every server it may use, as host:port (one, unless several were given). */
  get servers (): string[] {
    return this.choice === undefined ? [this.server] : this.choice.targets.map(describeTarget)
  }

  private configFor (target: PgTarget | undefined): ClientConfig {
    return target === undefined ? this.clientConfig : { ...this.clientConfig, host: target.host, port: target.port }
  }

  /** Checks a new connection's server kind (several servers only). */
  private readonly checkKind = async (client: ClientBase): Promise<void> => {
    if (this.choice !== undefined && this.target !== undefined) {
      await assertKind(client, this.choice.attrs, describeTarget(this.target))
    }
  }

  private newPool (): Pool {
    // Pipelined clients: batch() writes all of its statements before reading any answer. Every
    // other use awaits each query before the next, exactly as without pipelining.
    const max = this.options.max ?? 10
    const min = Math.min(this.options.min ?? 0, max)
    const poolConfig: PoolConfig = {
      ...this.configFor(this.target),
      max,
      // pg-pool closes idle connections only above min; the floor opens them (PoolFloor).
      min,
      idleTimeoutMillis: this.options.idleTimeoutMillis ?? 30000,
      pipeline: true
    }
    if (this.choice !== undefined && this.choice.attrs !== 'any') {
      // A connection is handed out only once its server is known to take writes.
      (poolConfig as { onConnect?: (c: ClientBase) => Promise<void> }).onConnect = this.checkKind
    }
    const pool = new Pool(poolConfig)
    // pg-pool listens for errors only on idle connections (and reports them here). A connection
    // lost while checked out (a transaction, a batch) emits 'error' with nobody listening, which
    // Node throws as an uncaught exception and which would end Node-RED. So every connection gets
    // a listener for its whole life; the error itself reaches the caller through its query.
    pool.on('connect', client => client.on('error', () => { this.lost.add(client) }))
    pool.on('error', err => {
      this.options.onError?.(err)
      if (pool === this.pool) this.suspect(err)
    })
    this.floors.set(pool, new PoolFloor(pool, min, c => this.release(c, undefined), err => {
      this.options.onError?.(err as Error)
      if (pool === this.pool) this.suspect(err)
    }))
    return pool
  }

  /**
   * A transient error with several servers: the current one may be gone or read-only. Tries the
   * list again (once at a time) and moves to another server if that is now the one wanted.
   */
  private suspect (err: unknown): void {
    if (this.choice === undefined || this.closed || this.rechecking !== undefined || !isTransientDbError(err)) return
    // Contention (serialization, deadlock, lock or statement timeout) says nothing about the server.
    if (CONTENTION.has(String((err as { code?: unknown }).code))) return
    const choice = this.choice
    this.rechecking = (async () => {
      const found = await findServer(choice, this.clientConfig).catch(() => undefined)
      if (found === undefined || this.closed) return
      const previous = this.target
      if (previous !== undefined && found.host === previous.host && found.port === previous.port) return
      this.moveTo(found, previous)
    })().finally(() => { this.rechecking = undefined })
  }

  private moveTo (target: PgTarget, previous: PgTarget | undefined): void {
    const old = this.pool
    this.target = target
    this.pool = this.newPool()
    this.floors.get(this.pool)?.fill()
    // Idle connections close now, checked-out ones when released: nothing in flight is cut.
    const ended = (async () => {
      await this.floors.get(old)?.stop()
      await old.end()
    })()
    this.retired.set(old, ended.catch(() => {}).finally(() => this.retired.delete(old)))
    this.listener?.retarget()
    for (const c of this.dedicatedConnections) c.drop()
    this.options.onServerChange?.(describeTarget(target), previous === undefined ? '' : describeTarget(previous))
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
      await db.startOnChosenServer()
      await db.query('SELECT 1')
      // The server answers: the rest of the floor opens in the background (its errors are retried).
      db.floors.get(db.pool)?.fill()
    } catch (err) {
      await db.close()
      throw err
    }
    return db
  }

  /** With several servers: starts on the first of the kind wanted (NoPrimaryError if none is, now). */
  private async startOnChosenServer (): Promise<void> {
    if (this.choice === undefined) return
    const found = await findServer(this.choice, this.clientConfig)
    if (this.target !== undefined && found.host === this.target.host && found.port === this.target.port) return
    const unused = this.pool
    this.target = found
    this.pool = this.newPool()
    await this.floors.get(unused)?.stop()
    await unused.end()
  }

  get closed (): boolean {
    return this.closing !== undefined
  }

  async query<R = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    this.assertOpen()
    try {
      const r = await this.watch(this.run(async q => await this.pool.query(q), text, params))
      return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length }
    } finally {
      // Its own transaction has ended, committed or not: a row held behind it may be readable now.
      if (mayWrite(text)) announceTransactionEnd(this)
    }
  }

  /** Passes on the outcome of `work`; a transient failure also makes the servers be checked again. */
  private async watch<T> (work: Promise<T>): Promise<T> {
    try {
      return await work
    } catch (err) {
      this.suspect(err)
      throw err
    }
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
    await this.watch(this.pool.query(script)).finally(() => announceTransactionEnd(this))
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen()
    return await this.watch(this.transactionOnce(fn)).finally(() => announceTransactionEnd(this))
  }

  private async transactionOnce<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
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
    return await this.watch(this.batchOnce(statements)).finally(() => announceTransactionEnd(this))
  }

  private async batchOnce (statements: readonly Statement[]): Promise<QueryResult[]> {
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
    return await this.listening().add(channel, handlers)
  }

  /** See Database.sleepMarker: the mark is taken on the LISTEN connection and goes with it. */
  sleepMarker (channel: string): SleepMarker {
    return new SleepMarker(validateChannel(channel), this.listening())
  }

  private listening (): PgListener {
    this.listener ??= new PgListener(() => this.configFor(this.target), this.options.onError, this.checkKind)
    return this.listener
  }

  /**
   * A connection outside the pool (see Database.dedicated), on the server the pool uses: it is
   * checked the same way (read-write, with several servers), its failures make the database look
   * for the primary again, and it moves with the pool after a failover.
   */
  dedicated (timeoutMs: number): DedicatedConnection {
    this.assertOpen()
    const c = new PgDedicatedConnection({
      config: () => this.configFor(this.target),
      check: this.checkKind,
      timeoutMs,
      onError: err => this.suspect(err)
    })
    this.dedicatedConnections.add(c)
    return c
  }

  async close (): Promise<void> {
    if (this.closing === undefined) {
      this.closing = (async () => {
        await Promise.all([...this.dedicatedConnections].map(async c => await c.close()))
        await this.listener?.close()
        await this.floors.get(this.pool)?.stop()
        await Promise.all([this.pool.end(), ...this.retired.values()])
      })()
    }
    await this.closing
  }

  /** Connections this pool holds now (for leak checks). */
  get connectionCount (): number {
    let n = this.pool.totalCount + (this.listener?.connected === true ? 1 : 0)
    for (const c of this.dedicatedConnections) n += c.connected ? 1 : 0
    for (const p of this.retired.keys()) n += p.totalCount
    return n
  }

  private assertOpen (): void {
    if (this.closed) throw new Error('the database connection is closed')
  }
}
