import type { NodeAPI, NodeStatus } from 'node-red'
import { CheckpointStore, StreamerClient } from '../../core/client'
import type { StartAt } from '../../core/stream'
import type { StreamerDatabaseNode } from '../streamer-database/types'
import type { FixSessionNode } from '../fix-session/types'
import { flowGraph, FlowsStarted } from '../shared/links'
import { confirmables, streamSources } from '../shared/registry'
import { translator } from '../shared/i18n'
import { haSettings } from '../shared/ha'
import { configNode } from '../shared/config-users'
import catalog = require('./locales/en-US/streamer-client.json')
import { answerInput, parseRewindTarget } from './control'
import { dispose, targetFailed } from './delivery'
import { SourceFollower } from './follower'
import { ClientRun } from './lifecycle'
import { ClientObserver, LogLine } from './observer'
import { clientNameOf, ClientNames, clientSettings, deliverySettings } from './settings'
import { compileTransform, Transform } from './transform'
import { Downstream, hasConfirmPath, leaseResourceOf, streamersFeeding } from './wiring'
import type { StreamerClientDef, StreamerClientNode } from './types'

/** Client names in use per database (config node + schema), so two clients never share a checkpoint. */
const names = new ClientNames()
const STATUS_EVERY_MS = 1000

export = function (RED: NodeAPI): void {
  const tr = translator(RED, catalog)
  function StreamerClientNodeCtor (this: StreamerClientNode & { [k: string]: any }, def: StreamerClientDef): void {
    RED.nodes.createNode(this, def)
    const node = this
    const clientName = clientNameOf(def, node.id)
    ;(node as { clientName: string }).clientName = clientName
    const dbNode = configNode<StreamerDatabaseNode>(RED, def.database, 'streamer-database')
    const settings = clientSettings(def)
    const voice = { log: (line: LogLine) => node[line.level](line.text), status: (s: NodeStatus) => node.status(s) }
    let transform: Transform | undefined
    let nameKey: string | undefined
    const run: ClientRun = new ClientRun({
      makeClient: store => makeClient(store, transform as Transform),
      started: () => follow(),
      stopped: () => follower.dropped(),
      standby: text => observer.standby(text),
      failed: text => observer.fail(text),
      log: voice.log
    }, tr)
    const observer = new ClientObserver(tr, () => run.client, voice, () => run.closed)
    // The streamer wired into this client (straight or through link nodes), through the registry.
    const follower = new SourceFollower(streamSources, {
      client: () => run.closed ? undefined : run.client,
      attaching: () => observer.attaching(),
      failed: text => { observer.fail(text); node.error(tr('streamer-client.errors.attach', { error: text })) },
      wired: () => streamersFeeding(flowGraph(RED), node.id),
      miswired: count => observer.miswired(count)
    })
    const follow = (): void => { if (!run.closed) follower.follow() }
    const how = { clientName, ...deliverySettings(def), newId: () => RED.util.generateId(), t: tr }

    // For the FIX sidebar: what is wrong, as the status says it but whole (the label is cut short).
    Object.defineProperty(node, 'currentProblem', { get: () => observer.currentProblem() })
    node.confirm = position => run.client?.confirm(position) ?? false
    node.stats = () => run.client?.stats()
    ;(node as { lag?: () => Promise<number | undefined> }).lag = async () => await run.client?.lag() // sidebar, metrics
    node.redeliver = async () => await run.redeliver()
    node.rewind = async (target: StartAt | 'reset') => await run.rewind(target)
    confirmables.register(node.id, node)

    const refuse = (text: string, log = text): void => { observer.fail(text); node.error(log) }
    try {
      transform = compileTransform(RED, node, def)
    } catch (err) {
      refuse((err as Error).message, tr('streamer-client.errors.config', { error: (err as Error).message }))
    }
    if (dbNode === undefined) {
      observer.fail(tr('streamer-client.errors.no-database'))
    } else if (transform !== undefined) {
      nameKey = names.claim(`${dbNode.id}:${dbNode.schema}`, clientName, node.id)
      if (nameKey === undefined) refuse(tr('streamer-client.errors.name-taken', { name: clientName }))
      else {
        dbNode.register(node, s => observer.database(s))
        const resource = (): string => leaseResourceOf(flowGraph(RED), node.id, clientName, id => sessionKey(RED, id))
        run.start(async () => await dbNode.acquire(), dbNode.schema, () => haSettings(RED), resource)
      }
    }

    function makeClient (store: CheckpointStore, t: Transform): StreamerClient {
      return new StreamerClient({
        ...settings,
        name: clientName,
        store,
        prepare: row => dispose(row, t, follower.streamerId, node, how),
        // A stream the streamer closed is not taken again: the follower waits for its replacement.
        ...observer.listener(() => follower.detached())
      })
    }

    node.on('input', (msg: any, _send, done) => answerInput(msg, node.id, {
      confirm: position => node.confirm(position),
      failed: position => {
        const outputs = transform?.outputs ?? 1
        if (targetFailed(msg, position, (p, e) => run.client?.fail(p, e), outputs, node, how)) observer.show()
      },
      redeliver: async () => await node.redeliver(),
      rewind: async target => await node.rewind(target),
      refused: input => new Error(input.kind === 'foreign'
        ? tr('streamer-client.errors.foreign', { client: input.client })
        : tr('streamer-client.errors.unknown-input', { topic: input.topic }))
    }, done))

    // Lag and status only: the streamer is found through the registry, not by polling.
    const ticker = setInterval(() => observer.tick(follower.attached), STATUS_EVERY_MS)
    // A deploy may have rewired the streamer's side; one that restarted a node after this one (a FIX
    // session and its gateway) dropped the rows on their way there without an error: send them again.
    const downstream = new Downstream()
    const onFlowsStarted = (e?: FlowsStarted): void => {
      follow()
      if (!downstream.restarted(flowGraph(RED), node.id, e) || run.closed) return
      node.redeliver().catch(err => node.warn(String(err)))
    }
    RED.events.on('flows:started', onFlowsStarted)

    node.on('close', (removed: boolean, done: () => void) => {
      clearInterval(ticker)
      follower.close()
      confirmables.unregister(node.id, node)
      RED.events.removeListener('flows:started', onFlowsStarted)
      if (nameKey !== undefined) names.release(nameKey, node.id)
      // The checkpoint flushed, then the lease given back, then the database let go.
      void run.close().finally(() => dbNode === undefined ? done() : dbNode.deregister(node, () => done(), removed))
    })

    // Warn when nothing can confirm: no wire back, no Complete node, no FIX gateway target.
    const unconfirmed = (): boolean =>
      def.confirmMode !== 'send' && !run.closed && !hasConfirmPath(flowGraph(RED), node.id)
    setImmediate(() => { if (unconfirmed()) node.warn(tr('streamer-client.errors.no-confirm-path')) })
  }

  RED.nodes.registerType('streamer-client', StreamerClientNodeCtor as any)

  // The panel's rewind button. Write permission: it moves a durable checkpoint.
  const canWrite = RED.auth.needsPermission('streamer-client.write')
  RED.httpAdmin.post('/fix-streamers/streamer-client/:id/rewind', canWrite, (req: any, res: any) => {
    const target = RED.nodes.getNode(req.params.id) as StreamerClientNode | null
    if (target === null || target.type !== 'streamer-client') {
      return res.status(404).json({ error: 'no deployed streamer client with this id' })
    }
    let parsed: StartAt | 'reset'
    try {
      parsed = parseRewindTarget(req.body?.target)
    } catch (err) {
      return res.status(400).json({ error: (err as Error).message })
    }
    target.rewind(parsed).then(
      start => res.json({ start }),
      err => res.status(409).json({ error: (err as Error).message })
    )
  })
}

/** The key of the session a FIX gateway uses: in the gateway's definition (the running node does not keep it). */
function sessionKey (RED: NodeAPI, gatewayId: string): string | undefined {
  let sessionId: string | undefined
  RED.nodes.eachNode((n: { id: string, session?: unknown }) => {
    if (n.id === gatewayId && typeof n.session === 'string') sessionId = n.session
  })
  const key = sessionId === undefined ? undefined : (RED.nodes.getNode(sessionId) as FixSessionNode | null)?.sessionKey
  return typeof key === 'string' ? key : undefined
}
