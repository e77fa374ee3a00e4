import type { Database } from '../../core/db'
import { AuditEvent, AuditTableResult, ensureAuditTable } from '../../core/stream'

/**
 * The streamer's way to its database. For a managed audit table (`managedSource` set) the table
 * is created or brought up to date once per deploy, before the first read, and `created` hears
 * what was done; a failed attempt is made again at the next read.
 */
export function streamerDatabase (
  acquire: () => Promise<Database>,
  settings: {
    managedSource?: string
    listenChannel?: string
    notifyOn?: 'all' | 'insert'
    auditEvents?: AuditEvent[]
  } | undefined,
  created: (r: AuditTableResult) => void
): () => Promise<Database> {
  let prepared: Promise<Database> | undefined
  return async () => {
    const db = await acquire()
    const managed = settings?.managedSource
    if (managed === undefined) return db
    if (prepared === undefined) {
      const notify = { notifyChannel: settings?.listenChannel, notifyOn: settings?.notifyOn }
      prepared = ensureAuditTable(db, { source: managed, events: settings?.auditEvents, ...notify }).then(r => {
        created(r)
        return db
      })
      prepared.catch(() => { prepared = undefined })
    }
    return await prepared
  }
}
