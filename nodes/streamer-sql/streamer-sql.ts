import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red'
import type { QueryResult } from '../../core/db'
import { describeDbError, needsOperator } from '../../core/db'
import type { StreamerDatabaseNode } from '../streamer-database/types'
import { status } from '../shared/status'
import { translator } from '../shared/i18n'
import { configNode } from '../shared/config-users'
import { Throttle } from '../shared/throttle'
import type { StreamerSqlDef } from './types'
import { SqlLabels, sqlDatabaseStatus, sqlFailedStatus, sqlWaitingStatus } from './status-text'
import { batchSizeOf, Values } from './statements'
import { SqlRunner } from './runner'
import { hasSetting, valueReader } from './values'
import catalog = require('./locales/en-US/streamer-sql.json')

type SqlMsg = NodeMessageInFlow & { payload?: unknown, rowCount?: number }

/** Status updates for the statement count at most this often (a busy flow runs thousands per second). */
const STATUS_EVERY_MS = 250

/**
 * Runs one parameterised SQL statement per message on a `streamer-database` — the way to write
 * to the embedded database from a flow (Node-RED's PostgreSQL nodes cannot reach PGlite). The
 * statement is the flow author's; every value is a bound parameter ($1, $2 ...). The running,
 * batching (with an optional set-based Batch SQL) and retrying is SqlRunner's (runner.ts); this is
 * the glue.
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
    const hasEvent = hasSetting(def.event)
    const hasReason = hasSetting(def.reason)
    // The set statement: one statement (one round trip, one firing of each statement trigger) for
    // the whole batch instead of one per message. Audit event and reason are set per message, one
    // per transaction, so a set statement cannot carry them: then the messages run one by one.
    const batchSql = typeof def.batchSql === 'string' && def.batchSql.trim() !== '' ? def.batchSql : undefined
    if (batchSql !== undefined && (hasEvent || hasReason)) node.warn(t('streamer-sql.log.batch-sql-unused'))
    let statements = 0
    const counted = new Throttle(STATUS_EVERY_MS, () => node.status(status.ok(ranText(statements))))
    const runner = new SqlRunner({
      sql: def.sql,
      batchMax: batchSizeOf(def.batch),
      has: { event: hasEvent, reason: hasReason },
      setSql: hasEvent || hasReason ? undefined : batchSql,
      // On error "retry" (default): transient database errors (connection lost, server restarting,
      // deadlock, serialization failure, statement timeout) wait and run the message again.
      retrying: def.onError !== 'fail',
      acquire: async () => await dbNode!.acquire(),
      ran: n => {
        statements += n
        counted.poke()
      },
      waiting: (err, say) => {
        const text = describeDbError(err)
        if (say) node.warn(t('streamer-sql.log.waiting', { error: text }))
        counted.cancel()
        node.status(sqlWaitingStatus(text, needsOperator(err)))
      },
      back: () => {
        node.log(t('streamer-sql.log.back'))
        counted.soon()
      }
    })

    if (dbNode === undefined) {
      node.status(status.error(t('streamer-sql.errors.no-database')))
    } else {
      dbNode.register(node, s => {
        const shown = sqlDatabaseStatus(s, statements, runner.inOutage, labels)
        if (shown !== undefined) node.status(shown)
      })
    }

    const read = valueReader(RED, node, def)
    node.on('input', (msg: SqlMsg, send: (msg: SqlMsg) => void, done: (err?: Error) => void) => {
      // Read at once (a promise only when a value is asynchronous); a failure is the job's rejected values.
      let values: Values | Promise<Values>
      try {
        if (dbNode === undefined) throw new Error(t('streamer-sql.errors.no-database'))
        if (typeof def.sql !== 'string' || def.sql.trim() === '') throw new Error(t('streamer-sql.errors.no-sql'))
        values = read(msg)
      } catch (err) {
        values = Promise.reject(err)
      }
      runner.push({
        values,
        succeeded: (result: QueryResult) => {
          msg.payload = result.rows
          msg.rowCount = result.rowCount
          send(msg)
          done()
        },
        failed: err => {
          const text = describeDbError(err)
          counted.cancel()
          node.status(sqlFailedStatus(text, labels))
          done(new Error(t('streamer-sql.errors.failed', { error: text })))
        }
      })
    })

    node.on('close', (removed: boolean, done: () => void) => {
      // Statements already taken finish (and commit) before the database may close.
      runner.close().finally(() => {
        counted.cancel()
        if (dbNode === undefined) return done()
        dbNode.deregister(node, () => done(), removed)
      })
    })
  }

  RED.nodes.registerType('streamer-sql', StreamerSql)
}
