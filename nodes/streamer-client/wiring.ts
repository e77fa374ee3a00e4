import { resourceOf } from '../../core/ha'
import {
  downstreamOf, downstreamOfType, FlowGraph, FlowsStarted, feedersOf, reachesType, stoppedDownstream
} from '../shared/links'

export const STREAMER_TYPE = 'audit-streamer'
export const GATEWAY_TYPE = 'fix-gateway'

/**
 * What a streamer client's wiring means (docs/architecture.md): a wire from a streamer into the
 * client is a subscription, a wire back from its targets a confirmation path, a FIX gateway
 * downstream a target that confirms by itself. Link nodes count as wires.
 */

/** The audit streamers wired into client `id` (the client follows the first). */
export function streamersFeeding (graph: FlowGraph, id: string): string[] {
  return feedersOf(graph, id).filter(f => graph.typeOf(f) === STREAMER_TYPE)
}

/**
 * Whether anything can confirm client `id`'s rows: a wire back (from the target, a Complete
 * node...) other than a streamer's, or a FIX gateway anywhere downstream.
 */
export function hasConfirmPath (graph: FlowGraph, id: string): boolean {
  return feedersOf(graph, id).some(f => graph.typeOf(f) !== STREAMER_TYPE) || reachesType(graph, id, GATEWAY_TYPE)
}

/**
 * The lease client `id` runs under with several instances: the FIX session's when a gateway
 * downstream names a session (`sessionKeyOf` its key, undefined when unknown), so the client and
 * the session always run on the same instance; else the client's own, by its name.
 */
export function leaseResourceOf (
  graph: FlowGraph, id: string, clientName: string, sessionKeyOf: (gatewayId: string) => string | undefined
): string {
  for (const gateway of downstreamOfType(graph, id, GATEWAY_TYPE)) {
    const key = sessionKeyOf(gateway)
    if (key !== undefined) return resourceOf.session(key)
  }
  return resourceOf.client(clientName)
}

/** The nodes after a client, from one deploy to the next. */
export class Downstream {
  private ids = new Set<string>()

  /**
   * After a deploy (`e`, Node-RED's flows:started): whether it stopped a node that was, or is now,
   * after client `id`. Node-RED drops the messages on their way to a stopped node without an
   * error, so the client must send its unconfirmed rows again.
   */
  restarted (graph: FlowGraph, id: string, e?: FlowsStarted): boolean {
    const before = this.ids
    this.ids = downstreamOf(graph, id)
    return stoppedDownstream(e, before, this.ids)
  }
}
