import type { Queryable } from './database'
import { templatesDue } from './embedded-templates'
import { errorLine } from './embedded-error-text'

/** What one pass did: the tables it vacuumed or analysed, as quoted qualified names, and those it could not. */
export interface MaintenancePass {
  vacuumed: string[]
  analysed: string[]
  failed: MaintenanceFailure[]
  /** The folder's other databases past the freeze age: only its next opening freezes them (embedded-templates.ts). */
  templatesDue: string[]
}

/** A table the pass could not vacuum or analyse, and PostgreSQL's error. */
export interface MaintenanceFailure {
  target: string
  error: unknown
}

/**
 * Tables a pass could not vacuum or analyse (an expression index whose function now raises, a
 * damaged table). The pass went on with the others: one table must not keep the rest from being
 * analysed and frozen, as on a server, where autovacuum moves on to the next table after an error.
 */
export class EmbeddedMaintenanceError extends Error {
  constructor (readonly failures: MaintenanceFailure[]) {
    super(`could not vacuum or analyse ${failures.map(f => `${f.target} (${errorLine(f.error)})`).join(', ')}`)
    this.name = 'EmbeddedMaintenanceError'
  }
}

export interface MaintenanceOptions {
  /** Time between passes (ms); default: the database's autovacuum_naptime (one minute by default). */
  intervalMs?: number
  /**
   * Age of a table's oldest unfrozen transaction id at which it is vacuumed whatever changed in it;
   * default: the database's autovacuum_freeze_max_age (200 million by default).
   */
  freezeMaxAge?: number
  /**
   * Called with a pass that failed as a whole; the next pass tries again. Default: a process
   * warning (Node-RED's log shows it) for the first failure after a pass that succeeded.
   */
  onError?: (err: unknown) => void
  /**
   * Whether a pass also reads the folder's templates' age (embedded-templates.ts); default true.
   * False for an in-memory database: no next opening freezes them, and a restart makes it anew.
   */
  templates?: boolean
}

/**
 * The tables due, by autovacuum's thresholds, read from the database's own settings. A table's
 * storage parameters keep a value as it was written (`off`, `0`, `FALSE`): PostgreSQL's own boolean
 * cast reads it, as it did when it accepted it.
 */
const DUE_SQL = `
  WITH s AS (
    SELECT current_setting('autovacuum_vacuum_threshold')::float8 AS vacuum_base,
      current_setting('autovacuum_vacuum_scale_factor')::float8 AS vacuum_scale,
      current_setting('autovacuum_vacuum_insert_threshold')::float8 AS insert_base,
      current_setting('autovacuum_vacuum_insert_scale_factor')::float8 AS insert_scale,
      current_setting('autovacuum_analyze_threshold')::float8 AS analyse_base,
      current_setting('autovacuum_analyze_scale_factor')::float8 AS analyse_scale,
      coalesce($1::float8, current_setting('autovacuum_freeze_max_age')::float8) AS freeze_age
  )
  SELECT format('%I.%I', t.schemaname, t.relname) AS target,
    (t.n_dead_tup > s.vacuum_base + s.vacuum_scale * greatest(c.reltuples, 0)
      OR (s.insert_base >= 0 AND t.n_ins_since_vacuum > s.insert_base + s.insert_scale * greatest(c.reltuples, 0))
      OR age(c.relfrozenxid) > s.freeze_age) AS vacuum,
    t.n_mod_since_analyze > s.analyse_base + s.analyse_scale * greatest(c.reltuples, 0) AS analyse
  FROM pg_stat_all_tables AS t
  JOIN pg_class AS c ON c.oid = t.relid
  CROSS JOIN s
  WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't'
    AND t.schemaname NOT IN ('pg_toast', 'information_schema')
    AND NOT EXISTS (SELECT 1 FROM unnest(c.reloptions) AS o
      WHERE split_part(o, '=', 1) = 'autovacuum_enabled' AND NOT split_part(o, '=', 2)::boolean)
  ORDER BY age(c.relfrozenxid) DESC, t.relid`

/**
 * Autovacuum's work for the embedded database. PGlite runs PostgreSQL as a single standalone
 * session: there is no postmaster, so no autovacuum. Left alone, its tables are never analysed
 * (every plan is made without statistics, for ever: a stream's read of an unanalysed journal can
 * sort its whole backlog for each batch) and never frozen (a standalone backend only warns as
 * transaction ids approach wraparound, where rows not yet frozen would disappear; varsup.c stops
 * new transactions only under a postmaster). Each pass asks the statistics which tables are due
 * by autovacuum's own thresholds, and vacuums or analyses them one at a time: each statement
 * waits its turn with the pack's own (PGlite runs one statement or transaction at a time), so a
 * pass never runs inside a transaction and never interleaves with one.
 */
