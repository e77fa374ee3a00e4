/** A one-line, secret-free description of a database error, for node status and logs. */
export function describeDbError (err: unknown): string {
  const e = err as { code?: string, message?: string, errors?: unknown[] }
  // pg reports "connect ECONNREFUSED" per address in an AggregateError with an empty message.
  if ((e?.message === undefined || e.message === '') && Array.isArray(e?.errors) && e.errors.length > 0) {
    return describeDbError(e.errors[0])
  }
  const code = e?.code
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused: is the server running and listening on that host and port?',
    ENOTFOUND: 'host not found',
    ETIMEDOUT: 'connection timed out',
    ECONNRESET: 'connection reset by the server',
    '28P01': 'password authentication failed',
    28000: 'the server refused this user or host (check pg_hba.conf)',
    '3D000': 'database does not exist',
    '42P01': 'table or view does not exist',
    42703: 'column does not exist',
    42501: 'permission denied',
    '57P01': 'the server is shutting down',
    '57P02': 'the server crashed and is restarting',
    '57P03': 'the server is starting up',
    57014: 'statement cancelled (statement timeout?)',
    40001: 'serialization failure',
    '40P01': 'deadlock detected',
    53100: 'disk full on the database server',
    53200: 'the database server is out of memory',
    53300: 'too many connections',
    25006: 'the server is read-only (a standby?)'
  }
  const hint = code !== undefined ? known[code] : undefined
  const message = (e?.message ?? String(err)).split('\n')[0]
  return hint !== undefined && !message.includes(hint) ? `${hint} (${message})` : message
}

/**
 * The one place that says which database errors are transient: after them the same statement
 * may succeed if tried again later, so every writer and reader of the pack waits and retries
 * (with backoff, in order) instead of failing the message or the stream:
 * - the connection was lost, refused, reset or timed out (Node socket codes, pg's own messages);
 * - class 08 (connection exception) and 57P01..57P03 (administrator shutdown, crash, starting up);
 * - 40001 serialization failure, 40P01 deadlock, 40003 statement completion unknown;
 * - 57014 statement cancelled (statement_timeout), 55P03 lock not available;
 * - class 53 (insufficient resources: too many connections, disk full, out of memory), which
 *   clear once the cause is removed;
 * - 25006 read-only transaction: the server is a standby (or a primary just demoted); with several
 *   servers the next try goes to the new primary once one is promoted (pg-primary.ts);
 * - class 28 (invalid authorization: a wrong password, a pg_hba.conf rule): the login is refused
 *   until an operator sets the password or the rule back, then the same statement succeeds, so
 *   the node waits (its status names the cause) instead of failing its stream or its messages.
 * Everything else (a constraint violation, a syntax error, a missing table or right) is permanent:
 * the same statement would fail the same way.
 */
export function isTransientDbError (err: unknown): boolean {
  const e = err as { code?: unknown, message?: unknown, errors?: unknown[], cause?: unknown }
  if (e === null || e === undefined) return false
  // pg reports "connect ECONNREFUSED" per address in an AggregateError.
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(isTransientDbError)) return true
  const code = typeof e.code === 'string' ? e.code : ''
  if (NODE_CODES.has(code)) return true
  if (/^(08|53|28)/.test(code) || /^57P0[123]$/.test(code)) return true
  if (['40001', '40P01', '40003', '57014', '55P03', '25006'].includes(code)) return true
  const message = typeof e.message === 'string' ? e.message : ''
  return new RegExp('Connection terminated|connection timeout|timeout exceeded when trying to connect|' +
    'Client has encountered a connection error|not queryable|the connection was lost', 'i').test(message)
}

/**
 * A transient error that only a person can clear: a refused login (class 28), a full disk
 * (53100), a missing right (42501), an embedded data folder to upgrade (EmbeddedVersionError).
 * The node keeps retrying, but its status is red rather than yellow, because waiting alone will
 * not end it.
 */
export function needsOperator (err: unknown): boolean {
  const e = err as { code?: unknown, errors?: unknown[], needsOperator?: unknown }
  if (e === null || e === undefined) return false
  if (e.needsOperator === true) return true // e.g. EmbeddedVersionError: a data folder to upgrade
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.some(needsOperator)
  const code = typeof e.code === 'string' ? e.code : ''
  return /^28/.test(code) || code === '53100' || code === '42501'
}

const NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH'
])
