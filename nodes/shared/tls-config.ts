import type { Node, NodeAPI } from 'node-red'

/** What Node-RED's tls-config node puts into a TLS options object (its addTLSOptions). */
export interface TlsConfigOptions {
  key?: string | Buffer
  cert?: string | Buffer
  ca?: string | Buffer
  passphrase?: string
  servername?: string
  ALPNProtocols?: string[]
  /** The tls-config node's "verify server certificate" box. */
  rejectUnauthorized?: boolean
}

/** The part of a deployed tls-config node this pack uses. */
interface TlsConfigNode extends Node {
  addTLSOptions: (opts: TlsConfigOptions) => TlsConfigOptions
}

function isTlsConfigNode (n: Node | null): n is TlsConfigNode {
  return n !== null && typeof (n as Partial<TlsConfigNode>).addTLSOptions === 'function'
}

/**
 * The TLS options of the tls-config node `id`, or undefined when no id is given or no such
 * node is deployed (the caller says whether that is an error). One place for every node of the
 * pack that takes a tls-config: the database and the FIX session.
 */
export function tlsConfigOptions (RED: NodeAPI, id: string | undefined): TlsConfigOptions | undefined {
  if (id === undefined || id === '') return undefined
  const tlsNode = RED.nodes.getNode(id)
  if (!isTlsConfigNode(tlsNode)) return undefined
  return tlsNode.addTLSOptions({})
}
