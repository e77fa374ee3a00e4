import type { Database, Queryable } from '../db/database'
import { validateChannel } from '../db/channel'
import { writerPlpgsql } from '../db/sleep-marker'
import { parseQualifiedName, quoteIdent, quoteQualified, QualifiedName, validateIdentifier } from '../db/identifiers'
import { AUDIT_COLUMNS } from './audit-columns'
import { AuditEvent, auditEvents, installAuditTrigger } from './audit-trigger'
import { SourceMissingError, StreamConfigError } from './errors'

export { AUDIT_EVENTS, AuditEventsError, auditEvents } from './audit-trigger'
export type { AuditEvent } from './audit-trigger'

export {
  AUDIT_COLUMNS,
  AUDIT_POSITION_COLUMNS,
  AUDIT_TIME_COLUMN,
  EVENT_SETTING,
  REASON_SETTING
} from './audit-columns'

export interface AuditTableOptions {
  /** The audited table, `table` or `schema.table`. */
  source: string
  defaultSchema?: string
  /** Add a statement-level NOTIFY on this channel to the audit table; undefined removes it. */
  notifyChannel?: string
  /**
   * Which writes notify: 'all' (default) every statement that adds audit rows; 'insert' only INSERT
   * statements on the source, for a stream that reads INSERT rows only (its readers would be woken
   * by updates for nothing, and every notifying commit queues on PostgreSQL's NOTIFY lock). A
   * partitioned or inherited source notifies on all, as its row trigger also sees partitions.
   */
  notifyOn?: 'all' | 'insert'
  /**
   * The source's writes that add audit rows (default all three). A stream that reads INSERT rows
   * only need not pay for an audit row per UPDATE: each is a trigger firing, a row, two index
   * entries and their WAL. Changing it on an existing table adds or drops the triggers (a row-level
   * one is rebuilt); rows already audited stay. Checked by auditEvents (AuditEventsError).
   */
  events?: readonly AuditEvent[]
}

export interface AuditTableResult {
  source: QualifiedName
  audit: QualifiedName
  /** true when this call created the audit table. */
  created: boolean
  /** Source columns that were missing in the audit table and have been added now. */
  addedColumns: string[]
  /** Things worth telling the user that need no action from the pack (type changes, dropped columns). */
  warnings: string[]
}

/** `<table>_audit` next to the source, as the streamer reads it. */
export function auditTableName (source: string, defaultSchema = 'public'): QualifiedName {
  const q = parseQualifiedName(source, defaultSchema, 'source table')
  return { schema: q.schema, name: validateIdentifier(`${q.name}_audit`, 'audit table name') }
}

/**
 * Creates (or brings up to date) the managed audit table of `source` and the trigger that fills
 * it on every INSERT, UPDATE and DELETE (or those of `events`), whoever the writer is. Idempotent; never changes or
 * deletes existing audit rows. A column added to the source later is added to the audit table
 * here, and the trigger rebuilt for it; until then, and after any other column change, the
 * trigger copies whatever columns both tables share, so writers never break (audit-trigger.ts).
 */
