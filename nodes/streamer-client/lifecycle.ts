import { CheckpointStore, StreamerClient } from '../../core/client'
import type { Database } from '../../core/db'
import { Fence, LeaseRegistry, LeaseSettings, Membership } from '../../core/ha'
import type { StartAt } from '../../core/stream'
import { standbyText } from '../shared/ha'
import type { Translate } from '../shared/i18n'
import { describeStart } from './control'
import type { LogLine } from './observer'

/** What the client's life needs of the node. */
export interface RunHooks {
  /** The client, on `store` (fenced by the lease's token when there is one). */
  makeClient: (store: CheckpointStore) => StreamerClient
  /** A client exists now: subscribe it to its streamer. */
  started: () => void
  /** The client went away (lease lost): its subscription with it. */
  stopped: () => void
  /** Why this instance stands by (undefined: it does not); the status shows it. */
  standby: (text: string | undefined) => void
  /** The database could not be opened. */
  failed: (error: string) => void
  log: (line: LogLine) => void
}

/**
 * A streamer client node's client, from its database to its close: the client is made once the
 * database is open, or with several instances (settings.js fixStreamers.ha) only while this
 * instance holds the client's lease, its checkpoint writes carrying the lease's token; it goes
 * when the lease is lost. On close the checkpoint is flushed first, then the lease given back.
 */
export class ClientRun {
  private current: StreamerClient | undefined
  private lease: Membership | undefined
  private closing = false

  constructor (private readonly hooks: RunHooks, private readonly t: Translate) {}

  /** The client: undefined before the database is open and while standing by. */
  get client (): StreamerClient | undefined {
    return this.current
  }

  get closed (): boolean {
    return this.closing
  }

  /**
   * Opens the database (`acquire`) and starts the client on `schema`'s checkpoints; with lease
   * settings (`ha()`, which throws on settings that cannot work), under the lease `resource()`
   * names (the FIX session's for a client feeding a gateway).
   */
  start (
    acquire: () => Promise<Database>, schema: string, haSettings: () => LeaseSettings | undefined,
    resource: () => string
  ): void {
    let ha: LeaseSettings | undefined
    try {
      ha = haSettings()
    } catch (err) {
      this.hooks.failed((err as Error).message)
      return this.hooks.log({ level: 'error', text: (err as Error).message })
    }
    acquire().then(database => {
      if (this.closing) return
      if (ha === undefined) {
        this.current = this.hooks.makeClient(new CheckpointStore(database, schema))
        return this.hooks.started()
      }
      this.lease = this.join(database, schema, ha, resource())
    }).catch(err => {
      if (!this.closing) this.hooks.failed(String((err as Error).message ?? err))
    })
  }

  /** Sends every unconfirmed row again; logs from where. */
  async redeliver (): Promise<void> {
    const from = await this.client?.redeliver()
    if (from === undefined) return
    this.hooks.log({ level: 'log', text: this.t('streamer-client.log.redelivered', { start: describeStart(from) }) })
  }

  /** Moves the checkpoint ('reset': forgets it); throws before the client runs. Logs where to. */
  async rewind (target: StartAt | 'reset'): Promise<StartAt> {
    const c = this.client
    if (c === undefined) throw new Error(this.t('streamer-client.errors.not-ready'))
    const start = target === 'reset' ? await c.reset() : await c.rewind(target)
    this.hooks.log({ level: 'log', text: this.t('streamer-client.log.rewound', { start: describeStart(start) }) })
    return start
  }

  /** Flushes the checkpoint (a failure is warned), then gives the lease back; never rejects. */
  async close (): Promise<void> {
    this.closing = true
    const c = this.current
    const held = this.lease
    this.lease = undefined
    const warn = (err: unknown): void => this.hooks.log({
      level: 'warn', text: this.t('streamer-client.errors.checkpoint', { error: String((err as Error).message ?? err) })
    })
    await (c?.close() ?? Promise.resolve())
      .catch(warn)
      .then(async () => await held?.leave())
      .catch(() => {})
  }

  private join (database: Database, schema: string, ha: LeaseSettings, resource: string): Membership {
    const m: Membership = LeaseRegistry.of(database, schema, ha).join(resource, {
      onActive: async g => {
        if (this.closing || this.lease !== m) return
        const fence: Fence = { ...g, onLost: err => m.lost(g.token, err.reason) }
        this.hooks.standby(undefined)
        this.current = this.hooks.makeClient(new CheckpointStore(database, schema, fence))
        const text = this.t('streamer-client.log.active', { instance: ha.instance, token: g.token })
        this.hooks.log({ level: 'log', text })
        this.hooks.started()
      },
      onLost: async err => {
        const c = this.current
        this.current = undefined
        this.hooks.stopped()
        this.hooks.standby(`standby (lease lost: ${err.reason})`)
        const text = this.t('streamer-client.log.lease-lost', { error: err.message, instance: ha.instance })
        this.hooks.log({ level: 'warn', text })
        await c?.close().catch(() => {})
      },
      onStandby: (activeOn, error) => {
        if (this.current !== undefined || this.closing) return
        this.hooks.standby(standbyText(activeOn, error))
      }
    })
    return m
  }
}
