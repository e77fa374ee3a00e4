import { ConnectionState, Database, Outage, PgDatabase } from '../../core/db'
import type { Translate } from '../shared/i18n'

/** A line for the Node-RED log, or nothing. */
export interface LogLine { level: 'log' | 'warn', text: string }

/**
 * The log lines of a connection's state changes: one when it connects, one per outage. Each retry
 * passes through 'connecting', and the status of every user already shows it, so a server that
 * stays away for an hour logs one warning, not one per attempt. A cause only a person can clear
 * (a refused login, a full disk) that comes during the outage is logged too, once per text (Outage).
 */
export class ConnectionLog {
  private readonly outage = new Outage()

  constructor (private readonly t: Translate, private readonly schema: string) {}

  lineFor (s: ConnectionState): LogLine | undefined {
    if (s.state === 'retrying') {
      if (!this.outage.begin(s.error, s.needsOperator === true).say) return undefined
      const seconds = Math.round(s.delayMs / 1000)
      return { level: 'warn', text: this.t('streamer-database.errors.retrying', { error: s.error, seconds }) }
    }
    if (s.state === 'connected') {
      this.outage.end()
      return { level: 'log', text: connectedLine(s.database, this.schema, this.t) }
    }
    return undefined
  }
}

/** Which server the pool reached (the primary, of several), and the schema. */
export function connectedLine (db: Database, schema: string, t: Translate): string {
  if (!(db instanceof PgDatabase)) return t('streamer-database.log.connected', { kind: db.kind, schema })
  const servers = db.servers
  return servers.length > 1
    ? t('streamer-database.log.connected-primary', { server: db.server, servers: servers.join(', '), schema })
    : t('streamer-database.log.connected-server', { server: db.server, schema })
}

/**
 * Passes on at most one text per `everyMs`, adding how many were held back since: every pooled
 * connection reports the same outage, and one line says it.
 */
export function throttled (everyMs: number, out: (text: string) => void, now = Date.now): (text: string) => void {
  let at = -Infinity
  let more = 0
  return text => {
    const t = now()
    if (t - at < everyMs) { more++; return }
    out(text + (more > 0 ? ` (+${more})` : ''))
    at = t
    more = 0
  }
}
