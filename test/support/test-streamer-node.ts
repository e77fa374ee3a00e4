/**
 * A stand-in `audit-streamer` node for node tests until the real streamer (issue 3) is merged:
 * it exposes `node.stream` (a TableStream over `table` in the database config node's database),
 * as the agreed wiring says. Its close closes every subscription, as a redeployed streamer does.
 */
import type { NodeAPI } from 'node-red'
import { TableStream } from './table-stream'

export = function (RED: NodeAPI): void {
  function TestStreamer (this: any, def: any): void {
    RED.nodes.createNode(this, def)
    const node = this
    const db = RED.nodes.getNode(def.database) as any
    let stream: TableStream | undefined
    db.acquire().then((database: any) => {
      stream = new TableStream(database, def.table, { name: def.streamName ?? 'test-stream', initialStart: def.start === 'beginning' ? { kind: 'beginning' } : undefined })
      node.stream = stream
    }, (err: Error) => node.error(err.message))
    node.on('close', (_removed: boolean, done: () => void) => {
      node.stream = undefined
      ;(stream?.closeAll() ?? Promise.resolve()).finally(() => done())
    })
  }
  RED.nodes.registerType('audit-streamer', TestStreamer)
}
