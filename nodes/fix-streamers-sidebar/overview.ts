import type { Node, NodeAPI } from 'node-red'
import type { Database } from '../../core/db'
import { LAG_COUNT_LIMIT } from '../../core/client'
import { quoteIdent } from '../../core/db'
import type { StreamSource, SubscriptionState } from '../../core/stream'
import { sessionName } from '../../core/fix-session'
import { retryingText } from '../audit-streamer/status-text'
import type { ClientView, DatabaseView, Overview, SessionView, StreamView } from '../../core/ops'
import { messageOf, poolStats, watchConnectionErrors, within, OpsRegistry } from '../../core/ops'
import type { FixSessionDef, FixSessionNode } from '../fix-session/types'
import type { StreamerClientNode } from '../streamer-client/types'
import type { StreamerDatabaseDef, StreamerDatabaseNode } from '../streamer-database/types'

/** How long one probe (a head position, a lag count, the checkpoints) may take before it is reported as slow. */
const PROBE_MS = 2000

type Def = Record<string, any> & { id: string, type: string, name?: string }

export function defsOf (RED: NodeAPI, type: string): Def[] {
  const out: Def[] = []
  RED.nodes.eachNode((n: any) => { if (n.type === type) out.push(n as Def) })
  return out
}

/** The open database of a streamer-database node, or a reason why there is none. */
export function databaseOf (
  RED: NodeAPI, id: string | undefined
): { db?: Database, schema?: string, problem?: string } {
  const node = id === undefined || id === '' ? null : (RED.nodes.getNode(id) as StreamerDatabaseNode | null)
  if (node === null) return { problem: 'no database configured' }
  if (node.configError !== undefined) return { problem: `database configuration: ${node.configError}` }
  const s = node.connection?.state
  if (s === undefined || s.state === 'connecting') return { problem: 'database: connecting', schema: node.schema }
  if (s.state === 'retrying') {
    return { problem: `database down: ${s.error} (attempt ${s.attempt})`, schema: node.schema }
  }
  if (s.state === 'closed') return { problem: 'database closed', schema: node.schema }
  return { db: s.database, schema: node.schema }
}

/** The session's name in fix_in/fix_out: the live node's, or worked out from its settings as the node does. */
export function sessionKeyOf (RED: NodeAPI, def: FixSessionDef & { id: string }): string {
  const live = RED.nodes.getNode(def.id) as FixSessionNode | null
  return live?.sessionKey ?? sessionName({ ...def, name: def.sessionName })
}

function sessionView (RED: NodeAPI, def: FixSessionDef & Def): SessionView {
  const live = RED.nodes.getNode(def.id) as FixSessionNode | null
  const key = sessionKeyOf(RED, def)
  const activity = OpsRegistry.get().findSession(def.id)
  const status = live?.currentStatus
  const started =
    activity !== undefined && status !== undefined && !(status.phase === 'starting' && status.nextSenderSeq === 0)
  const v: SessionView = {
    id: def.id,
    name: key,
    label: def.name !== undefined && def.name !== '' ? def.name : key,
    role: def.role === 'acceptor' ? 'acceptor' : 'initiator',
    address:
      def.role === 'acceptor'
        ? `listens on ${String(def.bindAddress ?? '')}:${String(def.port ?? '')}`
        : `${String(def.host ?? '')}:${String(def.port ?? '')}`,
    state:
      live === null ? 'not deployed' : status?.phase === 'error' ? 'error' : started ? status!.phase : 'not started',
    text: status?.text,
    databaseId: def.database,
    activity: activity?.snapshot()
  }
  v.remote = v.activity?.remote
  if (started) {
    v.nextSenderSeq = status!.nextSenderSeq
    v.nextTargetSeq = status!.nextTargetSeq
  }
  const db = databaseOf(RED, def.database)
  if (status?.phase === 'error') v.problem = status.text ?? 'the session could not start'
  else if (db.problem !== undefined) v.problem = db.problem
  else if (!started) v.problem = 'no fix-gateway uses this session, so it is not started'
  return v
}

