import type { Node, NodeAPI } from 'node-red'
import type { ConnectionState, Database } from '../../core/db'
import { ensureAuditTable, describeStreamError, StreamConfigError, Streamer } from '../../core/stream'
import type { StreamMeta, StreamRow, Subscription, SubscriptionState } from '../../core/stream'
import type { StreamerDatabaseNode } from '../streamer-database/types'
import { Outage } from '../../core/db'
import { translator } from '../shared/i18n'
import catalog = require('./locales/en-US/audit-streamer.json')
import { flowGraph, targetsOf } from '../shared/links'
import { streamSources } from '../shared/registry'
import { registerAdmin } from './admin'
import { StreamerSettings, streamerSettings } from './config'
import { auditStreamerStatus, databaseOutage, StreamerView, waitsForDatabase } from './status-text'
import type { AuditStreamerDef } from './types'
import { configNode } from '../shared/config-users'

/** Streamer clients subscribe through node.stream; they need no copy of the node's output. */
const CLIENT_TYPE = 'streamer-client'

export = function (RED: NodeAPI): void {
  const t = translator(RED, catalog)
  registerAdmin(RED)

  function AuditStreamer (this: Node & { [k: string]: any }, def: AuditStreamerDef): void {
    RED.nodes.createNode(this, def)
    const node = this
    const dbNode = configNode<StreamerDatabaseNode>(RED, def.database, 'streamer-database')
    const states = new Map<number, SubscriptionState>()
    let connection: ConnectionState | undefined
    let settings: StreamerSettings | undefined
    let configError: string | undefined
    let output: Subscription | undefined

    try {
      settings = streamerSettings(def)
      if (dbNode === undefined) throw new StreamConfigError(t('audit-streamer.errors.no-database'))
    } catch (err) {
      configError = describeStreamError(err)
    }

    let prepared: Promise<Database> | undefined
    const database = async (): Promise<Database> => {
      if (configError !== undefined) throw new StreamConfigError(configError)
      const db = await (dbNode as StreamerDatabaseNode).acquire()
      const managed = settings?.managedSource
      if (managed === undefined) return db
      // Create or bring the managed audit table up to date once per deploy, before reading it.
      if (prepared === undefined) {
        prepared = ensureAuditTable(db, { source: managed, notifyChannel: settings?.listenChannel }).then(r => {
          const audit = `${r.audit.schema}.${r.audit.name}`
          if (r.created) node.log(t('audit-streamer.log.created', { audit }))
          if (!r.created && r.addedColumns.length > 0) {
            node.warn(t('audit-streamer.log.added-columns', { audit, columns: r.addedColumns.join(', ') }))
          }
          for (const w of r.warnings) node.warn(w)
          return db
        })
        prepared.catch(() => { prepared = undefined })
      }
      return await prepared
    }

    const streamer = new Streamer({
      name: settings?.name ?? def.stream ?? node.id,
      table: settings?.table ?? '',
      positionColumns: settings?.positionColumns ?? [],
      timeColumn: settings?.timeColumn,
      columns: settings?.columns,
      filter: settings?.filter,
      batchSize: settings?.batchSize,
      pollMs: settings?.pollMs,
      listenChannel: settings?.listenChannel,
      initialStart: settings?.initialStart,
      database
    })
    Object.defineProperty(node, 'stream', { value: streamer, enumerable: false })
    // Streamer clients wired to this node subscribe through the registry (docs/architecture.md).
    streamSources.register(node.id, streamer)

    // Status: at most a few updates a second, however fast rows go by.
    let statusTimer: NodeJS.Timeout | undefined
    let lastStatus = ''
    function render (): void {
      statusTimer = undefined
      const s = auditStreamerStatus(view(), {
        live: t('audit-streamer.status.live'),
        idle: t('audit-streamer.status.idle'),
        starting: t('audit-streamer.status.starting'),
        replaying: t('audit-streamer.status.replaying')
      })
      const key = JSON.stringify(s)
      if (key === lastStatus) return
      lastStatus = key
      node.status(s)
    }
    function scheduleStatus (now = false): void {
      if (now) {
        if (statusTimer !== undefined) clearTimeout(statusTimer)
        render()
      } else if (statusTimer === undefined) {
        statusTimer = setTimeout(render, 250)
      }
    }

    const view = (): StreamerView =>
      ({ configError, connection, states: [...states.values()], failed: streamer.failed, outage: outage.why })
    // A database outage is logged once when it begins and once when it ends, however many reads,
    // subscriptions and backoff rounds it spans; a problem that needs a person is logged per cause.
    const outage = new Outage()
    function logOutage (): void {
      const reason = databaseOutage(view())
      if (reason !== undefined) {
        const line = t('audit-streamer.log.waiting-db', { stream: streamer.name, error: reason })
        if (outage.begin(reason)) node.warn(line)
      } else if (outage.end()) node.log(t('audit-streamer.log.db-back', { stream: streamer.name }))
    }
    let lastError = ''
    streamer.on('state', (sub: Subscription & { id: number }, state: SubscriptionState) => {
      if (state.phase === 'closed') states.delete(sub.id)
      else states.set(sub.id, state)
      if (state.phase === 'failed' || (state.phase === 'retrying' && !waitsForDatabase(state))) {
        const key = state.phase === 'failed' ? 'audit-streamer.errors.failed' : 'audit-streamer.errors.retrying'
        const line = `${t(key, { stream: streamer.name })}: ${state.error}`
        if (line !== lastError) {
          lastError = line
          if (state.phase === 'failed' || state.needsAction === true) node.error(line)
          else node.warn(line)
        }
      }
      logOutage()
      scheduleStatus(state.phase !== 'replaying')
    })
    streamer.on('warning', (message: string) => node.warn(message))

    if (configError !== undefined) {
      node.error(`${t('audit-streamer.errors.config')}: ${configError}`)
    } else {
      dbNode?.register(node, s => {
        connection = s
        logOutage()
        scheduleStatus(true)
      })
    }
    scheduleStatus(true)

    // The node's own output, for targets that are not streamer clients (a debug node, say).
    if (configError === undefined && wiredToOthers(def)) {
      try {
        const start = streamer.initialStart
        const perBatch = def.output === 'batch'
        output = streamer.subscribe(start, {
          deliver: async (rows: StreamRow[]) => {
            if (perBatch) {
              const last = rows[rows.length - 1]
              node.send({
                payload: rows.map(r => r.row),
                topic: streamer.name,
                stream: { ...meta(last), count: rows.length }
              })
            } else {
              for (const r of rows) node.send({ payload: r.row, topic: streamer.name, stream: meta(r) })
            }
            // Node-RED hands messages on asynchronously; let this batch go before reading more.
            await new Promise(resolve => setImmediate(resolve))
          }
        })
      } catch (err) {
        configError = describeStreamError(err)
        node.error(`${t('audit-streamer.errors.config')}: ${configError}`)
        scheduleStatus(true)
      }
    }

    function meta (r: StreamRow): StreamMeta {
      return { name: r.stream, streamer: node.id, position: r.position, replay: r.replay }
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      if (statusTimer !== undefined) clearTimeout(statusTimer)
      streamSources.unregister(node.id, streamer)
      const closing = output === undefined ? Promise.resolve() : output.close()
      closing.then(async () => await streamer.close()).catch(err => node.warn(String(err))).finally(() => {
        if (dbNode === undefined) return done()
        dbNode.deregister(node, () => done())
      })
    })
  }

  /**
   * True when some target, wired straight or through link nodes, is not a streamer client (those
   * subscribe on their own): a link pair that leads only to clients needs no copy either.
   */
  function wiredToOthers (def: AuditStreamerDef): boolean {
    const wired = (def.wires ?? []).flat()
    if (wired.length === 0) return false
    const graph = flowGraph(RED)
    return targetsOf(graph, def.id, wired).some(id => graph.typeOf(id) !== CLIENT_TYPE)
  }

  RED.nodes.registerType('audit-streamer', AuditStreamer as any)
}
