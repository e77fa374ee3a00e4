import type { Queryable } from '../db/database'
import { parseQualifiedName, quoteIdent, quoteQualified, QualifiedName, validateIdentifier } from '../db/identifiers'
import { CatalogEntry, lookupSource } from './catalog'
import { StreamConfigError } from './errors'
import { checkFilter } from './filter'
import type { Position } from './types'

/** What the streamer reads: one table or view, in the order of its position columns. */
export interface SourceSpec {
  /** `table` or `schema.table`. */
  table: string
  defaultSchema?: string
  /**
   * Position columns, in key order. Either an xid8 transaction column followed by a sequence
   * column (`['audit_tx', 'audit_seq']`: the snapshot-xmin horizon), or one integer sequence
   * column (`['seq']`: the settled watermark).
   */
  positionColumns: readonly string[]
  /** A timestamp column, needed only to start a subscriber from a time. */
  timeColumn?: string
  /** Projection and renaming; empty or absent means every column under its own name. */
  columns?: ReadonlyArray<{ column: string, as?: string }>
  /** A SQL boolean expression over the row, written by the flow's owner; evaluated in the database. */
  filter?: string
}

/**
 * xid8: rows become readable once their transaction id is below the xmin of the reading
 * snapshot (every older writer has ended). settled: rows become readable once every
 * transaction that existed when their sequence value was the newest one has ended.
 */
export type HorizonMode = 'xid8' | 'settled'

/** Output name of the scan's end in a read (horizon-xid8.ts), one per position column; reserved. */
export function endKey (i: number): string {
  return `__fs_end${i}`
}

const CASTS: Record<string, string> = { xid8: 'xid8', int8: 'bigint', int4: 'integer', int2: 'smallint' }

/**
 * The pieces every statement on one source is written from. Each horizon (horizon-xid8.ts,
 * horizon-settled.ts) writes its own reads, counts and head from them; names are quoted and the
 * filter checked before they get here, and every value is a bound parameter.
 */
export interface SourceSql {
  /** The relation with its alias: `"schema"."table" AS src`. */
  from: string
  /** The select list: the projection (or every column) plus helper aliases for position values. */
  list: string
  /** The position columns, qualified (`src."tx"`), in key order. */
  positions: string[]
  /** The SQL type each position parameter is cast to, in key order. */
  casts: string[]
  /** ORDER BY lists, ascending and descending. */
  order: string
  orderDesc: string
  /** The position columns as text, named p0, p1 ... (for head and time lookups). */
  positionText: string
  /** The flow's checked filter, or undefined. */
  filter: string | undefined
}

/** The checked source: which horizon it needs, where positions sit in a row, and its SQL pieces. */
export interface SourcePlan {
  relation: QualifiedName
  mode: HorizonMode
  width: number
  sql: SourceSql
  /** First position whose time column is >= $1 (only with a time column). */
  firstAtTime?: string
  /** Newest position strictly before $1..$w. */
  positionBefore: string
  /** The read with the filter and no bound, LIMIT $1: run once to prove it plans and runs. */
  probe: string
  /** Output keys that hold each position value, and helper keys to drop from the row. */
  positionKeys: string[]
  helperKeys: string[]
}

/** A spec whose names are validated and whose filter is checked, before any catalog lookup. */
export interface CheckedSpec {
  relation: QualifiedName
  positionColumns: string[]
  timeColumn: string | undefined
  projection: Array<{ column: string, as: string }>
  filter: string | undefined
}

/** Validates every name of the spec and checks the filter; needs no database. */
export function checkSpec (spec: SourceSpec): CheckedSpec {
  const relation = parseQualifiedName(spec.table, spec.defaultSchema ?? 'public', 'source table')
  const positionColumns = (spec.positionColumns ?? []).map(c => validateIdentifier(c, 'position column'))
  if (positionColumns.length === 0) throw new StreamConfigError('no position columns given')
  const timeColumn =
    spec.timeColumn === undefined || spec.timeColumn === ''
      ? undefined
      : validateIdentifier(spec.timeColumn, 'time column')
  const projection = (spec.columns ?? []).filter(c => c.column !== undefined && c.column !== '').map(c => ({
    column: validateIdentifier(c.column, 'projected column'),
    as: c.as === undefined || c.as === '' ? c.column : validateIdentifier(c.as, 'output name')
  }))
  return { relation, positionColumns, timeColumn, projection, filter: checkFilter(spec.filter) }
}

/** Looks the source up in the catalog and checks everything a retry cannot fix. */
export async function resolveSource (db: Queryable, spec: SourceSpec): Promise<SourcePlan> {
  const checked = checkSpec(spec)
  const plan = buildPlan(checked, await lookupSource(db, checked.relation))
  // Prove the whole read (filter included) plans and runs with these rights before anyone waits on
  // it. With a parameter it goes through the extended protocol, which takes one statement only:
  // whatever checkFilter missed, a filter that ends the statement fails here, before any read.
  await db.query(plan.probe, [0])
  return plan
}

/**
 * Builds the plan from a checked spec and what the catalog says: picks the horizon from the
 * position columns' types and writes the select list. Pure: no database.
 */
