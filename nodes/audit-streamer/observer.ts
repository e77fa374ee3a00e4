import type { NodeStatus } from 'node-red'
import { ConnectionState, Outage } from '../../core/db'
import type { SubscriptionState } from '../../core/stream'
import type { Translate } from '../shared/i18n'
import { LogLine, subscriptionLine } from './messages'
import { auditStreamerStatus, databaseOutage, outageNeedsPerson, StreamerLabels, StreamerView } from './status-text'

/**
 * What an audit streamer node learns of its stream, its subscriptions' states and its database
 * connection, and what it says of them: the status (auditStreamerStatus of the view) and the log
 * lines. A database outage is logged when it begins, again when a cause only a person can clear
 * comes (each text once), and once when it ends, however many reads, subscriptions and backoff rounds it spans; a
 * problem that needs a person is logged once per text, not once per retry. Plain TypeScript: the
 * node passes the states in and logs the lines.
 */
export class StreamObserver {
  private readonly states = new Map<number, SubscriptionState>()
  private readonly outage = new Outage()
  private connection: ConnectionState | undefined
  private lastError = ''

  /**
   * `stream` names the stream in the log; `failed` tells why the streamer could not start;
   * `configError`, set by the node, wins over everything else in the status.
   */
  constructor (
    private readonly stream: string,
    private readonly t: Translate,
    private readonly failed: () => string | undefined,
    public configError?: string
  ) {}

  /** A subscription's new state: its failure's line (once per text), then an outage's start or end. */
  subscription (id: number, state: SubscriptionState): LogLine[] {
    if (state.phase === 'closed') this.states.delete(id)
    else this.states.set(id, state)
    const lines: LogLine[] = []
    const line = subscriptionLine(state, this.stream, this.t)
    if (line !== undefined && line.text !== this.lastError) {
      this.lastError = line.text
      lines.push(line)
    }
    return lines.concat(this.outageLines())
  }

  /** The database connection's new state: an outage's start or end, if it is one. */
  database (s: ConnectionState): LogLine[] {
    this.connection = s
    return this.outageLines()
  }

  view (): StreamerView {
    return {
      configError: this.configError,
      connection: this.connection,
      states: [...this.states.values()],
      failed: this.failed(),
      outage: this.outage.why
    }
  }

  status (labels: StreamerLabels): NodeStatus {
    return auditStreamerStatus(this.view(), labels)
  }

  private outageLines (): LogLine[] {
    const view = this.view()
    const reason = databaseOutage(view)
    if (reason !== undefined) {
      const text = this.t('audit-streamer.log.waiting-db', { stream: this.stream, error: reason })
      return this.outage.begin(reason, outageNeedsPerson(view)).say ? [{ level: 'warn', text }] : []
    }
    if (!this.outage.end()) return []
    return [{ level: 'log', text: this.t('audit-streamer.log.db-back', { stream: this.stream }) }]
  }
}

/** The status words, in the runtime's language. */
export function streamerLabels (t: Translate): StreamerLabels {
  return {
    live: t('audit-streamer.status.live'),
    idle: t('audit-streamer.status.idle'),
    starting: t('audit-streamer.status.starting'),
    replaying: t('audit-streamer.status.replaying')
  }
}
