/**
 * The package's public API (package.json "main"): what another package may build on, kept
 * compatible within a major version. Chosen, not everything under core/:
 *
 * - the database: the `Database` interface, its two engines (`PgDatabase`, `PgliteDatabase`),
 *   `migrate`, connection settings, identifier quoting and the error helpers;
 * - streaming: `Streamer` (an insert-only table streamed in order, no row skipped) and its contract
 *   (`StreamSource`, `Subscriber`, `Position`, `StartAt`, `StreamMeta`, `Confirmable`), managed
 *   audit tables;
 * - the streamer client: `StreamerClient`, `CheckpointStore` and their types;
 * - FIX: the session layer (`SessionRuntime`, settings, stores), `FixCodec`, `FixTranslator` and
 *   the shipped dictionaries;
 * - high availability: leases with fencing tokens (core/ha).
 *
 * Everything else (the operator console's read models in core/ops, helpers in core/util, the
 * dictionary internals of core/fix) is internal and may change in any release. Inside this package,
 * nodes import each area through its own index (core/db, core/stream, core/client, core/fix,
 * core/fix-session, core/ops, core/util), not through this file.
 */
export * from './db/database'
export * from './db/identifiers'
export * from './db/errors'
export * from './db/migrate'
export * from './db/connection'
export { PgDatabase, PgOptions } from './db/pg-database'
export { PgliteDatabase, PgliteOptions } from './db/pglite-database'
export * from './stream'
export * from './client'
export * from './fix-session'
export { FixCodec, FixEncodeError, FixParseError, FrameSplitter, ParsedFixMessage } from './fix/codec'
export { FixTranslator, FixInputError, FixInfo, ToFixResult, FromFixResult } from './fix/translator'
export { BUILTIN_DICTIONARIES, BuiltinDictionary, loadDictionary } from './fix/dictionaries'
export * from './ha'
