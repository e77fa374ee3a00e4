/**
 * One line that says why an embedded database call failed, for a status or a log line. PGlite's
 * own file system errors (Emscripten's ErrnoError) carry only an errno, and PostgreSQL's messages
 * may run over several lines: the first says what happened.
 */
export function errorLine (err: unknown): string {
  const e = err as { message?: unknown, errno?: unknown } | undefined
  if (typeof e?.message === 'string' && e.message !== '') return e.message.split('\n')[0]
  // Emscripten's errno numbers are its own, e.g. 54 is ENOTDIR.
  if (typeof e?.errno === 'number') return `file system error ${e.errno} (is it a folder this process can write?)`
  return String(err)
}
