import { setMaxListeners } from 'events'
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red'
import type { Database, QueryResult, Statement } from '../../core/db'
import { describeDbError, needsOperator, Outage, retryTransient } from '../../core/db'
import { EVENT_SETTING, REASON_SETTING } from '../../core/stream'
import type { StreamerDatabaseNode } from '../streamer-database/types'
import { status } from '../shared/status'
import { translator } from '../shared/i18n'
import type { StreamerSqlDef } from './types'
import { SqlLabels, sqlDatabaseStatus, sqlFailedStatus, sqlWaitingStatus } from './status-text'
import catalog = require('./locales/en-US/streamer-sql.json')
import { isDate } from '../../core/util'
import { configNode } from '../shared/config-users'

type SqlMsg = NodeMessageInFlow & { payload?: unknown, rowCount?: number }
type Send = (msg: SqlMsg) => void
type Done = (err?: Error) => void

/** The values of one message, evaluated from the node's parameter list. */
interface Values { params: unknown[], event: unknown, reason: unknown }

interface Job { msg: SqlMsg, send: Send, done: Done, values: Promise<Values> }

/** Status updates for the statement count at most this often (a busy flow runs thousands per second). */
const STATUS_EVERY_MS = 250

/** Most messages one transaction takes in batch mode (the node's setting is capped here). */
const MAX_BATCH = 1000

/**
 * Runs one parameterised SQL statement per message on a `streamer-database` — the way to write
 * to the embedded database from a flow (Node-RED's PostgreSQL nodes cannot reach PGlite). The
 * statement is the flow author's; every value is a bound parameter ($1, $2 ...).
 *
 * Batch mode (batch > 1): the messages that arrive while a transaction runs go together into the
 * next one (group commit); each is sent on and done only after that commit. If the transaction
 * fails, its messages run again one by one, so only the failing message gets the error. With a
 * batch statement (set-based, parameters as arrays) the batch is that one statement; each message
 * is sent on with its rows (msg.payload, msg.rowCount) being those of the whole statement.
 */
