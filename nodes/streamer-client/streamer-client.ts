import type { NodeAPI, NodeMessage } from 'node-red'
import { CheckpointStore, Disposition, LAG_COUNT_LIMIT, StreamerClient } from '../../core/client'
import { ConnectionState, isTransientDbError, Outage } from '../../core/db'
import { Position, StartAt, StreamMeta, StreamRow, StreamSource } from '../../core/stream'
import type { StreamerDatabaseNode } from '../streamer-database/types'
import type { FixSessionNode } from '../fix-session/types'
import { status } from '../shared/status'
import { clientOutage, clientProblem, clientStatus, ClientLabels, ClientView } from './status-text'
import { downstreamOf, feedersOf, flowGraph, FlowsStarted, reachesType, stoppedDownstream } from '../shared/links'
import { confirmables, streamSources } from '../shared/registry'
import { translator } from '../shared/i18n'
import catalog = require('./locales/en-US/streamer-client.json')
import { parseRewindTarget } from './control'
import { compileTransform, Transform } from './transform'
import type { StreamerClientDef, StreamerClientNode } from './types'
import type { Database } from '../../core/db'
import { Fence, LeaseRegistry, LeaseSettings, Membership, resourceOf } from '../../core/ha'
import { downstreamOfType, haSettings, standbyText } from '../shared/ha'
import { configNode } from '../shared/config-users'

/** Client names in use per database (config node + schema), so two clients never share a checkpoint. */
const namesInUse = new Map<string, string>()

const STREAMER_TYPE = 'audit-streamer'
const GATEWAY_TYPE = 'fix-gateway'
const STATUS_EVERY_MS = 1000

function num (v: unknown, fallback: number): number {
  const n = Number(v)
  return Number.isFinite(n) && n > 0 ? n : fallback
}

