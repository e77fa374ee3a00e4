import type { Queryable } from '../db/database'
import { parseQualifiedName, quoteIdent, quoteQualified, QualifiedName, validateIdentifier } from '../db/identifiers'
import { SourceMissingError, StreamConfigError } from './errors'
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

const CASTS: Record<string, string> = { xid8: 'xid8', int8: 'bigint', int4: 'integer', int2: 'smallint' }

/** The checked source, with the SQL text of each query the streamer runs. */
export interface SourcePlan {
  relation: QualifiedName
  mode: HorizonMode
  width: number
  /** Rows after $1..$w (position), up to the horizon, in position order, LIMIT $w+1. */
  readAfter: string
  /** Same, from the start of the table; LIMIT $1. */
  readFirst: string
  /** Settled mode only: rows after $1 up to and including $2, LIMIT $3. */
  readAfterUpTo?: string
  readFirstUpTo?: string
  /** Count of readable rows after $1..$w (for replay progress). */
  countAfter: string
  countAll: string
  /**
   * The same counts, stopping at a limit given as the last parameter (lag for a client's
   * status: exact up to the limit, so its cost stays bounded however far behind it is).
   */
  countAfterLimited: string
  countAllLimited: string
  /** Newest readable position (xid8 mode). */
  headBelowHorizon: string
  /**
   * xid8 mode: whether a committed row after $1..$w (heldFirst: any row) passes the filter but is
   * still above the horizon, held back by an older transaction that has not ended.
   */
  heldAfter: string
  heldFirst: string
  /** Settled mode: newest sequence value now, and the virtual transactions running now. */
  settledCandidate: string
  /** First position whose time column is >= $1. */
  firstAtTime?: string
  /** Newest position strictly before $1..$w. */
  positionBefore: string
  /** Highest transaction id in the table (xid8 mode), and the next id the cluster will give out. */
  xidCheck: string
  /** Output keys that hold each position value, and helper keys to drop from the row. */
  positionKeys: string[]
  helperKeys: string[]
}

interface ColumnInfo { name: string, type: string }