async function checkpointsOf (RED: NodeAPI, dbId: string): Promise<Map<string, string>> {
  const { db, schema } = databaseOf(RED, dbId)
  if (db === undefined || schema === undefined) return new Map()
  const r = await within(
    db.query<{ client_name: string; updated_at: string }>(
      `SELECT client_name, updated_at FROM ${quoteIdent(schema, 'schema')}.checkpoints`
    ),
    PROBE_MS,
    'checkpoints'
  )
  return new Map(r.rows.map(x => [x.client_name, String(x.updated_at)]))
}

/**
 * The client's own lag count (what its status shows): exact up to LAG_COUNT_LIMIT, undefined while it
 * does not know where it stands; or why it could not be counted.
 */
async function lagOf (live: StreamerClientNode | null): Promise<Pick<ClientView, 'lag' | 'lagCapped' | 'problem'>> {
  try {
    const count = (live as { lag?: () => Promise<number | undefined> } | null)?.lag
    const lag = count !== undefined ? await within(count(), PROBE_MS, 'lag count') : undefined
    return lag !== undefined ? { lag, lagCapped: lag >= LAG_COUNT_LIMIT } : {}
  } catch (err) {
    return { problem: `lag: ${messageOf(err)}` }
  }
}

async function clientViews (RED: NodeAPI): Promise<ClientView[]> {
  const out: ClientView[] = []
  const written = new Map<string, Map<string, string> | string>()
  for (const def of defsOf(RED, 'streamer-client')) {
    const live = RED.nodes.getNode(def.id) as StreamerClientNode | null
    const name = live?.clientName ?? (String(def.clientName ?? '').trim() || def.name || def.id)
    const stats = live?.stats()
    const v: ClientView = {
      id: def.id,
      name,
      phase: stats?.phase ?? (live === null ? 'not deployed' : 'starting'),
      inFlight: stats?.inFlight ?? 0,
      limit: stats?.limit ?? 0,
      delivered: stats?.sent ?? 0,
      confirmed: stats?.confirmed ?? 0,
      failed: 0,
      rate: stats?.rate ?? 0
    }
    // What is wrong, as the node's own status says it ("waiting for database: connection refused",
    // "failed: <reason>"), whole: the one status format of the pack, not just the phase's name.
    const stuck = v.phase === 'failed' || v.phase === 'stopped' || v.phase === 'retrying'
    const wrong = live?.currentProblem
    if (wrong !== undefined || stuck) v.problem = wrong ?? `client ${v.phase}`
    if (stats !== undefined) {
      v.stream = stats.stream
      v.health = stats.health.health
      v.position = stats.position as string[] | undefined
      v.checkpoint = stats.checkpoint as string[] | undefined
      v.failed = stats.failed ?? 0
      // A client that is not streaming is not asked for its lag: the count would wait on the same fault.
      if (!stuck) Object.assign(v, await lagOf(live))
    }
    const dbId = String(def.database ?? '')
    if (!written.has(dbId)) {
      written.set(dbId, await checkpointsOf(RED, dbId).catch(err => `checkpoint: ${messageOf(err)}`))
    }
    const w = written.get(dbId)!
    if (typeof w === 'string') v.problem ??= w
    else v.checkpointWrittenAt = w.get(name)
    out.push(v)
  }
  return out
}

/** The stream's head, and its lag: the slowest of its clients'; or why the head could not be read. */
async function headOf (source: StreamSource, mine: ClientView[]): Promise<Pick<StreamView, 'head' | 'headLag' |
  'problem'>> {
  try {
    const head = (await within(source.head(), PROBE_MS, 'head position')) as string[] | undefined
    const lags = mine.map(c => c.lag).filter((l): l is number => l !== undefined)
    return lags.length > 0 ? { head, headLag: Math.max(...lags) } : { head }
  } catch (err) {
    return { problem: `head: ${messageOf(err)}` }
  }
}

