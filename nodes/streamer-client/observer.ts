import type { NodeStatus } from 'node-red'
import { ClientPhase, ClientState, ClientStats, LAG_COUNT_LIMIT, StreamerClientOptions } from '../../core/client'
import { ConnectionState, isTransientDbError, Outage } from '../../core/db'
import type { Position, StartAt } from '../../core/stream'
import type { Translate } from '../shared/i18n'
import { status } from '../shared/status'
import { describeStart } from './control'
import {
  clientOutage, clientOutageNeedsPerson, clientProblem, clientStatus, ClientLabels, ClientView
} from './status-text'

/** A line for the Node-RED log. */
export interface LogLine { level: 'log' | 'warn' | 'error', text: string }

/** Where the observer says things: the node's log and its status. */
export interface ClientVoice {
  log: (line: LogLine) => void
  status: (s: NodeStatus) => void
}

/** What the observer needs of the running client (a StreamerClient). */
export interface ObservedClient {
  readonly phase: ClientPhase
  stats: () => ClientStats
  lag: () => Promise<number | undefined>
}

/** The status words, in the runtime's language. */
export function clientLabels (t: Translate): ClientLabels {
  return {
    connecting: t('streamer-client.status.connecting'),
    detached: t('streamer-client.status.detached'),
    stopped: t('streamer-client.status.stopped'),
    failed: t('streamer-client.status.failed')
  }
}

/**
 * What a streamer client node learns (its database connection, its client's states and
 * problems, its wiring, its lag) and what it says of it: the status and the log lines. A
 * database outage is logged when it begins, when a cause a person must clear comes, and when it ends, not per
 * read or row; any other warning once until a different one comes. Plain TypeScript: the node passes the events in
 * and gives it a voice.
 */
export class ClientObserver {
  private problem: string | undefined
  private standingBy: string | undefined
  private db: ConnectionState | undefined
  private error: string | undefined
  private needsAction = false
  private needsOperator = false
  private lag: number | undefined
  private lagBusy = false
  private lastWarned = ''
  private readonly outage = new Outage()
  private readonly labels: ClientLabels

  /**
   * `client` is the running client, undefined until the database is open (or while standing by);
   * once `closed`, nothing more is shown.
   */
  constructor (
    private readonly t: Translate,
    private readonly client: () => ObservedClient | undefined,
    private readonly voice: ClientVoice,
    private readonly closed: () => boolean
  ) {
    this.labels = clientLabels(t)
  }

  /** The database connection's new state. */
  database (s: ConnectionState): void {
    this.db = s
    this.sayOutage()
    this.show()
  }

  /** The client's new state: its error (once, unless it is the database outage), the outage. */
  clientState (s: ClientState): void {
    this.error = s.error
    this.needsAction = s.needsAction === true
    this.needsOperator = s.needsOperator === true
    const dbWait = clientOutage({ phase: s.phase, error: s.error, needsAction: this.needsAction }) !== undefined
    if (s.error !== undefined && s.phase !== 'stopped' && !dbWait) this.warn(`${s.phase}: ${s.error}`)
    this.sayOutage()
    this.show()
  }

  /** A checkpoint write failed (it is retried): warned once, unless part of an outage already logged. */
  checkpointProblem (err: unknown): void {
    if (this.outage.active && isTransientDbError(err)) return
    this.warn(this.t('streamer-client.errors.checkpoint', { error: (err as Error).message ?? String(err) }))
  }

  /** The client sends the unconfirmed rows again, from `from`, after its target failed a row. */
  redelivering (from: StartAt, failed: Position, error: string): void {
    const args = { position: failed.join(', '), start: describeStart(from), error }
    this.voice.log({ level: 'warn', text: this.t('streamer-client.log.redelivering', args) })
  }

  /** The client is wired to `count` streamers: none (a problem shown until one is) or several. */
  miswired (count: number): void {
    if (count > 1) return this.warn(this.t('streamer-client.errors.many-streamers', { count }))
    this.problem = this.t('streamer-client.status.no-streamer')
    this.show()
  }

  /** A configuration or wiring problem: shown at once, in red, until the client attaches. */
  fail (text: string): void {
    this.problem = text
    this.voice.status(status.error(text))
  }

  /** The client subscribes to its streamer: a wiring problem shown before is over. */
  attaching (): void {
    this.problem = undefined
  }

  /** Several instances: why this one waits ("standby (active on b)"); undefined once it is active. */
  standby (text: string | undefined): void {
    this.standingBy = text
    if (text !== undefined) this.show()
  }

  /** A warning, unless it is the last one given. */
  warn (text: string): void {
    if (text === this.lastWarned) return
    this.lastWarned = text
    this.voice.log({ level: 'warn', text })
  }

  /**
   * Each second while the client runs: asks it for its lag when it is attached (one question at
   * a time; the status shows the last answer), and shows the status with its figures.
   */
  tick (attached: boolean): void {
    const c = this.client()
    if (c === undefined) return
    if (!this.lagBusy && attached) {
      this.lagBusy = true
      c.lag().then(l => { this.lag = l }, () => { this.lag = undefined }).finally(() => { this.lagBusy = false })
    }
    this.show()
  }

  /**
   * The client's events (StreamerClientOptions' onState, onProblem, onRedeliver), heard here;
   * `detached` is told first when the streamer closed the stream under the client.
   */
  listener (detached: () => void): Pick<StreamerClientOptions, 'onState' | 'onProblem' | 'onRedeliver'> {
    return {
      onState: s => {
        if (s.phase === 'detached') detached()
        this.clientState(s)
      },
      onProblem: err => this.checkpointProblem(err),
      onRedeliver: (from, failed, error) => this.redelivering(from, failed, error)
    }
  }

  view (): ClientView {
    const c = this.client()
    return {
      db: this.db,
      phase: c?.phase,
      error: this.error,
      needsAction: this.needsAction,
      needsOperator: this.needsOperator,
      problem: this.problem,
      stats: c?.stats(),
      lag: this.lag,
      lagLimit: LAG_COUNT_LIMIT,
      outage: this.outage.why
    }
  }

  /** What is wrong, whole (the FIX sidebar shows it); undefined while nothing is, and once closed. */
  currentProblem (): string | undefined {
    return this.closed() ? undefined : clientProblem(this.view(), this.labels)
  }

  /**
   * Shows the status: standing by while this instance has no client and nothing else is wrong,
   * else clientStatus (nothing new while the client is not there yet).
   */
  show (): void {
    if (this.closed()) return
    const s = this.client() === undefined && this.standingBy !== undefined && this.problem === undefined &&
      this.db?.state !== 'retrying'
      ? status.waiting(this.standingBy)
      : clientStatus(this.view(), this.labels)
    if (s !== undefined) this.voice.status(s)
  }

  private sayOutage (): void {
    const { db, error, needsAction, needsOperator, outage } = this
    const reason = clientOutage({ db, phase: this.client()?.phase, error, needsAction, outage: outage.why })
    if (reason !== undefined) {
      const text = this.t('streamer-client.log.waiting-db', { error: reason })
      const needsPerson = clientOutageNeedsPerson({ db, needsOperator, outage: outage.why })
      if (outage.begin(reason, needsPerson).say) this.voice.log({ level: 'warn', text })
    } else if (outage.end()) this.voice.log({ level: 'log', text: this.t('streamer-client.log.db-back') })
  }
}
