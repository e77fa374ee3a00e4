import type { Node, NodeAPI } from 'node-red'
import { describeStreamError, StreamConfigError, Streamer } from '../../core/stream'
import type { StreamRow, Subscription, SubscriptionState } from '../../core/stream'
import type { StreamerDatabaseNode } from '../streamer-database/types'
import { translator } from '../shared/i18n'
import catalog = require('./locales/en-US/audit-streamer.json')
import { flowGraph, targetsOf } from '../shared/links'
import { streamSources } from '../shared/registry'
import { registerAdmin } from './admin'
import { StreamerSettings, streamerSettings } from './config'
import { auditTableLines, LogLine, rowMessages } from './messages'
import { StreamObserver, streamerLabels } from './observer'
import { StatusLatch } from '../shared/status-latch'
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

    const observer = new StreamObserver(streamer.name, t, () => streamer.failed, configError)
    const log = (lines: LogLine[]): void => { for (const line of lines) node[line.level](line.text) }
    // Status: at most a few updates a second, however fast rows go by.
    const labels = streamerLabels(t)
    const latch = new StatusLatch(s => node.status(s))
    let statusTimer: NodeJS.Timeout | undefined
    function render (): void {
      statusTimer = undefined
      const s = observer.status(labels)
      latch.set(JSON.stringify(s), () => s)
    }
    function scheduleStatus (now = false): void {
      if (now) {
        if (statusTimer !== undefined) clearTimeout(statusTimer)
        render()
      } else if (statusTimer === undefined) {
        statusTimer = setTimeout(render, 250)
      }
    }

    streamer.on('state', (sub: Subscription & { id: number }, state: SubscriptionState) => {
      log(observer.subscription(sub.id, state))
      scheduleStatus(state.phase !== 'replaying')
    })
    streamer.on('warning', (message: string) => node.warn(message))

    if (configError !== undefined) {
      node.error(`${t('audit-streamer.errors.config')}: ${configError}`)
    } else {
      dbNode?.register(node, s => {
        log(observer.database(s))
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
        configError = observer.configError = describeStreamError(err)
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