async function streamViews (sources: Map<string, StreamSource>, clients: ClientView[]): Promise<StreamView[]> {
  const out: StreamView[] = []
  for (const [id, source] of sources) {
    const mine = clients.filter(c => c.stream === source.name)
    const subs = (source as { subscriptions?: Array<{ state: SubscriptionState }> }).subscriptions
    const v: StreamView = {
      id,
      name: source.name,
      subscribers: Array.isArray(subs) ? subs.length : mine.length,
      rowsDelivered: mine.reduce((a, c) => a + c.delivered, 0),
      rate: mine.reduce((a, c) => a + c.rate, 0)
    }
    if (typeof source.rowsRead === 'number') v.rowsRead = source.rowsRead
    // Why it cannot read, as the streamer's status says it (a missing table, the database it waits for).
    const failed = (source as { failed?: string }).failed
    const states = Array.isArray(subs) ? subs.map(s => s.state) : []
    const stuck = states.find(s => s.phase === 'failed') ?? states.find(s => s.phase === 'retrying')
    if (failed !== undefined) v.problem = failed
    else if (stuck?.phase === 'failed') v.problem = stuck.error
    else if (stuck?.phase === 'retrying') v.problem = retryingText(stuck)
    // A stream that cannot read is not asked for its head: the probe would wait on the same fault.
    if (v.problem === undefined) Object.assign(v, await headOf(source, mine))
    out.push(v)
  }
  return out
}

function databaseViews (RED: NodeAPI): DatabaseView[] {
  return defsOf(RED, 'streamer-database').map(def => {
    const node = RED.nodes.getNode(def.id) as StreamerDatabaseNode | null
    const d = def as unknown as StreamerDatabaseDef & Def
    const state = node?.connection?.state
    const v: DatabaseView = {
      id: def.id,
      name:
        def.name !== undefined && def.name !== ''
          ? def.name
          : d.mode === 'server'
            ? `${String(d.host)}:${String(d.port)}/${String(d.database)}`
            : `embedded ${String(d.dataDir ?? '')}`,
      kind: d.mode === 'server' ? 'pg' : d.mode === 'embedded' ? 'pglite' : 'unknown',
      schema: node?.schema ?? String(d.schema ?? ''),
      state: node === null ? 'not deployed' : (state?.state ?? 'not started'),
      errors: watchConnectionErrors(node?.connection)
    }
    if (state?.state === 'connected') {
      const p = poolStats(state.database)
      if (p !== undefined) Object.assign(v, { poolTotal: p.total, poolIdle: p.idle, poolWaiting: p.waiting })
    }
    if (node?.configError !== undefined) v.problem = node.configError
    else if (state?.state === 'retrying') {
      v.problem = `down: ${state.error} (attempt ${state.attempt}, next ` +
      `in ${Math.round(state.delayMs / 1000)} s)`
    }
    return v
  })
}

/** Watches every database connection from the moment the flows start, so no failure goes uncounted. */
export function watchDatabases (RED: NodeAPI): void {
  for (const def of defsOf(RED, 'streamer-database')) {
    watchConnectionErrors((RED.nodes.getNode(def.id) as StreamerDatabaseNode | null)?.connection)
  }
}

/** The whole picture, each part read independently. */
export async function buildOverview (RED: NodeAPI): Promise<Overview> {
  const sources = new Map<string, StreamSource>()
  for (const def of defsOf(RED, 'audit-streamer')) {
    const s = (RED.nodes.getNode(def.id) as (Node & { stream?: StreamSource }) | null)?.stream
    if (s !== undefined) sources.set(def.id, s)
  }
  const clients = await clientViews(RED)
  return {
    at: new Date().toISOString(),
    sessions: defsOf(RED, 'fix-session').map(d => sessionView(RED, d as FixSessionDef & Def)),
    streams: await streamViews(sources, clients),
    clients,
    databases: databaseViews(RED)
  }
}
