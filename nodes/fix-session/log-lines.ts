import * as path from 'path'
import { FileSessionLog, printableFix, SessionEvent, SessionLog } from '../../core/fix-session'

/**
 * What a FIX session writes to the Node-RED log and to its own files, kept pure so that it can be
 * tested without Node-RED: which events get a line and at which level, the frame log at trace
 * level, and the optional message log files.
 */

/** The logging calls of the node that runs the session (a Node-RED node has them all). */
export interface NodeLog {
  log: (text: string) => void
  warn: (text: string) => void
  error: (text: string) => void
  debug: (text: string) => void
  trace: (text: string) => void
}

/** settings.js's `logging`: a level per logger. */
export type LoggingSettings = Record<string, { level?: string } | undefined>

/** Whether any configured logger prints trace lines; a `logging` that cannot be read keeps them. */
export function traceEnabled (logging: () => LoggingSettings | undefined): boolean {
  try {
    return Object.values(logging() ?? {}).some(l => l?.level === 'trace')
  } catch {
    return true // unknown: keep the trace lines
  }
}

/**
 * Frames at trace level ('<<' in, '>>' out, secrets masked), events at debug. Formatting a frame
 * costs: when nothing would print it (`tracing` false), frames are not even formatted.
 */
export function frameLog (tracing: boolean, to: Pick<NodeLog, 'trace' | 'debug'>): SessionLog {
  return {
    incoming: tracing ? raw => to.trace(`<< ${printableFix(raw)}`) : () => {},
    outgoing: tracing ? raw => to.trace(`>> ${printableFix(raw)}`) : () => {},
    event: text => to.debug(text)
  }
}

/**
 * The optional message log files (QuickFIX's FileLog) in `directory`, relative to the user
 * directory; undefined when no directory is set. A failing file is reported once, not per line.
 */
export function fileLogOf (
  directory: string | undefined, userDir: string, sessionName: string, onFirstError: (err: Error) => void
): FileSessionLog | undefined {
  const dir = String(directory ?? '').trim()
  if (dir === '') return undefined
  let told = false
  return new FileSessionLog({
    directory: path.resolve(userDir, dir),
    sessionName,
    onError: err => {
      if (!told) onFirstError(err)
      told = true
    }
  })
}

/** A session event's log line, if it gets one: logons, logouts, refusals and sequence changes; errors warn. */
export function eventLine (e: SessionEvent): { level: 'log' | 'warn', text: string } | undefined {
  switch (e.type) {
    case 'logon': case 'logout': case 'logon-refused': case 'sequence-numbers':
      return { level: 'log', text: `${e.type}: ${JSON.stringify(e)}` }
    case 'error': return { level: 'warn', text: e.text }
    default: return undefined
  }
}

/**
 * The log line for a transport or store text (`raw`) shown as `shown` on the status: the store's
 * outage text is logged whole (once per outage), the status keeps it short.
 */
export function statusLine (raw: string, shown: string): string {
  return raw.startsWith('waiting for database') ? raw : shown
}
