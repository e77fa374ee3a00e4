import type { NodeAPI } from 'node-red'
import type { StreamerDatabaseNode } from '../streamer-database/types'
import { ensureAuditTable, describeStreamError } from '../../core/stream'
import { translator } from '../shared/i18n'
import { auditEventsSetting } from './config'
import catalog = require('./locales/en-US/audit-streamer.json')

// Once per admin app (Node-RED has one per process; the test helper makes one per flow load).
const registered = new WeakSet<object>()

/**
 * Admin endpoints for the editor: the tables and views a database offers (the panel lists them
 * and still accepts a typed name), and "create the managed audit table now".
 */
export function registerAdmin (RED: NodeAPI): void {
  const t = translator(RED, catalog)
  const admin = RED.httpAdmin as any
  if (admin === undefined || registered.has(admin)) return
  registered.add(admin)
  const auth = (RED as any).auth

  function database (id: unknown): StreamerDatabaseNode | undefined {
    const n = typeof id === 'string' && id !== '' ? RED.nodes.getNode(id) as StreamerDatabaseNode | null : null
    return n !== null && n !== undefined && n.type === 'streamer-database' ? n : undefined
  }

  admin.get('/fix-streamers/tables', auth.needsPermission('audit-streamer.read'), (req: any, res: any) => {
    const dbNode = database(req.query.db)
    if (dbNode === undefined) return res.status(404).json({ error: t('audit-streamer.errors.deploy-database') })
    dbNode.acquire()
      .then(async db => await db.query<{ name: string, kind: string }>(
        `SELECT n.nspname || '.' || c.relname AS name,
                CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'view' ELSE 'table' END AS kind
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
            AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
            AND has_any_column_privilege(c.oid, 'SELECT')
          ORDER BY 1 LIMIT 2000`))
      .then(r => res.json({ tables: r.rows }))
      .catch(err => res.status(500).json({ error: describeStreamError(err) }))
  })

  admin.post('/fix-streamers/audit-tables', auth.needsPermission('audit-streamer.write'), (req: any, res: any) => {
    const body = req.body ?? {}
    const dbNode = database(body.db)
    if (dbNode === undefined) return res.status(404).json({ error: t('audit-streamer.errors.deploy-database') })
    dbNode
      .acquire()
      .then(
        async db =>
          await ensureAuditTable(db, {
            source: String(body.table ?? ''),
            notifyChannel: typeof body.channel === 'string' && body.channel !== '' ? body.channel : undefined,
            notifyOn: body.notifyOn === 'insert' ? 'insert' : undefined,
            // The panel's "Record" checkboxes; an empty or unknown choice is refused (400, the reason).
            events: auditEventsSetting(body.auditEvents)
          })
      )
      .then(r =>
        res.json({
          audit: `${r.audit.schema}.${r.audit.name}`,
          created: r.created,
          addedColumns: r.addedColumns,
          warnings: r.warnings
        })
      )
      .catch(err => res.status(400).json({ error: describeStreamError(err) }))
  })
}
