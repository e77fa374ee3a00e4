import { setMaxListeners } from 'events'
import type { Database, QueryResult } from '../../core/db'
import { describeDbError, needsOperator, Outage, retryTransient } from '../../core/db'
import { batchStatements, messageStatements, setParams, Values } from './statements'

/** One message: its values (a promise while still being evaluated) and what to call when its statement is done. */
export interface Job {
  values: Values | Promise<Values>
  succeeded: (result: QueryResult) => void
  failed: (err: unknown) => void
}

export interface RunnerOptions {
  sql: string
  /** Most messages per transaction; 1 runs each message on its own, in arrival order. */
  batchMax: number
  /** Whether every message of a batch sets the audit event, the reason (so none leaks into the next). */
  has: { event: boolean, reason: boolean }
  /**
   * Batch SQL: one set-based statement for a batch of two or more, parameter $k bound as the array
   * of every message's $k value in message order. Undefined: one statement per message.
   */
  setSql?: string
  /** Wait and run again after a transient database error (On error "retry"); else fail at once. */
  retrying: boolean
  acquire: () => Promise<Database>
  /** `n` statements committed. */
  ran: (n: number) => void
  /**
   * A transient error: the outage begins or goes on, and `say` is true when it is worth a log line
   * (the outage's first failure, or a new cause a person must clear); the message waits and runs again.
   */
  waiting: (err: unknown, say: boolean) => void
  /** The database answered again after an outage. */
  back: () => void
}

/**
 * Runs the messages' statements on the database, plain TypeScript. Batch mode (batchMax > 1): the
 * messages that arrive while a transaction runs go together into the next one (group commit);
 * each is done only after that commit. If the transaction fails, its messages run again one by
 * one, so only the failing message gets the error. With a batch statement (set-based, parameters
 * as arrays) the batch is that one statement; each message is done with the rows (msg.payload,
 * msg.rowCount) of the whole statement. One at a time: while the database is away,
 * new messages wait behind the first failed one, so none overtakes it.
 */
export class SqlRunner {
  private readonly outage = new Outage()
  private readonly stopRetrying = new AbortController()
  private readonly queue: Job[] = []
  private active = 0
  private idleWaiters: Array<() => void> = []
  private blocked: Promise<void> | undefined
  private unblock: (() => void) | undefined
  private markClosed: () => void = () => {}
  private readonly closed = new Promise<void>(resolve => { this.markClosed = resolve })

  constructor (private readonly o: RunnerOptions) {
    // Every waiting message listens on it (one abort listener each): no leak warning at 11.
    setMaxListeners(0, this.stopRetrying.signal)
  }

  /** Whether a database outage is going on (the node's status shows it, not the count). */
  get inOutage (): boolean {
    return this.outage.active
  }

  push (job: Job): void {
    if (this.o.batchMax > 1) {
      if (job.values instanceof Promise) job.values.catch(() => {}) // handled by the batch that takes it
      this.queue.push(job)
      return this.kick(true)
    }
    this.active++
    Promise.resolve(job.values).then(async v => {
      while (this.blocked !== undefined && !this.stopRetrying.signal.aborted) {
        await Promise.race([this.blocked, this.closed])
      }
      const r = await this.runOne(await this.o.acquire(), v)
      this.o.ran(1)
      job.succeeded(r)
    }).catch(err => job.failed(err)).finally(() => this.finished())
  }

  /**
   * Messages waiting for the database fail now (their error says why); statements already taken
   * finish, and commit, before this resolves: only then may the database close.
   */
  async close (): Promise<void> {
    this.stopRetrying.abort()
    this.markClosed()
    if (this.active === 0 && this.queue.length === 0) return
    await new Promise<void>(resolve => this.idleWaiters.push(resolve))
  }

  private finished (): void {
    this.active--
    this.settle()
  }

  private settle (): void {
    if (this.active > 0 || this.queue.length > 0) return
    for (const resolve of this.idleWaiters.splice(0)) resolve()
  }

