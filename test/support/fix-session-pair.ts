/**
 * The fix-session nodes of the test flows: a FIX.4.4 acceptor 'sa' (BRK) on a port of 127.0.0.1 and an
 * initiator 'si' (CLI) that logs on to it, each with its fix-gateway (ga, gi), both journaling in one
 * database node. Used by the gateway specs (node-red-node-test-helper) and the console specs (a
 * Node-RED child process).
 */

/** The FIX.4.4 settings every fix-session of these flows shares: no reset, open all week. */
export const SESSION_DEFAULTS = {
  beginString: 'FIX.4.4',
  dictionary: 'FIX.4.4',
  heartBtInt: 30,
  resetPolicy: 'never',
  weekdays: '0,1,2,3,4,5,6'
}

export interface SessionNodeOptions {
  id: string
  /** The acceptor listens on it, the initiator connects to it (127.0.0.1 both). */
  port: number
  /** The streamer-database node's id. */
  database: string
  senderCompID: string
  targetCompID: string
  name?: string
}

/** An acceptor fix-session node bound to 127.0.0.1. */
export function acceptorSession (o: SessionNodeOptions): Record<string, unknown> {
  return { ...sessionNode(o), role: 'acceptor', bindAddress: '127.0.0.1' }
}

/** An initiator fix-session node that connects to 127.0.0.1, retrying after 0.2 s and at most every second. */
export function initiatorSession (o: SessionNodeOptions): Record<string, unknown> {
  return { ...sessionNode(o), role: 'initiator', host: '127.0.0.1', backoffInitial: 0.2, backoffMax: 1 }
}

function sessionNode (o: SessionNodeOptions): Record<string, unknown> {
  const { id, port, database, senderCompID, targetCompID, name } = o
  return {
    id,
    type: 'fix-session',
    ...(name !== undefined ? { name } : {}),
    port,
    senderCompID,
    targetCompID,
    ...SESSION_DEFAULTS,
    database
  }
}

export interface PairOptions {
  fixPort: number
  database: string
  /** The tab of the gateways; none (the test helper's default flow) when absent. */
  z?: string
  /** The names of the acceptor and the initiator. */
  names?: [string, string]
  /** The outputs of the acceptor's gateway and of the initiator's; unwired when absent. */
  wires?: { ga?: string[][], gi?: string[][] }
  /** Settings that replace or add to the initiator's. */
  initiator?: Record<string, unknown>
}

/** The acceptor 'sa' (BRK), the initiator 'si' (CLI) that logs on to it, and their gateways 'ga' and 'gi'. */
export function sessionPair (o: PairOptions): Array<Record<string, unknown>> {
  const common = { port: o.fixPort, database: o.database }
  const tab = o.z !== undefined ? { z: o.z } : {}
  const [acceptorName, initiatorName] = o.names ?? []
  return [
    acceptorSession({ id: 'sa', name: acceptorName, senderCompID: 'BRK', targetCompID: 'CLI', ...common }),
    {
      ...initiatorSession({ id: 'si', name: initiatorName, senderCompID: 'CLI', targetCompID: 'BRK', ...common }),
      ...o.initiator
    },
    { id: 'ga', ...tab, type: 'fix-gateway', session: 'sa', wires: o.wires?.ga ?? [[], []] },
    { id: 'gi', ...tab, type: 'fix-gateway', session: 'si', wires: o.wires?.gi ?? [[], []] }
  ]
}