export async function ensureAuditTable (db: Database, options: AuditTableOptions): Promise<AuditTableResult> {
  const source = parseQualifiedName(options.source, options.defaultSchema ?? 'public', 'source table')
  const audit = auditTableName(options.source, options.defaultSchema)
  const names = {
    seq: validateIdentifier(`${audit.name}_seq`, 'audit sequence name'),
    notifyFn: validateIdentifier(`${audit.name}_notify`, 'audit notify function name'),
    index: validateIdentifier(`${audit.name}_tx_seq`, 'audit index name')
  }
  const events = auditEvents(options.events)
  const channel =
    options.notifyChannel === undefined || options.notifyChannel === ''
      ? undefined
      : validateChannel(options.notifyChannel)
  const s = quoteIdent(source.schema)
  const src = quoteQualified(source)
  const aud = quoteQualified(audit)
  const seq = `${s}.${quoteIdent(names.seq)}`
  const label = `${source.schema}.${source.name}`

  return await db.transaction(async tx => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`fix-streamers-audit:${label}`])
    const kind = await tx.query<{ relkind: string, tree: boolean }>(
      `SELECT c.relkind, c.relispartition OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid
        OR i.inhparent = c.oid) AS tree
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
      [source.schema, source.name])
    // Created later (a migration, a setup flow): the streamer looks again with backoff.
    if (kind.rows.length === 0) throw new SourceMissingError(`table "${label}" does not exist`)
    if (!['r', 'p'].includes(kind.rows[0].relkind)) {
      throw new StreamConfigError(`"${label}" is not a table; an audit table needs triggers on a table`)
    }

    const sourceCols = await columnsOf(tx, source)
    for (const c of sourceCols) {
      if ((AUDIT_COLUMNS as readonly string[]).includes(c.name)) {
        throw new StreamConfigError(`"${label}" has a column "${c.name}", a name the audit table uses itself`)
      }
      validateIdentifier(c.name, `column of ${label}`)
    }
    const existing = await columnsOf(tx, audit)
    const created = existing.length === 0
    const addedColumns: string[] = []
    const warnings: string[] = []
    if (created) {
      await tx.query(`CREATE SEQUENCE IF NOT EXISTS ${seq} AS bigint`)
      await tx.query(`CREATE TABLE ${aud} (
        audit_seq bigint NOT NULL DEFAULT nextval('${seq.replace(/'/g, "''")}'::regclass) PRIMARY KEY,
        audit_tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
        audit_event_type text NOT NULL,
        audit_event_text text,
        audit_event_time timestamptz NOT NULL DEFAULT clock_timestamp(),
        audit_event_user text NOT NULL DEFAULT session_user
        ${sourceCols.map(c => `, ${quoteIdent(c.name)} ${c.type}`).join('')}
      )`)
      await tx.query(`ALTER SEQUENCE ${seq} OWNED BY ${aud}.audit_seq`)
      addedColumns.push(...sourceCols.map(c => c.name))
    } else {
      const have = new Map(existing.map(c => [c.name, c.type]))
      for (const m of AUDIT_COLUMNS) {
        if (!have.has(m)) {
          throw new StreamConfigError(
            `"${audit.schema}.${audit.name}" exists but is not a managed audit table (no column ${m})`
          )
        }
      }
      for (const c of sourceCols) {
        const t = have.get(c.name)
        if (t === undefined) {
          // Nullable: audit rows written before the column existed have no value for it.
          await tx.query(`ALTER TABLE ${aud} ADD COLUMN ${quoteIdent(c.name)} ${c.type}`)
          addedColumns.push(c.name)
        } else if (t !== c.type) {
          warnings.push(
            `column "${c.name}" is ${c.type} in ${label} but ${t} in the audit table; values are converted on insert`
          )
        }
      }
      const sourceNames = new Set(sourceCols.map(c => c.name))
      for (const c of existing) {
        if (!(AUDIT_COLUMNS as readonly string[]).includes(c.name) && !sourceNames.has(c.name)) {
          warnings.push(`column "${c.name}" is no longer in ${label}; new audit rows leave it empty`)
        }
      }
    }
    // CREATE INDEX takes a SHARE lock on the audit table before it looks for the name, even with IF NOT
    // EXISTS, and holds it to the end of this transaction: every write of the source (its trigger inserts
    // here) waits behind it, and it waits behind any open writer. So a restart or redeploy would stall
    // the application's writes; looking in the catalog first takes no lock on the table.
    if (!await relationExists(tx, audit.schema, names.index)) {
      await tx.query(`CREATE INDEX IF NOT EXISTS ${quoteIdent(names.index)} ON ${aud} (audit_tx, audit_seq)`)
    }

    const auditTypes = new Map((await columnsOf(tx, audit)).map(c => [c.name, c.type]))
    const rowLevel = kind.rows[0].relkind === 'p' || kind.rows[0].tree
    await installAuditTrigger(tx, {
      src,
      aud,
      seq,
      schema: s,
      auditName: audit.name,
      columns: sourceCols.map(c => ({ ...c, auditType: auditTypes.get(c.name) ?? c.type }))
    }, rowLevel, events)
    const onSource = options.notifyOn === 'insert' && !rowLevel
    await setNotify(tx, { aud, src, schema: s, name: names.notifyFn, channel, onSource, whenAsleep: db.kind === 'pg' })
    return { source, audit, created, addedColumns, warnings }
  })
}

interface NotifyPlace {
  /** Quoted audit table, source table and schema; the notify function's name. */
  aud: string
  src: string
  schema: string
  name: string
  channel: string | undefined
  /** On the source's INSERT statements instead of every insert into the audit table. */
  onSource: boolean
  /** Only while a reader of the channel is marked asleep (a server: core/db/sleep-marker.ts); else always. */
  whenAsleep: boolean
}

/** The body of the NOTIFY trigger's function (its arguments: the channel, then 'asleep' on a server). */
const NOTIFY_BODY = `
    BEGIN
      IF TG_NARGS > 1 THEN
        ${writerPlpgsql('TG_ARGV[0]')}
      ELSE
        PERFORM pg_notify(TG_ARGV[0], '');
      END IF;
      RETURN NULL;
    END
    `

/**
 * One statement-level NOTIFY per inserting statement on the audit table (or per INSERT statement on
 * the source), or none; on a server only while a reader of the channel sleeps (a second trigger
 * argument, 'asleep'). The trigger has the function's name on whichever table it is; one on the
 * other table, or with other arguments, is dropped first. A kept trigger whose function an older
 * version of the pack wrote has its function replaced, so a fix of the body reaches existing tables.
 */
async function setNotify (tx: Queryable, p: NotifyPlace): Promise<void> {
  const fn = `${p.schema}.${quoteIdent(p.name)}`
  const current = await tx.query<{ def: string, on_source: boolean, body: string | null }>(
    `SELECT pg_get_triggerdef(t.oid) AS def, t.tgrelid = $2::regclass AS on_source, f.prosrc AS body
       FROM pg_trigger t LEFT JOIN pg_proc f ON f.oid = t.tgfoid
      WHERE t.tgrelid IN ($1::regclass, $2::regclass) AND t.tgname = $3`, [p.aud, p.src, p.name])
  const wanted = p.channel === undefined ? undefined : `'${p.channel}'${p.whenAsleep ? ", 'asleep'" : ''}`
  const keep = current.rows.find(t => wanted !== undefined && t.on_source === p.onSource &&
    t.def.includes(`(${wanted})`))
  for (const t of current.rows) {
    if (t !== keep) await tx.query(`DROP TRIGGER ${quoteIdent(p.name)} ON ${t.on_source ? p.src : p.aud}`)
  }
  if (wanted === undefined || keep?.body === NOTIFY_BODY) return
  await tx.query(`CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $notify$${NOTIFY_BODY}$notify$`)
  if (keep !== undefined) return
  // The channel is a checked lower-case identifier, so it is safe as a trigger argument literal.
  await tx.query(`CREATE TRIGGER ${quoteIdent(p.name)} AFTER INSERT ON ${p.onSource ? p.src : p.aud} FOR EACH ` +
    `STATEMENT EXECUTE FUNCTION ${fn}(${wanted})`)
}

async function relationExists (db: Queryable, schema: string, name: string): Promise<boolean> {
  return (await db.query(
    'SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2',
    [schema, name])).rows.length > 0
}

async function columnsOf (db: Queryable, t: QualifiedName): Promise<Array<{ name: string, type: string }>> {
  // format_type gives the type as SQL (quoted where needed), straight from the catalog.
  return (await db.query<{ name: string, type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a
      WHERE a.attrelid = (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2)
        AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [t.schema, t.name])).rows
}
