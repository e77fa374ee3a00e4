import { Client, ClientBase, ClientConfig } from 'pg'
import { describeTarget, parseServerList, needsOwnParsing, PgTarget, TargetSessionAttrs } from './pg-targets'
import { describeDbError } from './errors'

/**
 * Which server of a list to use, with libpq's target_session_attrs semantics: the servers are
 * tried in the order given and the first of the kind wanted wins. A standby (or a server whose
 * sessions are read-only) is skipped for read-write, so after a promotion the same list leads to
 * the new primary.
 */

/**
 * The server answered but does not take writes: a standby, or transaction_read_only is on. It
 * carries SQLSTATE 25006 (read_only_sql_transaction), the code the server itself gives a write
 * there, so callers treat it as transient: a promotion may be under way.
 */
export class ReadOnlyServerError extends Error {
  readonly code = '25006'
  constructor (readonly server: string, readonly inRecovery: boolean) {
    const why = inRecovery ? 'is in recovery' : 'has transaction_read_only on'
    super(`the server is read-only (a standby?): ${server} ${why}`)
    this.name = 'ReadOnlyServerError'
  }
}

/** No server of the list is of the kind wanted now; `errors` holds each server's reason, in list order. */
export class NoPrimaryError extends Error {
  constructor (readonly errors: unknown[], servers: string[]) {
    super('no server accepts writes: ' + servers.map((s, i) => `${s} ${errors[i] instanceof ReadOnlyServerError
      ? ((errors[i] as ReadOnlyServerError).inRecovery ? 'is a standby' : 'is read-only')
      : describeDbError(errors[i])}`).join('; '))
    this.name = 'NoPrimaryError'
  }
}

/** The servers to choose from and the kind wanted; undefined for a single server used as configured. */
export interface ServerChoice {
  targets: PgTarget[]
  attrs: TargetSessionAttrs
  /** Settings from the connection string other than the hosts (they override the explicit ones, as in pg). */
  config: Record<string, unknown>
}

export interface ServerChoiceOptions {
  connectionString?: string
  /** Several servers (or one whose kind is checked). */
  hosts?: PgTarget[]
  targetSessionAttrs?: TargetSessionAttrs
}

/**
 * Reads the choice from the options. With several servers the default is read-write (libpq's is
 * any): every node of the pack writes, so a standby is never a useful pick.
 */
export function serverChoice (o: ServerChoiceOptions): ServerChoice | undefined {
  const pick = (targets: PgTarget[], attrs: TargetSessionAttrs | undefined, config: Record<string, unknown>):
  ServerChoice | undefined => {
    const kind = o.targetSessionAttrs ?? attrs ?? (targets.length > 1 ? 'read-write' : 'any')
    const plain = targets.length === 1 && kind === 'any' && o.hosts === undefined
    return plain ? undefined : { targets, attrs: kind, config }
  }
  if (o.hosts !== undefined && o.hosts.length > 0) return pick(o.hosts, undefined, {})
  const cs = o.connectionString
  if (cs !== undefined && (needsOwnParsing(cs) || o.targetSessionAttrs !== undefined)) {
    const parsed = parseServerList(cs)
    return pick(parsed.targets, parsed.attrs, parsed.config)
  }
  return undefined
}

const KIND_SQL = "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only"

/** Throws ReadOnlyServerError unless the session on `client` is of the kind wanted. */
export async function assertKind (client: ClientBase, attrs: TargetSessionAttrs, server: string): Promise<void> {
  if (attrs === 'any') return
  const row = (await client.query(KIND_SQL)).rows[0] as { recovery: boolean, read_only: string }
  const refused = attrs === 'primary' ? row.recovery : row.read_only !== 'off'
  if (refused) throw new ReadOnlyServerError(server, row.recovery)
}

/**
 * Tries the servers in order, each with a connection of its own that is closed again, and returns
 * the first of the kind wanted; NoPrimaryError (transient when every reason is) if none is.
 */
export async function findServer (choice: ServerChoice, config: ClientConfig): Promise<PgTarget> {
  const errors: unknown[] = []
  for (const target of choice.targets) {
    const client = new Client({ ...config, host: target.host, port: target.port })
    client.on('error', () => { /* the connect or the query rejects with it */ })
    try {
      await client.connect()
      await assertKind(client, choice.attrs, describeTarget(target))
      return target
    } catch (err) {
      errors.push(err)
    } finally {
      await client.end().catch(() => {})
    }
  }
  throw new NoPrimaryError(errors, choice.targets.map(describeTarget))
}
