import type { Queryable } from '../db/database'
import { quoteIdent, validateIdentifier } from '../db/identifiers'
import { EVENT_SETTING, REASON_SETTING } from './audit-columns'
import { StreamConfigError } from './errors'

/** The writes of the source an audit table can record, in the order the triggers are made. */
export const AUDIT_EVENTS = ['insert', 'update', 'delete'] as const
export type AuditEvent = typeof AUDIT_EVENTS[number]

/** The events recorded are not a non-empty list of insert, update and delete. */
export class AuditEventsError extends StreamConfigError {
  constructor (message: string) {
    super(message)
    this.name = 'AuditEventsError'
  }
}

/**
 * The events to record, checked: undefined means all three; otherwise a non-empty list of insert,
 * update and delete (any case, repeats allowed), returned in AUDIT_EVENTS order. An empty list is
 * refused rather than taken as "no triggers": an audit table that records nothing streams nothing,
 * which is far more likely a mistake than a wish.
 */
export function auditEvents (value: unknown): AuditEvent[] {
  if (value === undefined) return [...AUDIT_EVENTS]
  if (!Array.isArray(value)) {
    throw new AuditEventsError(`audit events must be a list of ${AUDIT_EVENTS.join(', ')}`)
  }
  const wanted = new Set<string>()
  for (const v of value) {
    const e = typeof v === 'string' ? v.trim().toLowerCase() : ''
    if (!(AUDIT_EVENTS as readonly string[]).includes(e)) {
      throw new AuditEventsError(
        `unknown audit event "${String(v).slice(0, 40)}": choose from ${AUDIT_EVENTS.join(', ')}`)
    }
    wanted.add(e)
  }
  if (wanted.size === 0) {
    throw new AuditEventsError(`no audit events chosen: record at least one of ${AUDIT_EVENTS.join(', ')}`)
  }
  return AUDIT_EVENTS.filter(e => wanted.has(e))
}

/** pg_trigger.tgtype's bits for each event (PostgreSQL's TRIGGER_TYPE_INSERT and so on). */
const TGTYPE_BIT: Record<AuditEvent, number> = { insert: 4, delete: 8, update: 16 }

/** The source and audit tables as the trigger sees them when it is (re)built. */
export interface AuditTriggerTables {
  /** Quoted `schema.table` of the source and of the audit table, and the quoted sequence. */
  src: string
  aud: string
  seq: string
  /** Quoted schema the functions live in. */
  schema: string
  /** The audit table's name, the stem of the trigger and function names. */
  auditName: string
  /** Source columns (name, SQL type) and the audit table's type of each (same name). */
  columns: Array<{ name: string, type: string, auditType: string }>
}

/** Name of the transition table every statement trigger of the audit exposes its rows under. */
const ROWS = 'changed_rows'

/** A source column as the catalog has it when the trigger is built. */
interface SourceAttribute { num: number, name: string, type: string, typmod: number }

async function sourceAttributes (tx: Queryable, src: string): Promise<SourceAttribute[]> {
  return (await tx.query<SourceAttribute>(
    `SELECT a.attnum AS num, a.attname AS name, a.atttypid::text AS type, a.atttypmod AS typmod
       FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`, [src])).rows
}

/**
 * True while the source has exactly the columns the fast path was built for: as many, each at its
 * attnum with the same name, type oid and typmod; the fast path's column list holds while it is.
 * Run at every firing, so it compares scalars looked up in constant arrays by attnum and builds no
 * text (the string_agg signature it replaced cost 6-14 µs more per firing, of about 80 µs for the
 * whole trigger: docs/performance.md). A column dropped, renamed, retyped or added (or dropped and
 * added again under its name) makes it false; NULL counts as false. The audit table is not checked:
 * it is managed, and only ensureAuditTable changes it.
 */
function columnsUnchangedSql (relid: string, attrs: SourceAttribute[]): string {
  const byNum = new Map(attrs.map(a => [Number(a.num), a]))
  const last = Math.max(0, ...byNum.keys())
  const at = (value: (a: SourceAttribute) => string, type: string): string => {
    const items = Array.from({ length: last }, (_, i) => {
      const a = byNum.get(i + 1)
      return a === undefined ? 'NULL' : value(a)
    })
    return `(ARRAY[${items.join(', ')}]::${type}[])[a.attnum]`
  }
  const wanted = [
    at(a => literal(a.name), 'name'),
    at(a => String(BigInt(a.type)), 'oid'),
    at(a => String(Number.parseInt(String(a.typmod), 10)), 'int4')
  ]
  return `(SELECT count(*) = ${attrs.length} AND coalesce(bool_and(coalesce((a.attname, a.atttypid, a.atttypmod) = ` +
    `(${wanted.join(', ')}), false)), true)
      FROM pg_attribute a WHERE a.attrelid = ${relid} AND a.attnum > 0 AND NOT a.attisdropped)`
}

