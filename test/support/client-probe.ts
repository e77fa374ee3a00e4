import { confirmables } from '../../nodes/shared/registry'

/**
 * A Node-RED node type, 'client-probe', that stands in for a streamer client: a fix-gateway finds
 * it in the registry under its node id, as it finds a client, and it records what the gateway
 * confirms (`confirmed`, one position per confirmation).
 */
export function clientProbe (RED: any): void {
  function Probe (this: any, config: any): void {
    RED.nodes.createNode(this, config)
    this.confirmed = [] as string[][]
    this.confirm = (position: string[]) => this.confirmed.push(position)
    confirmables.register(this.id, this)
    this.on('close', () => confirmables.unregister(this.id, this))
  }
  RED.nodes.registerType('client-probe', Probe)
}
