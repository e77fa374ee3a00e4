import type { Queryable } from '../db/database'
import type { QualifiedName } from '../db/identifiers'
import { SourceMissingError, StreamConfigError } from './errors'

/** A column of the source as the catalog describes it. */
export interface ColumnInfo { name: string, type: string }

/** What the catalog says about a source: its columns, in table order, with their type names. */
export interface CatalogEntry {
  relation: QualifiedName
  columns: ColumnInfo[]
}

/**
 * Looks the source up in the catalog: it must exist, be a table or view (of any kind), and be
 * readable by this login. A missing source or privilege is a SourceMissingError, which the
 * streamer keeps retrying: someone may create or grant it while the flow runs.
 */
export async function lookupSource (db: Queryable, relation: QualifiedName): Promise<CatalogEntry> {
  const found = await db.query<{ relkind: string, readable: boolean }>(
    `SELECT c.relkind, has_any_column_privilege(c.oid, 'SELECT') AS readable
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2`, [relation.schema, relation.name])
  const label = `${relation.schema}.${relation.name}`
  if (found.rows.length === 0) throw new SourceMissingError(`table or view "${label}" does not exist`)
  if (!['r', 'v', 'm', 'p', 'f'].includes(found.rows[0].relkind)) {
    throw new StreamConfigError(`"${label}" is not a table or view`)
  }
  if (found.rows[0].readable !== true) {
    throw new SourceMissingError(`permission denied: this database user may not SELECT from "${label}"`)
  }
  const columns = (await db.query<ColumnInfo>(
    `SELECT a.attname AS name, t.typname AS type
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2)
        AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [relation.schema, relation.name])).rows
  return { relation, columns }
}