/** Looks the source up in the catalog and checks everything a retry cannot fix. */
export async function resolveSource (db: Queryable, spec: SourceSpec): Promise<SourcePlan> {
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
  const filter = checkFilter(spec.filter)

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

  const cols = (await db.query<ColumnInfo>(
    `SELECT a.attname AS name, t.typname AS type
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2)
        AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [relation.schema, relation.name])).rows
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

  const rel = `${quoteQualified(relation)} AS src`
  const q = positionColumns.map(c => `src.${quoteIdent(c)}`)
  const casts = posTypes.map(t => CASTS[t])
  const params = (from: number): string => casts.map((t, i) => `$${from + i}::${t}`).join(', ')
  const w = positionColumns.length
  const after = w === 1 ? `${q[0]} > $1::${casts[0]}` : `(${q.join(', ')}) > (${params(1)})`
  const before = w === 1 ? `${q[0]} < $1::${casts[0]}` : `(${q.join(', ')}) < (${params(1)})`
  const horizon = mode === 'xid8' ? `${q[0]} < pg_snapshot_xmin(pg_current_snapshot())` : 'true'
  const where = (cond: string[]): string =>
    `WHERE ${[...cond, ...(filter === undefined ? [] : [`(${filter})`])].join(' AND ')}`
  const order = q.join(', ')
  const orderDesc = q.map(c => `${c} DESC`).join(', ')
  const posText = q.map((c, i) => `${c}::text AS p${i}`).join(', ')
  const list = select.join(', ')

  const plan: SourcePlan = {
    relation,
    mode,
    width: w,
    readAfter: `SELECT ${list} FROM ${rel} ${where([after, horizon])} ORDER BY ${order} LIMIT $${w + 1}`,
    readFirst: `SELECT ${list} FROM ${rel} ${where([horizon])} ORDER BY ${order} LIMIT $1`,
    countAfter: `SELECT count(*)::text AS n FROM ${rel} ${where([after, horizon])}`,
    countAll: `SELECT count(*)::text AS n FROM ${rel} ${where([horizon])}`,
    countAfterLimited: limited(`${rel} ${where([after, horizon])}`, w + 1),
    countAllLimited: limited(`${rel} ${where([horizon])}`, 1),
    headBelowHorizon: `SELECT ${posText} FROM ${rel} WHERE ${horizon} ORDER BY ${orderDesc} LIMIT 1`,
    heldAfter: `SELECT 1 AS held FROM ${rel} ${where([after, `${q[0]} >= pg_snapshot_xmin(pg_current_snapshot())`])} ` +
      'LIMIT 1',
    heldFirst: `SELECT 1 AS held FROM ${rel} ${where([`${q[0]} >= pg_snapshot_xmin(pg_current_snapshot())`])} LIMIT 1`,
    settledCandidate: `SELECT (SELECT ${q[0]} FROM ${rel} ORDER BY ${q[0]} DESC NULLS LAST LIMIT 1)::text AS l,
        ARRAY(SELECT l.virtualxid::text FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE l.locktype = 'virtualxid' AND l.pid <> pg_backend_pid() AND l.virtualxid IS NOT NULL
                 AND a.datname = current_database()
                 AND a.backend_type NOT IN ('autovacuum worker', 'autovacuum launcher')) AS v`,
    positionBefore: `SELECT ${posText} FROM ${rel} WHERE ${before} ORDER BY ${orderDesc} LIMIT 1`,
    xidCheck: mode === 'xid8'
      ? `SELECT (SELECT ${q[0]} FROM ${rel} ORDER BY ${q[0]} DESC LIMIT 1)::text AS max_tx, ` +
        'pg_snapshot_xmax(pg_current_snapshot())::text AS next_tx'
      : 'SELECT NULL::text AS max_tx, NULL::text AS next_tx',
    positionKeys,
    helperKeys
  }
  if (mode === 'settled') {
    plan.readAfterUpTo = `SELECT ${list} ` +
      `FROM ${rel} ${where([`${q[0]} > $1::${casts[0]}`, `${q[0]} <= $2::${casts[0]}`])} ORDER BY ${order} LIMIT $3`
    plan.readFirstUpTo = `SELECT ${list} FROM ${rel} ${where([`${q[0]} <= $1::${casts[0]}`])} ORDER BY ${order} ` +
      'LIMIT $2'
    plan.countAfter = 'SELECT count(*)::text AS n ' +
      `FROM ${rel} ${where([`${q[0]} > $1::${casts[0]}`, `${q[0]} <= $2::${casts[0]}`])}`
    plan.countAll = `SELECT count(*)::text AS n FROM ${rel} ${where([`${q[0]} <= $1::${casts[0]}`])}`
    plan.countAfterLimited = limited(`${rel} ${where([`${q[0]} > $1::${casts[0]}`, `${q[0]} <= $2::${casts[0]}`])}`, 3)
    plan.countAllLimited = limited(`${rel} ${where([`${q[0]} <= $1::${casts[0]}`])}`, 2)
  }
  if (timeColumn !== undefined) {
    plan.firstAtTime = `SELECT ${posText} FROM ${rel} WHERE src.${quoteIdent(timeColumn)} >= $1 ORDER BY ${order} ` +
      'LIMIT 1'
  }
  // Prove the whole read (filter included) plans and runs with these rights before anyone waits on
  // it. With a parameter it goes through the extended protocol, which takes one statement only:
  // whatever checkFilter missed, a filter that ends the statement fails here, before any read.
  await db.query(plan.readFirst, [0])
  return plan
}

/** A count that stops at the limit bound to parameter $n. */
function limited (fromWhere: string, n: number): string {
  return `SELECT count(*)::text AS n FROM (SELECT 1 FROM ${fromWhere} LIMIT $${n}::bigint) AS limited`
}

/** Reads the position of a row returned by a read query, and drops helper columns. */
export function takePosition (plan: SourcePlan, row: Record<string, unknown>): Position {
  const pos = plan.positionKeys.map(k => String(row[k]))
  for (const k of plan.helperKeys) delete row[k]
  return pos
}