export function buildPlan (spec: CheckedSpec, catalog: CatalogEntry): SourcePlan {
  const { relation, positionColumns, timeColumn, projection, filter } = spec
  const cols = catalog.columns
  const label = `${relation.schema}.${relation.name}`
  const typeOf = new Map(cols.map(c => [c.name, c.type]))
  const need = (name: string, what: string): string => {
    const t = typeOf.get(name)
    if (t === undefined) {
      throw new StreamConfigError(`${what} "${name}" does not exist in "${label}" (it ` +
      `has: ${cols.map(c => c.name).join(', ').slice(0, 200)})`)
    }
    return t
  }
  const posTypes = positionColumns.map(c => need(c, 'position column'))
  if (timeColumn !== undefined && !['timestamptz', 'timestamp', 'date'].includes(need(timeColumn, 'time column'))) {
    throw new StreamConfigError(`time column "${timeColumn}" must be a timestamp, not ${typeOf.get(timeColumn) ?? ''}`)
  }
  for (const p of projection) need(p.column, 'projected column')

  let mode: HorizonMode
  if (posTypes[0] === 'xid8') {
    if (positionColumns.length < 2) {
      throw new StreamConfigError(`an xid8 position column ("${positionColumns[0]}") ` +
      `needs a sequence column after it, e.g. "${positionColumns[0]}, seq"`)
    }
    mode = 'xid8'
  } else {
    if (positionColumns.length !== 1) {
      throw new StreamConfigError(
        'without an xid8 column first, give exactly one integer sequence column as the position'
      )
    }
    mode = 'settled'
  }
  posTypes.forEach((t, i) => {
    if (CASTS[t] === undefined || (i > 0 && t === 'xid8')) {
      throw new StreamConfigError(`position column "${positionColumns[i]}" has type ${t}; ` +
        `use ${i === 0 ? 'xid8 or ' : ''}bigint, integer or smallint`)
    }
  })

  // The select list: the projection (or every column), plus helper aliases for position values
  // the projection drops or renames. Aliases never shadow the ORDER BY, which is always qualified.
  const outputs = new Set(projection.length > 0 ? projection.map(p => p.as) : cols.map(c => c.name))
  if (projection.length > 0 && outputs.size !== projection.length) {
    throw new StreamConfigError('two projected columns have the same output name')
  }
  const positionKeys: string[] = []
  const helperKeys: string[] = []
  const select: string[] =
    projection.length > 0 ? projection.map(p => `src.${quoteIdent(p.column)} AS ${quoteIdent(p.as)}`) : ['src.*']
  for (const k of outputs) if (/^__fs_end[0-9]+$/.test(k)) throw new StreamConfigError(`column name "${k}" is reserved`)
  positionColumns.forEach((c, i) => {
    const direct = projection.length === 0 ? c : projection.find(p => p.column === c)?.as
    if (direct !== undefined) {
      positionKeys.push(direct) // int4/int2 arrive as numbers, exact; xid8/int8 as text
    } else {
      const key = `__fs_pos${i}`
      if (outputs.has(key)) throw new StreamConfigError(`column name "${key}" is reserved`)
      select.push(`src.${quoteIdent(c)}::text AS ${quoteIdent(key)}`)
      positionKeys.push(key)
      helperKeys.push(key)
    }
  })

  const q = positionColumns.map(c => `src.${quoteIdent(c)}`)
  const sql: SourceSql = {
    from: `${quoteQualified(relation)} AS src`,
    list: select.join(', '),
    positions: q,
    casts: posTypes.map(t => CASTS[t]),
    order: q.join(', '),
    orderDesc: q.map(c => `${c} DESC`).join(', '),
    positionText: q.map((c, i) => `${c}::text AS p${i}`).join(', '),
    filter
  }
  const w = positionColumns.length
  const before = w === 1 ? `${q[0]} < $1::${sql.casts[0]}` : `(${sql.order}) < (${params(sql, 1)})`
  return {
    relation,
    mode,
    width: w,
    sql,
    firstAtTime: timeColumn === undefined
      ? undefined
      : `SELECT ${sql.positionText} FROM ${sql.from} WHERE src.${quoteIdent(timeColumn)} >= $1 ORDER BY ${sql.order} ` +
        'LIMIT 1',
    positionBefore: `SELECT ${sql.positionText} FROM ${sql.from} WHERE ${before} ORDER BY ${sql.orderDesc} LIMIT 1`,
    probe: `SELECT ${sql.list} FROM ${sql.from} ${where(sql, ['true'])} ORDER BY ${sql.order} LIMIT $1`,
    positionKeys,
    helperKeys
  }
}

/** `$from::t0, $from+1::t1 ...`: a position bound as parameters, each cast to its column's type. */
export function params (sql: SourceSql, from: number): string {
  return sql.casts.map((t, i) => `$${from + i}::${t}`).join(', ')
}

/** The condition "position after the one bound at $from..": a row comparison when it has two columns. */
export function afterPosition (sql: SourceSql, from: number): string {
  return sql.positions.length === 1
    ? `${sql.positions[0]} > $${from}::${sql.casts[0]}`
    : `(${sql.order}) > (${params(sql, from)})`
}

/** WHERE with these conditions and the flow's filter, inside the parentheses it may not leave. */
export function where (sql: SourceSql, cond: string[]): string {
  return `WHERE ${[...cond, ...(sql.filter === undefined ? [] : [`(${sql.filter})`])].join(' AND ')}`
}

/** A count over `fromWhere` that stops at the limit bound to parameter $n (NULL: no limit). */
export function limitedCount (fromWhere: string, n: number): string {
  return `SELECT count(*)::text AS n FROM (SELECT 1 FROM ${fromWhere} LIMIT $${n}::bigint) AS limited`
}

/** Reads the position of a row returned by a read query, and drops helper columns. */
export function takePosition (plan: SourcePlan, row: Record<string, unknown>): Position {
  const pos = plan.positionKeys.map(k => String(row[k]))
  // Newest first: they are the row's last keys, so V8 keeps it a fast object.
  for (let i = plan.helperKeys.length - 1; i >= 0; i--) delete row[plan.helperKeys[i]]
  return pos
}
