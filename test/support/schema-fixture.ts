/**
 * The database and schema of a database spec: the one copy of its open / create schema / drop schema hooks
 * (issue 19 point 7). The database opens once per describe (opening PGlite costs seconds); every test gets
 * a schema of its own, created before it and dropped with all its tables after it, so no test sees the rows
 * or tables another one left (unless the spec asks for one schema per describe: schemaPer).
 */
import { Database, migrate } from '../../core'
import { DatabaseTarget, dropSchema, uniqueSchema } from './databases'

/** A streamer, client, lease or pool a test started: it must stop before its schema is dropped. */
export interface Closable { close: () => Promise<unknown> }

export interface SchemaFixture<D extends Database = Database> {
  db: D
  /** The current test's schema (a new one for each test). */
  schema: string
  /** Closed after each test in the order pushed, before the schema is dropped. */
  closing: Closable[]
}

export interface SchemaFixtureOptions<D extends Database = Database> {
  /** The start of each schema's name (uniqueSchema). */
  prefix?: string
  /** Create the pack's tables in the schema (migrate) instead of an empty schema. */
  migrate?: boolean
  /** Tables and rows each test starts from, run after the schema is created. */
  setup?: (db: D, schema: string) => Promise<void>
  /** Runs after the schema is dropped, the database still open (objects outside the schema, such as roles). */
  teardown?: (db: D, schema: string) => Promise<void>
  /**
   * 'describe': one schema for all the tests of the describe, dropped after the last, for specs whose tests
   * build on what the one before left (an audit table, then the same table again). Default 'test'.
   */
  schemaPer?: 'test' | 'describe'
  /** Opens the database instead of `target.open()` (a pool with other options, say). */
  open?: () => Promise<D>
}

/**
 * Registers mocha hooks in the calling describe: the database opened before its first test and closed after
 * the last, a schema created (and `setup` run) before each test and dropped after it. Hooks of the calling
 * describe registered later run after these, nested describes' hooks inside them.
 */
export function schemaFixture<D extends Database = Database> (
  target: DatabaseTarget | undefined,
  options: SchemaFixtureOptions<D> = {}
): SchemaFixture<D> {
  const f: SchemaFixture<D> = { db: undefined as unknown as D, schema: '', closing: [] }
  const open = options.open ?? (async () => await target!.open() as D)
  const perTest = options.schemaPer !== 'describe'
  const create = async (): Promise<void> => {
    f.schema = uniqueSchema(options.prefix)
    if (options.migrate === true) await migrate(f.db, f.schema)
    else await f.db.query(`CREATE SCHEMA "${f.schema}"`)
    await options.setup?.(f.db, f.schema)
  }
  const drop = async (): Promise<void> => {
    if (f.db === undefined || f.schema === '') return
    await dropSchema(f.db, f.schema)
    await options.teardown?.(f.db, f.schema)
  }
  before(async function () {
    // Opening PGlite is CPU-bound: past 20 s on a loaded 2-CPU machine. A longer describe timeout stands.
    this.timeout(Math.max(this.timeout(), 90000))
    f.db = await open()
    if (!perTest) await create()
  })
  if (perTest) {
    beforeEach(async function () {
      this.timeout(Math.max(this.timeout(), 60000))
      await create()
    })
  }
  afterEach(async () => {
    try {
      for (const c of f.closing.splice(0)) await c.close()
    } finally {
      if (perTest) await drop()
    }
  })
  after(async () => {
    try {
      if (!perTest) await drop()
    } finally {
      await f.db?.close()
    }
  })
  return f
}