export = function (RED: NodeAPI): void {
  const t = translator(RED, catalog)
  /** "1 statement", "2 statements": the count decides the word. */
  const ranText = (n: number): string =>
    n === 1 ? t('streamer-sql.status.ran-one') : t('streamer-sql.status.ran', { n })
  const labels: SqlLabels = {
    ready: t('streamer-sql.status.ready'),
    connecting: t('streamer-sql.status.connecting'),
    ran: ranText,
    failed: reason => t('streamer-sql.errors.failed', { error: reason })
  }

  function StreamerSql (this: Node, def: StreamerSqlDef): void {
    RED.nodes.createNode(this, def)
    const node = this
    const dbNode = configNode<StreamerDatabaseNode>(RED, def.database, 'streamer-database')
    const batchMax = batchSizeOf(def.batch)
    const hasEvent = def.event !== undefined && def.event !== ''
    const hasReason = def.reason !== undefined && def.reason !== ''
    // The set statement: one statement (one round trip, one firing of each statement trigger) for
    // the whole batch instead of one per message. Audit event and reason are set per message, one
    // per transaction, so a set statement cannot carry them: then the messages run one by one.
    const batchSql = typeof def.batchSql === 'string' && def.batchSql.trim() !== '' ? def.batchSql : undefined
    if (batchSql !== undefined && (hasEvent || hasReason)) node.warn(t('streamer-sql.log.batch-sql-unused'))
    const setSql = hasEvent || hasReason ? undefined : batchSql
    let statements = 0
    let closing = false
    // On error "retry" (default): transient database errors (connection lost, server restarting,
    // deadlock, serialization failure, statement timeout) wait and run the message again; only
    // permanent errors fail it. "fail": every error fails the message at once.
    const retrying = def.onError !== 'fail'
    const stopRetrying = new AbortController()
    // Every waiting message listens on it (one abort listener each): no leak warning at 11.
    setMaxListeners(0, stopRetrying.signal)
    const outage = new Outage()
    /** While the database is away, new messages wait behind the first failed one (keeps order). */
    let blocked: Promise<void> | undefined
    let unblock: (() => void) | undefined

    if (dbNode === undefined) {
      node.status(status.error(t('streamer-sql.errors.no-database')))
    } else {
      dbNode.register(node, s => {
        const shown = sqlDatabaseStatus(s, statements, outage.active, labels)
        if (shown !== undefined) node.status(shown)
      })
    }

    // Compiled once: a JSONata expression is prepared at deploy, not per message.
    const getters = (Array.isArray(def.params) ? def.params : []).map(p => compile(p.v, p.vt))
    const eventGetter = hasEvent ? compile(def.event, def.eventType ?? 'str') : undefined
    const reasonGetter = hasReason ? compile(def.reason, def.reasonType ?? 'str') : undefined

    function compile (value: string, type: string): (msg: SqlMsg) => Promise<unknown> {
      if (type === 'jsonata') {
        const expr = RED.util.prepareJSONataExpression(value, node)
        return async msg =>
          await new Promise((resolve, reject) =>
            RED.util.evaluateJSONataExpression(expr, msg, (err: Error | null, v: unknown) =>
              err !== null && err !== undefined ? reject(err) : resolve(v)
            )
          )
      }
      if (type === 'msg') return async msg => RED.util.getMessageProperty(msg, value)
      return async msg =>
        await new Promise((resolve, reject) =>
          RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null, v: unknown) =>
            err !== null && err !== undefined ? reject(err) : resolve(v)
          )
        )
    }

    async function valuesOf (msg: SqlMsg): Promise<Values> {
      if (dbNode === undefined) throw new Error(t('streamer-sql.errors.no-database'))
      if (typeof def.sql !== 'string' || def.sql.trim() === '') throw new Error(t('streamer-sql.errors.no-sql'))
      const params: unknown[] = []
      for (const g of getters) params.push(toParam(await g(msg)))
      return { params, event: await eventGetter?.(msg), reason: await reasonGetter?.(msg) }
    }

    // ---- status: the count at most every STATUS_EVERY_MS, errors at once
    let statusTimer: NodeJS.Timeout | undefined
    let statusShownAt = 0
    function ran (n: number): void {
      statements += n
      if (statusTimer !== undefined || closing) return
      const wait = statusShownAt + STATUS_EVERY_MS - Date.now()
      if (wait <= 0) return showCount()
      statusTimer = setTimeout(() => { statusTimer = undefined; showCount() }, wait)
    }
    function showCount (): void {
      statusShownAt = Date.now()
      node.status(status.ok(ranText(statements)))
    }
    function failed (job: Job, err: unknown): void {
      const text = describeDbError(err)
      if (statusTimer !== undefined) clearTimeout(statusTimer)
      statusTimer = undefined
      node.status(sqlFailedStatus(text, labels))
      job.done(new Error(t('streamer-sql.errors.failed', { error: text })))
    }
    /** Runs `fn`, retrying transient errors with backoff unless On error is "fail" or the node closes. */
    async function attempt<T> (fn: () => Promise<T>): Promise<T> {
      if (!retrying) return await fn()
      const r = await retryTransient(fn, { signal: stopRetrying.signal, onWaiting: err => waiting(err) })
      if (outage.end()) {
        node.log(t('streamer-sql.log.back'))
        const open = unblock
        blocked = undefined
        unblock = undefined
        open?.()
        if (statusTimer === undefined) showCount()
      }
      return r
    }
    function waiting (err: unknown): void {
      const text = describeDbError(err)
      if (outage.begin(text)) {
        node.warn(t('streamer-sql.log.waiting', { error: text }))
        blocked = new Promise(resolve => { unblock = resolve })
      }
      if (statusTimer !== undefined) clearTimeout(statusTimer)
      statusTimer = undefined
      node.status(sqlWaitingStatus(text, needsOperator(err)))
    }
    function succeeded (job: Job, result: QueryResult): void {
      job.msg.payload = result.rows
      job.msg.rowCount = result.rowCount
      job.send(job.msg)
      job.done()
    }

    // ---- one message, on its own (batch 1, and the fallback of a failed batch)
    async function runOne (db: Database, v: Values): Promise<QueryResult> {
      const event = v.event
      const reason = v.reason
      if (event === undefined && reason === undefined) {
        return await attempt(async () => await db.query(def.sql, v.params))
      }
      return await attempt(async () => await db.transaction(async tx => {
        // Transaction-local: the audit trigger records them for this statement only.
        if (event !== undefined) await tx.query('SELECT set_config($1, $2, true)', [EVENT_SETTING, String(event)])
        if (reason !== undefined) await tx.query('SELECT set_config($1, $2, true)', [REASON_SETTING, String(reason)])
        return await tx.query(def.sql, v.params)
      }))
    }

    // ---- batch mode: group commit of the messages queued while a transaction runs
    const queue: Job[] = []
    let active = 0
    let idleWaiters: Array<() => void> = []

    function kick (): void {
      if (active > 0 || queue.length === 0) return
      active++
      const jobs = queue.splice(0, batchMax)
      runBatch(jobs).catch(err => { for (const j of jobs) failed(j, err) }).finally(() => {
        active--
        kick()
        settle()
      })
    }

    async function runBatch (jobs: Job[]): Promise<void> {
      const ready: Array<{ job: Job, v: Values }> = []
      for (const job of jobs) {
        try {
          ready.push({ job, v: await job.values })
        } catch (err) {
          failed(job, err)
        }
      }
      if (ready.length === 0) return
      const db = await dbNode!.acquire()
      if (ready.length > 1 && setSql !== undefined && await runSet(db, setSql, ready)) return
      if (ready.length > 1) {
        let results: QueryResult[] | undefined
        const stmts: Statement[] = []
        const at: number[] = []
        for (const { v } of ready) {
          // Every message sets both (empty = none), so no value leaks into the next message's rows.
          if (hasEvent) {
            stmts.push({
              text: 'SELECT set_config($1, $2, true)',
              params: [EVENT_SETTING, v.event === undefined ? '' : String(v.event)]
            })
          }
          if (hasReason) {
            stmts.push({
              text: 'SELECT set_config($1, $2, true)',
              params: [REASON_SETTING, v.reason === undefined ? '' : String(v.reason)]
            })
          }
          at.push(stmts.length)
          stmts.push({ text: def.sql, params: v.params })
        }
        try {
          results = await attempt(async () => await db.batch(stmts))
        } catch {
          // Nothing was committed (a permanent error, or the node is closing while the database is
          // away): each message again on its own, so only the failing one errs.
        }
        if (results !== undefined) {
          ran(ready.length)
          ready.forEach(({ job }, i) => succeeded(job, results![at[i]]))
          return
        }
      }
      for (const { job, v } of ready) {
        try {
          const r = await runOne(db, v)
          ran(1)
          succeeded(job, r)
        } catch (err) {
          failed(job, err)
        }
      }
    }

    /**
     * The batch as one statement, parameter $k the array of every message's $k value in message
     * order. It commits on its own (autocommit), and each message is sent on only after that. False
     * when it failed: nothing was committed, and the caller runs the messages one by one.
     */
    async function runSet (db: Database, sql: string, ready: Array<{ job: Job, v: Values }>): Promise<boolean> {
      const arrays = getters.map((_, k) => ready.map(({ v }) => v.params[k]))
      let result: QueryResult
      try {
        result = await attempt(async () => await db.query(sql, arrays))
      } catch {
        return false
      }
      ran(1)
      // Each message its own array of the statement's rows, so a node downstream may change one.
      for (const { job } of ready) succeeded(job, { ...result, rows: result.rows.slice() })
      return true
    }

    function settle (): void {
      if (active > 0 || queue.length > 0) return
      const w = idleWaiters
      idleWaiters = []
      for (const resolve of w) resolve()
    }

    node.on('input', (msg: SqlMsg, send: Send, done: Done) => {
      const values = valuesOf(msg)
      if (batchMax > 1) {
        values.catch(() => {}) // handled by the batch that takes it
        queue.push({ msg, send, done, values })
        kick()
        return
      }
      active++
      const job: Job = { msg, send, done, values }
      values.then(async v => {
        // Behind an outage: wait for the message that is retrying, so this one does not overtake it.
        while (blocked !== undefined && !stopRetrying.signal.aborted) await Promise.race([blocked, closed])
        const r = await runOne(await dbNode!.acquire(), v)
        ran(1)
        succeeded(job, r)
      }).catch(err => failed(job, err)).finally(() => {
        active--
        settle()
      })
    })

    let markClosed: () => void = () => {}
    const closed = new Promise<void>(resolve => { markClosed = resolve })

    node.on('close', (_removed: boolean, done: () => void) => {
      // Messages waiting for the database fail now (their error says why); the rest finish.
      stopRetrying.abort()
      markClosed()
      // Statements already taken finish (and commit) before the database may close.
      const finish = (): void => {
        closing = true
        if (statusTimer !== undefined) clearTimeout(statusTimer)
        if (dbNode === undefined) return done()
        dbNode.deregister(node, () => done())
      }
      if (active === 0 && queue.length === 0) return finish()
      idleWaiters.push(finish)
    })
  }

  RED.nodes.registerType('streamer-sql', StreamerSql)
}

/** The batch setting: a whole number from 1 (one statement per message, the default) to MAX_BATCH. */
function batchSizeOf (v: unknown): number {
  const n = Math.floor(Number(v))
  return Number.isFinite(n) && n > 1 ? Math.min(n, MAX_BATCH) : 1
}

/** Objects and arrays go to PostgreSQL as JSON text (for json/jsonb parameters); Dates as ISO. */
function toParam (v: unknown): unknown {
  if (v === undefined) return null
  if (isDate(v)) return v.toISOString()
  if (Buffer.isBuffer(v)) return v
  if (typeof v === 'object' && v !== null) return JSON.stringify(v)
  return v
}
