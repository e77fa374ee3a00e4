import type { NodeAPI } from 'node-red'

/**
 * The deployed flows as a graph whose edges are wires plus the hops of Link out (mode "link") ->
 * Link in pairs, so nodes that find each other by their wiring (a streamer client and its
 * streamer) also find each other through link nodes, across tabs and over several hops.
 */
export interface FlowGraph {
  typeOf: (id: string) => string | undefined
  /** Ids a node's messages go to next: its wires, and a link out's linked Link in nodes. */
  next: (id: string) => string[]
  /** The inverse of next. */
  previous: (id: string) => string[]
}

const LINK_IN = 'link in'
const LINK_OUT = 'link out'

const ids = (v: unknown): string[] => Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []

/** A snapshot of the flows now deployed (RED.nodes.eachNode walks their configuration). */
export function flowGraph (RED: NodeAPI): FlowGraph {
  const types = new Map<string, string>()
  const next = new Map<string, Set<string>>()
  const returns = new Set<string>()
  const linkIns: Array<{ id: string, from: string[] }> = []
  const edge = (from: string, to: string): void => {
    const set = next.get(from)
    if (set === undefined) next.set(from, new Set([to]))
    else set.add(to)
  }
  RED.nodes.eachNode((n: any) => {
    types.set(n.id, n.type)
    if (!next.has(n.id)) next.set(n.id, new Set())
    for (const to of (Array.isArray(n.wires) ? n.wires : []).flatMap(ids)) edge(n.id, to)
    // Like the runtime, a link pair is wired when either side lists the other; a Return sends to
    // the caller, not to its links.
    if (n.type === LINK_OUT && n.mode !== undefined && n.mode !== 'link') returns.add(n.id)
    else if (n.type === LINK_OUT) for (const to of ids(n.links)) edge(n.id, to)
    else if (n.type === LINK_IN) linkIns.push({ id: n.id, from: ids(n.links) })
  })
  for (const { id, from } of linkIns) {
    for (const out of from) if (types.get(out) === LINK_OUT && !returns.has(out)) edge(out, id)
  }
  for (const out of returns) next.get(out)?.clear()
  const previous = new Map<string, string[]>()
  for (const [from, targets] of next) {
    for (const to of targets) {
      const list = previous.get(to)
      if (list === undefined) previous.set(to, [from])
      else list.push(from)
    }
  }
  return {
    typeOf: id => types.get(id),
    next: id => [...(next.get(id) ?? [])],
    previous: id => previous.get(id) ?? []
  }
}

function isLink (type: string | undefined): boolean {
  return type === LINK_IN || type === LINK_OUT
}

/** The nodes whose output reaches `id` straight or only through link nodes (each once, in graph order). */
export function feedersOf (graph: FlowGraph, id: string): string[] {
  return walk(id, graph.previous, graph)
}

/**
 * The nodes `id`'s output reaches straight or only through link nodes (each once, in graph order).
 * `wired` overrides the node's own wires (a node inside a subflow instance knows its wires, the
 * graph does not); ids the graph does not know count as targets.
 */
export function targetsOf (graph: FlowGraph, id: string, wired: string[] = graph.next(id)): string[] {
  return walk(id, graph.next, graph, wired)
}

/**
 * Visits the nodes reached from `start` through `first`, then `step`, breadth-first and each once
 * (`start` itself never: a loop back to it ends there); `onward(id)` says whether to go on past `id`.
 */
function visit (start: string, first: string[], step: (id: string) => string[], onward: (id: string) => boolean): void {
  const seen = new Set<string>([start])
  const queue = [...first]
  while (queue.length > 0) {
    const id = queue.shift() as string
    if (seen.has(id)) continue
    seen.add(id)
    if (onward(id)) queue.push(...step(id))
  }
}

/** The first nodes on each way from `start` that are not link nodes. */
function walk (start: string, step: (id: string) => string[], graph: FlowGraph, first = step(start)): string[] {
  const found: string[] = []
  visit(start, first, step, id => {
    if (isLink(graph.typeOf(id))) return true
    found.push(id)
    return false
  })
  return found
}

/** Every node `id`'s output reaches, through any nodes and link hops (not `id` itself). */
export function downstreamOf (graph: FlowGraph, id: string): Set<string> {
  const reached = new Set<string>()
  visit(id, graph.next(id), graph.next, at => { reached.add(at); return true })
  return reached
}

/** The ids of the nodes of `type` anywhere downstream of `id` (any nodes and link hops between), not past them. */
export function downstreamOfType (graph: Pick<FlowGraph, 'next' | 'typeOf'>, id: string, type: string): string[] {
  const found: string[] = []
  visit(id, graph.next(id), graph.next, at => {
    if (graph.typeOf(at) !== type) return true
    found.push(at)
    return false
  })
  return found
}

/** True when a node of `type` is anywhere downstream of `id` (any nodes and link hops between). */
export function reachesType (graph: FlowGraph, id: string, type: string): boolean {
  return [...downstreamOf(graph, id)].some(at => graph.typeOf(at) === type)
}

/** What Node-RED's 'flows:started' event says about a deploy (its diff is absent on a full deploy). */
export interface FlowsStarted {
  type?: string
  diff?: { changed?: string[], removed?: string[] }
}

/**
 * True when a deploy of modified nodes or flows stopped a node that was, or is now, downstream of
 * a node (`before` and `now`: its downstream nodes then and now). Messages on their way to or
 * inside a stopped node are dropped by Node-RED without an error, so whoever sent them must send
 * them again (a streamer client: its unconfirmed rows). A full deploy restarts every node.
 */
export function stoppedDownstream (e: FlowsStarted | undefined, before: Set<string>, now: Set<string>): boolean {
  const stopped = [...(e?.diff?.changed ?? []), ...(e?.diff?.removed ?? [])]
  return stopped.some(id => before.has(id) || now.has(id))
}