function literal (text: string): string {
  return `'${text.replace(/'/g, "''")}'`
}

/** The audit columns' values for a row of the statement, as SQL expressions in the insert's order. */
function auditValues (seq: string): string[] {
  return [
    `nextval(${literal(seq)}::regclass)`,
    'pg_current_xact_id()',
    `coalesce(nullif(current_setting('${EVENT_SETTING}', true), ''), TG_OP)`,
    `nullif(current_setting('${REASON_SETTING}', true), '')`,
    'clock_timestamp()',
    'session_user'
  ]
}

/**
 * Creates or replaces the audit trigger function and the triggers of `src` for `events` (checked
 * by auditEvents), and drops the triggers of the events not chosen.
 *
 * A plain table gets a statement-level trigger per event (INSERT, UPDATE, DELETE) that copy the
 * statement's rows from a transition table in one INSERT ... SELECT with an explicit column list:
 * about a third of the cost of a row trigger per row for multi-row statements, and about the same
 * for a single-row statement. The column list is only right while the source keeps the columns it
 * was built for, so each firing first compares the catalog with the columns taken now (one small
 * catalog query per statement, columnsUnchangedSql); after a column is dropped, renamed, retyped or
 * added, it copies through jsonb instead (the columns both tables share, whatever they are), so
 * writers never break, until the next sync rebuilds the list.
 *
 * A partitioned table, a partition, or a table in an inheritance tree keeps a row-level trigger
 * (jsonb copy): statement triggers on a root do not see rows written straight into a partition,
 * and transition tables of a parent would also carry the rows of its children.
 */
export async function installAuditTrigger (
  tx: Queryable,
  t: AuditTriggerTables,
  rowLevel: boolean,
  events: readonly AuditEvent[] = AUDIT_EVENTS
): Promise<void> {
  const fn = `${t.schema}.${quoteIdent(validateIdentifier(`${t.auditName}_fn`, 'audit function name'))}`
  const names = {
    row: validateIdentifier(t.auditName, 'audit trigger name'),
    insert: validateIdentifier(`${t.auditName}_insert`, 'audit trigger name'),
    update: validateIdentifier(`${t.auditName}_update`, 'audit trigger name'),
    delete: validateIdentifier(`${t.auditName}_delete`, 'audit trigger name')
  }
  // The event bits (insert 4, delete 8, update 16) of each trigger there is, to rebuild the row trigger.
  const existing = new Map((await tx.query<{ name: string, statement: boolean, events: number }>(
    'SELECT tgname AS name, (tgtype & 1) = 0 AS statement, tgtype & 28 AS events FROM pg_trigger ' +
      'WHERE tgrelid = $1::regclass AND tgname = ANY($2::text[])',
    [t.src, Object.values(names)])).rows.map(r => [r.name, { statement: r.statement, events: Number(r.events) }]))
  const drop = async (name: string): Promise<void> => {
    if (existing.has(name)) await tx.query(`DROP TRIGGER ${quoteIdent(name)} ON ${t.src}`)
    existing.delete(name)
  }

  const qualified = await qualifiedTypes(tx, t.aud)
  const tables = { ...t, columns: t.columns.map(c => ({ ...c, auditType: qualified.get(c.name) ?? c.auditType })) }

  if (rowLevel) {
    for (const n of [names.insert, names.update, names.delete]) await drop(n)
    // A statement-level body cannot serve a row trigger: replace the function with no trigger on it.
    // One row trigger fires on all the events chosen: other events mean a new trigger.
    const bits = events.reduce((sum, e) => sum + TGTYPE_BIT[e], 0)
    const row = existing.get(names.row)
    if (row !== undefined && (row.statement || row.events !== bits)) await drop(names.row)
    await tx.query(rowFunction(fn, tables))
    await ownerOnly(tx, fn)
    if (!existing.has(names.row)) {
      await tx.query(`CREATE TRIGGER ${quoteIdent(names.row)} AFTER ${events.map(e => e.toUpperCase()).join(' OR ')}
        ON ${t.src} FOR EACH ROW EXECUTE FUNCTION ${fn}()`)
    }
    return
  }

  // The row trigger of earlier versions goes first: the function below is for statement triggers.
  await drop(names.row)
  await tx.query(statementFunction(fn, tables, await sourceAttributes(tx, t.src)))
  await ownerOnly(tx, fn)
  const triggers: Array<[AuditEvent, string, string]> = [
    ['insert', names.insert, 'NEW'],
    ['update', names.update, 'NEW'],
    ['delete', names.delete, 'OLD']
  ]
  for (const [event, name, which] of triggers) {
    if (!events.includes(event)) await drop(name)
    else if (!existing.has(name)) {
      await tx.query(`CREATE TRIGGER ${quoteIdent(name)} AFTER ${event.toUpperCase()} ON ${t.src}
        REFERENCING ${which} TABLE AS ${ROWS} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`)
    }
  }
}

