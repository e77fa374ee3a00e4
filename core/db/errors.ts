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
    '42703': 'column does not exist',
    42501: 'permission denied',
    '57P01': 'the server is shutting down',
    '57P03': 'the server is starting up'
  }
  const hint = code !== undefined ? known[code] : undefined
  const message = (e?.message ?? String(err)).split('\n')[0]
  return hint !== undefined && !message.includes(hint) ? `${hint} (${message})` : message
}

/** True for errors after which a retry may succeed (connection lost, server restarting). */
export function isTransientDbError (err: unknown): boolean {
  const e = err as { code?: string, message?: string }
  const code = e?.code ?? ''
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true
  // Class 08: connection exception; 57P0x: operator intervention (shutdown, restart).
  if (/^08/.test(code) || /^57P0/.test(code)) return true
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable/i.test(e?.message ?? '')
}
