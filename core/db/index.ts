// core/db: the database seen by the rest of the pack (PostgreSQL server or embedded PGlite),
// identifiers, errors, migrations and connection settings. Nodes import this area through here.
export * from './database'
export * from './identifiers'
export * from './errors'
export * from './migrate'
export * from './connection'
export * from './channel'
export * from './retry'
export * from './embedded-registry'
export * from './pg-targets'
export { PgDatabase, PgOptions } from './pg-database'
export { PgliteDatabase, PgliteOptions } from './pglite-database'
export { SleepMarker, SleepCheck, ASLEEP_LOCK_CLASS, WRITING_LOCK_CLASS } from './sleep-marker'