  /**
   * Starts the next transaction if none runs. The first message of a burst (`idle`) waits one turn
   * of the event loop for the rest: Node-RED hands a stream batch on one message per immediate
   * callback, and without the wait the first was committed alone while the rest waited for that
   * commit, then paid their own (two commits in a row for a burst). Counted as active meanwhile, so
   * close() waits for it; nothing is done before its commit either way.
   */
  private kick (idle: boolean): void {
    if (this.active > 0 || this.queue.length === 0) return
    this.active++
    const run = async (): Promise<void> => {
      if (idle) await new Promise<void>(resolve => setImmediate(resolve))
      const jobs = this.queue.splice(0, this.o.batchMax)
      await this.runBatch(jobs).catch(err => { for (const j of jobs) j.failed(err) })
    }
    void run().finally(() => {
      this.active--
      this.kick(false)
      this.settle()
    })
  }

  /** Runs `fn`, retrying transient errors with backoff unless On error is "fail" or the node closes. */
  private async attempt<T> (fn: () => Promise<T>): Promise<T> {
    if (!this.o.retrying) return await fn()
    const r = await retryTransient(fn, { signal: this.stopRetrying.signal, onWaiting: err => this.waiting(err) })
    if (this.outage.end()) {
      const open = this.unblock
      this.blocked = undefined
      this.unblock = undefined
      open?.()
      this.o.back()
    }
    return r
  }

  private waiting (err: unknown): void {
    const { first, say } = this.outage.begin(describeDbError(err), needsOperator(err))
    if (first) this.blocked = new Promise(resolve => { this.unblock = resolve })
    this.o.waiting(err, say)
  }

  /** One message on its own (batch 1, and the fallback of a failed batch). */
  private async runOne (db: Database, v: Values): Promise<QueryResult> {
    const settings = messageStatements(this.o.sql, v)
    const statement = settings.pop()!
    if (settings.length === 0) return await this.attempt(async () => await db.query(statement.text, statement.params))
    return await this.attempt(async () => await db.transaction(async tx => {
      for (const s of settings) await tx.query(s.text, s.params)
      return await tx.query(statement.text, statement.params)
    }))
  }

  /**
   * The batch as one statement. It commits on its own (autocommit), and each message is done only
   * after that. False when it failed: nothing was committed, and the caller runs them one by one.
   */
  private async runSet (db: Database, sql: string, ready: Array<{ job: Job, v: Values }>): Promise<boolean> {
    let result: QueryResult
    try {
      result = await this.attempt(async () => await db.query(sql, setParams(ready.map(r => r.v))))
    } catch {
      return false
    }
    this.o.ran(1)
    // Each message its own array of the statement's rows, so a node downstream may change one.
    for (const { job } of ready) job.succeeded({ ...result, rows: result.rows.slice() })
    return true
  }

  private async runBatch (jobs: Job[]): Promise<void> {
    const ready: Array<{ job: Job, v: Values }> = []
    for (const job of jobs) {
      try {
        ready.push({ job, v: job.values instanceof Promise ? await job.values : job.values })
      } catch (err) {
        job.failed(err)
      }
    }
    if (ready.length === 0) return
    const db = await this.o.acquire()
    if (ready.length > 1 && this.o.setSql !== undefined && await this.runSet(db, this.o.setSql, ready)) return
    if (ready.length > 1) {
      const { statements, at } = batchStatements(this.o.sql, ready.map(r => r.v), this.o.has)
      let results: QueryResult[] | undefined
      try {
        results = await this.attempt(async () => await db.batch(statements))
      } catch {
        // Nothing was committed (a permanent error, or the node is closing while the database is
        // away): each message again on its own, so only the failing one errs.
      }
      if (results !== undefined) {
        this.o.ran(ready.length)
        ready.forEach(({ job }, i) => job.succeeded(results![at[i]]))
        return
      }
    }
    for (const { job, v } of ready) {
      try {
        const r = await this.runOne(db, v)
        this.o.ran(1)
        job.succeeded(r)
      } catch (err) {
        job.failed(err)
      }
    }
  }
}