/**
 * The function runs as its owner (SECURITY DEFINER, so writers need no grant on the audit table):
 * nobody else may attach it to a table of their own. CREATE OR REPLACE keeps a function's grants,
 * so this runs on every rebuild, and installations made before it get fixed at their next sync.
 */
async function ownerOnly (tx: Queryable, fn: string): Promise<void> {
  await tx.query(`REVOKE ALL ON FUNCTION ${fn}() FROM PUBLIC`)
}

/**
 * The audit table's column types, schema-qualified whatever the search_path: inside the function
 * an unqualified name would resolve through the writer's pg_temp (a temp type or domain of theirs).
 */
async function qualifiedTypes (tx: Queryable, aud: string): Promise<Map<string, string>> {
  const rows = (await tx.query<{ name: string, type: string }>(
    `SELECT a.attname AS name,
            CASE WHEN n.nspname = 'pg_catalog' OR NOT pg_type_is_visible(a.atttypid) THEN format_type(a.atttypid,
              a.atttypmod)
                 ELSE quote_ident(n.nspname) || '.' || format_type(a.atttypid, a.atttypmod) END AS type
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`, [aud])).rows
  return new Map(rows.map(r => [r.name, r.type]))
}

/**
 * First statement of both functions: they copy rows of their source only. A trigger on any other
 * table (a writer's temp table, another schema's table) fails its statement. The source is looked
 * up by name at each firing (a restored database has new oids); a partition of a partitioned
 * source counts as the source, as its row trigger is cloned onto each partition.
 */
function sourceGuard (t: AuditTriggerTables, rowLevel: boolean): string {
  const src = `to_regclass(${literal(t.src)})`
  const other = rowLevel
    ? `TG_RELID IS DISTINCT FROM ${src} AND pg_partition_root(TG_RELID) IS DISTINCT FROM ${src}`
    : `TG_RELID IS DISTINCT FROM ${src}`
  return `IF ${other} THEN
        RAISE EXCEPTION 'audit trigger % copies rows of % only, not of %.%', TG_NAME, ${literal(t.src)}, ` +
          `TG_TABLE_SCHEMA, TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END IF;`
}

/** The jsonb copy: every column the row and the audit table share, whatever they are now. */
function jsonbCopy (t: AuditTriggerTables, rowExpr: string): string {
  const [seq, tx, event, reason, time, user] = auditValues(t.seq)
  return `jsonb_populate_record(NULL::${t.aud}, to_jsonb(${rowExpr}) || jsonb_build_object(
          'audit_seq', ${seq}, 'audit_tx', ${tx}::text, 'audit_event_type', ${event},
          'audit_event_text', ${reason}, 'audit_event_time', ${time}, 'audit_event_user', ${user}::text))`
}

function statementFunction (fn: string, t: AuditTriggerTables, attrs: SourceAttribute[]): string {
  const target = [
    'audit_seq',
    'audit_tx',
    'audit_event_type',
    'audit_event_text',
    'audit_event_time',
    'audit_event_user',
    ...t.columns.map(c => c.name)
  ]
  const values = [...auditValues(t.seq), ...t.columns.map(c => {
    const v = `r.${quoteIdent(c.name)}`
    // A column whose type differs in the audit table goes through text, as the jsonb copy would.
    return c.type === c.auditType ? v : `CAST(${v}::text AS ${c.auditType})`
  })]
  return `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $audit$
    BEGIN
      ${sourceGuard(t, false)}
      IF ${columnsUnchangedSql('TG_RELID', attrs)} THEN
        INSERT INTO ${t.aud} (${target.map(c => quoteIdent(c)).join(', ')})
        SELECT ${values.join(', ')} FROM ${ROWS} r;
      ELSE
        INSERT INTO ${t.aud} SELECT x.* FROM ${ROWS} r CROSS JOIN LATERAL ${jsonbCopy(t, 'r')} x;
      END IF;
      RETURN NULL;
    END
    $audit$`
}

function rowFunction (fn: string, t: AuditTriggerTables): string {
  return `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $audit$
    BEGIN
      ${sourceGuard(t, true)}
      IF TG_OP = 'DELETE' THEN
        INSERT INTO ${t.aud} SELECT * FROM ${jsonbCopy(t, 'OLD')};
      ELSE
        INSERT INTO ${t.aud} SELECT * FROM ${jsonbCopy(t, 'NEW')};
      END IF;
      RETURN NULL;
    END
    $audit$`
}