export = function (RED: NodeAPI): void {
  const tr = translator(RED, catalog)
  function StreamerClientNodeCtor (this: StreamerClientNode & { [k: string]: any }, def: StreamerClientDef): void {
    RED.nodes.createNode(this, def)
    const node = this
    const clientName = (def.clientName ?? '').trim() || def.name || node.id
    ;(node as { clientName: string }).clientName = clientName
    const dbNode = configNode<StreamerDatabaseNode>(RED, def.database, 'streamer-database')
    const confirmOnSend = def.confirmMode === 'send'
    let client: StreamerClient | undefined
    let transform: Transform | undefined
    let source: StreamSource | undefined
    let streamerId: string | undefined
    let unwatch: (() => void) | undefined
    const closedSources = new WeakSet<StreamSource>()
    let problem: string | undefined
    let dbState: ConnectionState | undefined
    let lag: number | undefined
    let lagBusy = false
    let nameKey: string | undefined
    let closing = false
    let lastWarned = ''
    let stateError: string | undefined
    /** Several instances (settings.js fixStreamers.ha): the lease this client runs under, and why it waits. */
    let lease: Membership | undefined
    let standby: string | undefined
    let stateNeedsAction = false
    const outage = new Outage()

    const fail = (text: string): void => {
      problem = text
      node.status(status.error(text))
    }

    const labels: ClientLabels = {
      connecting: tr('streamer-client.status.connecting'),
      detached: tr('streamer-client.status.detached'),
      stopped: tr('streamer-client.status.stopped'),
      failed: tr('streamer-client.status.failed')
    }
    // For the FIX sidebar: what is wrong, as the status says it but whole (the label is cut short).
    Object.defineProperty(node, 'currentProblem', { get: () => (closing ? undefined : clientProblem(view(), labels)) })
    node.confirm = (position: Position): boolean => client?.confirm(position) ?? false
    node.stats = () => client?.stats()
    // for the FIX sidebar and metrics
    ;(node as { lag?: () => Promise<number | undefined> }).lag = async () => await client?.lag()
    node.redeliver = async (): Promise<void> => {
      const from = await client?.redeliver()
      if (from !== undefined) node.log(tr('streamer-client.log.redelivered', { start: describe(from) }))
    }
    node.rewind = async (target: StartAt | 'reset'): Promise<StartAt> => {
      if (client === undefined) throw new Error(tr('streamer-client.errors.not-ready'))
      const start = target === 'reset' ? await client.reset() : await client.rewind(target)
      node.log(tr('streamer-client.log.rewound', { start: describe(start) }))
      return start
    }

    confirmables.register(node.id, node)

    try {
      transform = compileTransform(RED, node, def)
    } catch (err) {
      fail((err as Error).message)
      node.error(tr('streamer-client.errors.config', { error: (err as Error).message }))
    }
    if (dbNode === undefined) {
      fail(tr('streamer-client.errors.no-database'))
    } else if (transform !== undefined) {
      nameKey = `${dbNode.id}:${dbNode.schema}:${clientName}`
      const holder = namesInUse.get(nameKey)
      if (holder !== undefined && holder !== node.id) {
        nameKey = undefined
        fail(tr('streamer-client.errors.name-taken', { name: clientName }))
        node.error(tr('streamer-client.errors.name-taken', { name: clientName }))
      } else {
        namesInUse.set(nameKey, node.id)
        start(dbNode, transform)
      }
    }

    function start (db: StreamerDatabaseNode, t: Transform): void {
      db.register(node, s => {
        dbState = s
        logOutage()
        showStatus()
      })
      let ha: LeaseSettings | undefined
      try {
        ha = haSettings(RED)
      } catch (err) {
        fail((err as Error).message)
        return node.error((err as Error).message)
      }
      db.acquire().then(database => {
        if (closing) return
        if (ha === undefined) {
          client = makeClient(new CheckpointStore(database, db.schema), t)
          return follow()
        }
        lease = joinLease(database, db.schema, ha, t)
      }).catch(err => {
        if (!closing) fail(String((err as Error).message ?? err))
      })
    }

    /**
     * Several instances: the client streams only while this instance holds its lease, and its
     * checkpoint writes carry the lease's token. A client that feeds a FIX gateway shares the
     * lease of the gateway's session, so both always run on the same instance.
     */
    function joinLease (database: Database, schema: string, ha: LeaseSettings, t: Transform): Membership {
      const m: Membership = LeaseRegistry.of(database, schema, ha).join(leaseResource(), {
        onActive: async g => {
          if (closing || lease !== m) return
          const fence: Fence = { ...g, onLost: err => m.lost(g.token, err.reason) }
          standby = undefined
          client = makeClient(new CheckpointStore(database, schema, fence), t)
          node.log(tr('streamer-client.log.active', { instance: ha.instance, token: g.token }))
          follow()
        },
        onLost: async err => {
          const c = client
          client = undefined
          source = undefined
          standby = `standby (lease lost: ${err.reason})`
          node.warn(tr('streamer-client.log.lease-lost', { error: err.message, instance: ha.instance }))
          showStatus()
          await c?.close().catch(() => {})
        },
        onStandby: (activeOn, error) => {
          if (client !== undefined || closing) return
          standby = standbyText(activeOn, error)
          showStatus()
        }
      })
      return m
    }

    /** The lease: the session's when a FIX gateway is downstream, else the client's own. */
    function leaseResource (): string {
      const graph = flowGraph(RED)
      for (const id of downstreamOfType(graph, node.id, GATEWAY_TYPE)) {
        // The gateway's session is in its definition: the running gateway node does not keep it.
        let sessionId: string | undefined
        RED.nodes.eachNode((n: { id: string, session?: unknown }) => {
          if (n.id === id && typeof n.session === 'string') sessionId = n.session
        })
        const session = sessionId === undefined ? null : RED.nodes.getNode(sessionId) as FixSessionNode | null
        const key = session?.sessionKey
        if (typeof key === 'string') return resourceOf.session(key)
      }
      return resourceOf.client(clientName)
    }

    function makeClient (store: CheckpointStore, t: Transform): StreamerClient {
      return new StreamerClient({
        name: clientName,
        replayable: def.replayable !== false,
        store,
        inFlightLimit: num(def.inFlight, 50),
        sendRange: { warnAfter: num(def.sendWarn, 5) * 1000, errorAfter: num(def.sendError, 60) * 1000 },
        confirmRange: { warnAfter: num(def.confirmWarn, 5) * 1000, errorAfter: num(def.confirmError, 60) * 1000 },
        prepare: async row => await prepare(row, t),
        maxAttempts: num(def.maxAttempts, 5),
        skipAfterFailures: def.skipFailed === true,
        onRedeliver: (from, failed, error) =>
          node.warn(
            tr('streamer-client.log.redelivering', { position: failed.join(', '), start: describe(from), error })
          ),
        onState: s => {
          stateError = s.error
          stateNeedsAction = s.needsAction === true
          if (s.phase === 'detached' && source !== undefined) {
            closedSources.add(source) // the streamer closed it: wait for its replacement
            source = undefined
          }
          const dbWait = clientOutage({ phase: s.phase, error: s.error, needsAction: stateNeedsAction }) !== undefined
          if (s.error !== undefined && s.phase !== 'stopped' && !dbWait) warnOnce(`${s.phase}: ${s.error}`)
          logOutage()
          showStatus()
        },
        onProblem: err => {
          // A checkpoint write that fails during a database outage already logged is part of it.
          if (outage.active && isTransientDbError(err)) return
          warnOnce(tr('streamer-client.errors.checkpoint', { error: (err as Error).message ?? String(err) }))
        }
      })
    }

    /**
     * Resolves the streamer wired into this client (straight or through link nodes) and watches
     * its entry in the registry: told at once when it starts, and again when a redeploy replaces
     * it, whichever of the two nodes started first. Run again after every deploy (the wiring lives
     * on the streamer's side, so it can change while this node keeps running).
     */
    function follow (): void {
      if (closing) return
      const graph = flowGraph(RED)
      const ids = feedersOf(graph, node.id).filter(id => graph.typeOf(id) === STREAMER_TYPE)
      if (ids.length > 1) warnOnce(tr('streamer-client.errors.many-streamers', { count: ids.length }))
      const id: string | undefined = ids[0]
      if (id !== streamerId) {
        unwatch?.()
        streamerId = id
        unwatch = id === undefined ? undefined : streamSources.watch(id, attach)
      } else if (id !== undefined) {
        const now = streamSources.get(id)
        if (now !== undefined) attach(now)
      }
      if (id === undefined) {
        problem = tr('streamer-client.status.no-streamer')
        showStatus()
      }
    }

    /** Subscribes to `stream` (a no-op until the client exists, or when already on it). */
    function attach (stream: StreamSource): void {
      if (client === undefined || closing || stream === source || closedSources.has(stream)) return
      problem = undefined
      source = stream
      const c = client
      c.attach(stream).catch(err => {
        if (source === stream) source = undefined
        closedSources.add(stream)
        const text = (err as Error).message ?? String(err)
        fail(text)
        node.error(tr('streamer-client.errors.attach', { error: text }))
      })
    }

    async function prepare (row: StreamRow, t: Transform): Promise<Disposition> {
      const meta: StreamMeta = {
        name: row.stream,
        streamer: streamerId ?? '',
        client: clientName,
        clientId: node.id,
        position: row.position,
        replay: row.replay
      }
      try {
        if (!(await t.keep(row))) return { action: 'skip' }
        const output = await t.route(row)
        if (output < 0) return { action: 'skip' }
        const msg: NodeMessage & { stream: StreamMeta } = {
          _msgid: RED.util.generateId(),
          topic: row.stream,
          payload: await t.payload(row),
          stream: meta
        }
        const out: Array<NodeMessage | null> = new Array(t.outputs + 1).fill(null)
        out[output] = msg
        return { action: 'send', send: () => node.send(out), confirmed: confirmOnSend }
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err))
        const msg: NodeMessage & { stream: StreamMeta } = {
          _msgid: RED.util.generateId(),
          topic: row.stream,
          payload: row.row,
          stream: meta
        }
        const report = (): void => {
          node.error(tr('streamer-client.errors.row', { position: row.position.join(','), error: error.message }), msg)
          // The error output's copy says what failed (Catch nodes get their own copy from node.error).
          ;(msg as any).error = { message: error.message, source: { id: node.id, type: node.type, name: node.name } }
        }
        if (def.terminateOnError === true) return { action: 'stop', error, report }
        return {
          action: 'reject',
          report: () => {
            report()
            const out: Array<NodeMessage | null> = new Array(t.outputs + 1).fill(null)
            out[t.outputs] = msg
            node.send(out)
          }
        }
      }
    }

    node.on('input', (msg: any, _send, done) => {
      const meta = msg.stream as StreamMeta | undefined
      if (meta !== undefined && meta !== null && typeof meta === 'object') {
        if (meta.clientId === node.id) {
          if (!Array.isArray(meta.position)) return done()
          // A failure wired back (a Catch node scoped to the target): send it again, or give up.
          if (msg.error !== undefined && msg.error !== null) {
            failed(msg, meta.position)
            return done()
          }
          // A confirmation wired back (target output or Complete node).
          node.confirm(meta.position)
          return done()
        }
        // A row straight from a streamer's output: this client takes its rows by subscription.
        if (meta.clientId === undefined) return done()
        return done(new Error(tr('streamer-client.errors.foreign', { client: String(meta.client ?? meta.clientId) })))
      }
      switch (msg.topic) {
        case 'redeliver':
          node.redeliver().then(() => done(), (err: Error) => done(err))
          return
        case 'rewind':
        case 'reset': {
          let target: StartAt | 'reset'
          try {
            target = msg.topic === 'reset' ? 'reset' : parseRewindTarget(msg.payload)
          } catch (err) {
            return done(err as Error)
          }
          node.rewind(target).then(() => done(), err => done(err))
          return
        }
        default:
          done(new Error(tr('streamer-client.errors.unknown-input', { topic: String(msg.topic) })))
      }
    })

    /** The target failed the row: redeliver it (and the rows after it), or give up on it. */
    function failed (msg: any, position: Position): void {
      const error = String(msg.error?.message ?? msg.error)
      const outcome = client?.fail(position, error)
      if (outcome !== 'skipped' && outcome !== 'stopped') return
      // Given up: the row goes to the error output, with why.
      node.error(
        tr(outcome === 'skipped' ? 'streamer-client.errors.skipped' : 'streamer-client.errors.gave-up', {
          position: position.join(', '),
          attempts: num(def.maxAttempts, 5),
          error
        }),
        msg
      )
      const outputs = transform?.outputs ?? 1
      const out: Array<NodeMessage | null> = new Array(outputs + 1).fill(null)
      out[outputs] = msg
      node.send(out)
      showStatus()
    }

    // Lag and status only: the streamer is found through the registry, not by polling.
    const ticker = setInterval(() => {
      if (client === undefined) return
      refreshLag()
      showStatus()
    }, STATUS_EVERY_MS)
    // A deploy that restarted a node after this one (a FIX session and its gateway) dropped the rows
    // on their way there without an error: send the unconfirmed ones again.
    let downstream = new Set<string>()
    const onFlowsStarted = (e?: FlowsStarted): void => {
      follow()
      const before = downstream
      downstream = downstreamOf(flowGraph(RED), node.id)
      if (!closing && stoppedDownstream(e, before, downstream)) node.redeliver().catch(err => node.warn(String(err)))
    }
    RED.events.on('flows:started', onFlowsStarted)

    function refreshLag (): void {
      if (client === undefined || lagBusy || source === undefined) return
      lagBusy = true
      client.lag().then(l => { lag = l }, () => { lag = undefined }).finally(() => { lagBusy = false })
    }

    function showStatus (): void {
      if (closing) return
      if (client === undefined && standby !== undefined && problem === undefined && dbState?.state !== 'retrying') {
        return node.status(status.waiting(standby))
      }
      const s = clientStatus(view(), labels)
      if (s !== undefined) node.status(s)
    }

    function view (): ClientView {
      return {
        db: dbState,
        phase: client?.phase,
        error: stateError,
        needsAction: stateNeedsAction,
        problem,
        stats: client?.stats(),
        lag,
        lagLimit: LAG_COUNT_LIMIT,
        outage: outage.why
      }
    }

    /** A database outage is logged once when it begins and once when it ends, not per read or row. */
    function logOutage (): void {
      const reason = clientOutage({
        db: dbState,
        phase: client?.phase,
        error: stateError,
        needsAction: stateNeedsAction,
        outage: outage.why
      })
      if (reason !== undefined) {
        if (outage.begin(reason)) node.warn(tr('streamer-client.log.waiting-db', { error: reason }))
      } else if (outage.end()) node.log(tr('streamer-client.log.db-back'))
    }

    function warnOnce (text: string): void {
      if (text === lastWarned) return
      lastWarned = text
      node.warn(text)
    }

    node.on('close', (removed: boolean, done: () => void) => {
      closing = true
      clearInterval(ticker)
      unwatch?.()
      confirmables.unregister(node.id, node)
      RED.events.removeListener('flows:started', onFlowsStarted)
      if (nameKey !== undefined && namesInUse.get(nameKey) === node.id) namesInUse.delete(nameKey)
      const release = (): void => dbNode === undefined ? done() : dbNode.deregister(node, () => done(), removed)
      const c = client
      const held = lease
      lease = undefined
      if (c === undefined) {
        held?.leave().catch(() => {}).finally(() => {
          release()
        })
        return
      }
      // Flush the checkpoint first, then give the lease back, then let the database go.
      c.close()
        .catch(err =>
          node.warn(tr('streamer-client.errors.checkpoint', { error: String((err as Error).message ?? err) }))
        )
        .then(async () => await held?.leave())
        .catch(() => {})
        .finally(() => {
          release()
        })
    })

    // Warn when nothing can confirm: no wire back, no Complete node, no FIX gateway target.
    if (!confirmOnSend) setImmediate(() => checkConfirmPath())
    function checkConfirmPath (): void {
      if (closing) return
      const graph = flowGraph(RED)
      // A wire back (from the target, a Complete node...), straight or through link nodes; the
      // streamer's own wire is not one. Or a FIX gateway anywhere downstream, which confirms by itself.
      const ok =
        feedersOf(graph, node.id).some(id => graph.typeOf(id) !== STREAMER_TYPE) ||
        reachesType(graph, node.id, GATEWAY_TYPE)
      if (!ok) node.warn(tr('streamer-client.errors.no-confirm-path'))
    }

    function describe (start: StartAt): string {
      switch (start.kind) {
        case 'after': return `after [${start.position.join(', ')}]`
        case 'timestamp': return `from ${start.at}`
        default: return start.kind
      }
    }
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
