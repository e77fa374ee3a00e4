import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red'
import type { Database } from '../../core'
import { describeDbError } from '../../core'
import { EVENT_SETTING, REASON_SETTING } from '../../core/stream/audit-table'
import type { StreamerDatabaseNode } from '../streamer-database/types'
import { status } from '../shared/status'
import { translator } from '../shared/i18n'
import type { StreamerSqlDef } from './types'
import catalog = require('./locales/en-US/streamer-sql.json')
import { isDate } from '../../core/util/realm'

/**
 * Runs one parameterised SQL statement per message on a `streamer-database` — the way to write
 * to the embedded database from a flow (Node-RED's PostgreSQL nodes cannot reach PGlite). The
 * statement is the flow author's; every value is a bound parameter ($1, $2 ...).
 */
export = function (RED: NodeAPI): void {
  const t = translator(RED, catalog)

  function StreamerSql (this: Node, def: StreamerSqlDef): void {
    RED.nodes.createNode(this, def)
    const node = this
    const dbNode = RED.nodes.getNode(def.database) as StreamerDatabaseNode | null
    const params = Array.isArray(def.params) ? def.params : []
    let statements = 0

    if (dbNode === null) {
      node.status(status.error(t('streamer-sql.errors.no-database')))
    } else {
      dbNode.register(node, s => {
        if (s.state === 'connected') node.status(statements > 0 ? status.ok(t('streamer-sql.status.ran', { n: statements })) : status.ok(t('streamer-sql.status.ready')))
        else if (s.state === 'retrying') node.status(status.error(s.error))
        else if (s.state === 'connecting') node.status(status.waiting(t('streamer-sql.status.connecting')))
      })
    }

    const evaluate = async (value: string, type: string, msg: NodeMessageInFlow): Promise<unknown> => {
      if (type === 'jsonata') {
        const expr = RED.util.prepareJSONataExpression(value, node)
        return await new Promise((resolve, reject) => RED.util.evaluateJSONataExpression(expr, msg, (err: Error | null, v: unknown) => err !== null && err !== undefined ? reject(err) : resolve(v)))
      }
      return await new Promise((resolve, reject) => RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null, v: unknown) => err !== null && err !== undefined ? reject(err) : resolve(v)))
    }

    node.on('input', (msg: NodeMessageInFlow & { payload?: unknown, rowCount?: number }, send, done) => {
      void (async () => {
        if (dbNode === null) throw new Error(t('streamer-sql.errors.no-database'))
        if (typeof def.sql !== 'string' || def.sql.trim() === '') throw new Error(t('streamer-sql.errors.no-sql'))
        const values: unknown[] = []
        for (const p of params) values.push(toParam(await evaluate(p.v, p.vt, msg)))
        const event = def.event !== undefined && def.event !== '' ? await evaluate(def.event, def.eventType ?? 'str', msg) : undefined
        const reason = def.reason !== undefined && def.reason !== '' ? await evaluate(def.reason, def.reasonType ?? 'str', msg) : undefined
        const db: Database = await dbNode.acquire()
        const result = event === undefined && reason === undefined
          ? await db.query(def.sql, values)
          : await db.transaction(async tx => {
            // Transaction-local: the audit trigger records them for this statement only.
            if (event !== undefined) await tx.query('SELECT set_config($1, $2, true)', [EVENT_SETTING, String(event)])
            if (reason !== undefined) await tx.query('SELECT set_config($1, $2, true)', [REASON_SETTING, String(reason)])
            return await tx.query(def.sql, values)
          })
        statements++
        msg.payload = result.rows
        msg.rowCount = result.rowCount
        node.status(status.ok(t('streamer-sql.status.ran', { n: statements })))
        send(msg)
      })().then(() => done(), (err: Error) => {
        const text = describeDbError(err)
        node.status(status.error(text))
        done(new Error(t('streamer-sql.errors.failed', { error: text })))
      })
    })

    node.on('close', (_removed: boolean, done: () => void) => {
      dbNode?.deregister(node)
      done()
    })
  }

  RED.nodes.registerType('streamer-sql', StreamerSql)
}

/** Objects and arrays go to PostgreSQL as JSON text (for json/jsonb parameters); Dates as ISO. */
function toParam (v: unknown): unknown {
  if (v === undefined) return null
  if (isDate(v)) return v.toISOString()
  if (Buffer.isBuffer(v)) return v
  if (typeof v === 'object' && v !== null) return JSON.stringify(v)
  return v
}
