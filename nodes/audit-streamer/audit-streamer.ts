import type { Node, NodeAPI } from 'node-red'
import type { ConnectionState } from '../../core/db'
import { describeStreamError, StreamConfigError, Streamer } from '../../core/stream'
import type { StreamRow, Subscription, SubscriptionState } from '../../core/stream'
import type { StreamerDatabaseNode } from '../streamer-database/types'
import { Outage } from '../../core/db'
import { translator } from '../shared/i18n'
import catalog = require('./locales/en-US/audit-streamer.json')
import { flowGraph, targetsOf } from '../shared/links'
import { streamSources } from '../shared/registry'
import { registerAdmin } from './admin'
import { StreamerSettings, streamerSettings } from './config'
import { auditStreamerStatus, databaseOutage, StreamerView } from './status-text'
import { auditTableLines, rowMessages, subscriptionLine } from './messages'
import { streamerDatabase } from './managed-table'
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

    const database = streamerDatabase(async () => {
      if (configError !== undefined) throw new StreamConfigError(configError)
      return await dbNode!.acquire()
    }, settings, r => { for (const line of auditTableLines(r, t)) node[line.level](line.text) })
    const { managedSource, ...options } = settings ?? { name: def.stream ?? node.id, table: '', positionColumns: [] }
    const streamer = new Streamer({ ...options, database })
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
      const line = subscriptionLine(state, streamer.name, t)
      if (line !== undefined && line.text !== lastError) {
        lastError = line.text
        node[line.level](line.text)
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
        const how = { topic: streamer.name, streamer: node.id, perBatch: def.output === 'batch' }
        output = streamer.subscribe(streamer.initialStart, {
          deliver: async (rows: StreamRow[]) => {
            for (const m of rowMessages(rows, how)) node.send(m)
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

    node.on('close', (removed: boolean, done: () => void) => {
      if (statusTimer !== undefined) clearTimeout(statusTimer)
      streamSources.unregister(node.id, streamer)
      const closing = output === undefined ? Promise.resolve() : output.close()
      closing.then(async () => await streamer.close()).catch(err => node.warn(String(err))).finally(() => {
        if (dbNode === undefined) return done()
        dbNode.deregister(node, () => done(), removed)
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