export class EmbeddedMaintenance {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private stopped = false
  /** What was reported since the last pass without failures: a table's name, or '' for whole passes. */
  private reported = new Set<string>()
  private templatesSaid = false

  constructor (private readonly db: Queryable, private readonly options: MaintenanceOptions = {}) {}

  /** Starts the passes, the first one interval after now. */
  async start (): Promise<void> {
    const ms = this.options.intervalMs ?? await this.naptimeMs()
    if (this.stopped) return
    this.timer = setInterval(() => {
      if (this.running !== undefined) return
      this.running = this.pass()
        .then(done => {
          this.templates(done.templatesDue)
          if (done.failed.length === 0) this.reported.clear()
          else this.failed(new EmbeddedMaintenanceError(done.failed))
        }, err => this.failed(err))
        .finally(() => { this.running = undefined })
    }, ms)
    this.timer.unref()
  }

  /** Stops the passes and waits for one in progress (the database may then close). */
  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.running
  }

  /** One pass now: vacuums and analyses every table due. */
  async pass (): Promise<MaintenancePass> {
    const done: MaintenancePass = { vacuumed: [], analysed: [], failed: [], templatesDue: [] }
    // The session keeps up to a second of its counts before it reports them to the statistics:
    // reported first (when this statement ends), the pass sees every change made before it.
    await this.db.query('SELECT pg_stat_force_next_flush()')
    // The names come quoted by PostgreSQL itself (format's %I), whatever the tables are called.
    const due = await this.db.query<{ target: string, vacuum: boolean, analyse: boolean }>(
      DUE_SQL, [this.options.freezeMaxAge ?? null])
    for (const t of due.rows) {
      if (this.stopped) break
      if (!t.vacuum && !t.analyse) continue
      try {
        await this.db.query(t.vacuum ? `VACUUM ${t.analyse ? '(ANALYZE) ' : ''}${t.target}` : `ANALYZE ${t.target}`)
      } catch (err) {
        // Dropped since the statistics were read: nothing left to do for it.
        if ((err as { code?: string }).code === '42P01') continue
        // VACUUM (ANALYZE) commits the vacuum before it analyses: a table whose analyse fails is
        // still frozen. The next pass tries it again.
        done.failed.push({ target: t.target, error: err })
        continue
      }
      if (t.vacuum) done.vacuumed.push(t.target)
      if (t.analyse) done.analysed.push(t.target)
    }
    if (!this.stopped && this.options.templates !== false) {
      done.templatesDue = await templatesDue(this.db, this.options.freezeMaxAge)
    }
    return done
  }

  /**
   * Templates past the freeze age while the folder is open: only its next opening freezes them,
   * and a process that runs for months may not reopen it. Said once per process, long before it
   * matters: PostgreSQL's own warnings start about 1.9 billion transactions later.
   */
  private templates (due: string[]): void {
    if (due.length === 0 || this.templatesSaid) return
    this.templatesSaid = true
    process.emitWarning(`the embedded database's ${due.join(' and ')} ${due.length > 1 ? 'are' : 'is'} past ` +
      'autovacuum_freeze_max_age: frozen the next time the folder opens (restart Node-RED when convenient)',
    'EmbeddedMaintenanceWarning')
  }

  /**
   * A pass that failed as a whole, or tables it could not do. The default says so once per run of
   * failures: again only for a table (or a whole pass) not reported since the last clean pass.
   */
  private failed (err: unknown): void {
    if (this.options.onError !== undefined) {
      // A pass runs on a timer: a throw here would be an unhandled rejection, which ends Node.js.
      try { this.options.onError(err) } catch {}
      return
    }
    const keys = err instanceof EmbeddedMaintenanceError ? err.failures.map(f => f.target) : ['']
    if (keys.every(k => this.reported.has(k))) return
    for (const k of keys) this.reported.add(k)
    const what = err instanceof EmbeddedMaintenanceError
      ? `the embedded database ${err.message}`
      : `the embedded database's vacuum and analyse pass failed (${errorLine(err)})`
    process.emitWarning(`${what}; the next pass tries again`, 'EmbeddedMaintenanceWarning')
  }

  private async naptimeMs (): Promise<number> {
    const r = await this.db.query<{ s: string }>(
      "SELECT (extract(epoch FROM current_setting('autovacuum_naptime')::interval) * 1000)::text AS s")
    return Number(r.rows[0].s)
  }
}
