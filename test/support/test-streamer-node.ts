/**
 * A stand-in `audit-streamer` node for node tests until the real streamer (issue 3) is merged:
 * it exposes `node.stream` (a TableStream over `<schema>.src`, created if missing, in the database config node's database),
 * as the agreed wiring says. Its close closes every subscription, as a redeployed streamer does.
 */
import type { NodeAPI } from 'node-red'
import { createSourceTable, TableStream } from './table-stream'

export = function (RED: NodeAPI): void {
  function TestStreamer (this: any, def: any): void {
    RED.nodes.createNode(this, def)
    const node = this
    const db = RED.nodes.getNode(def.database) as any
    let stream: TableStream | undefined
    db.acquire().then(async (database: any) => {
      const exists = await database.query('SELECT to_regclass($1) AS t', [`"${def.schema}"."src"`])
      if (exists.rows[0].t === null) await createSourceTable(database, def.schema).catch(() => {})
      stream = new TableStream(database, `"${def.schema}"."src"`, { name: def.streamName ?? 'test-stream', initialStart: def.start === 'beginning' ? { kind: 'beginning' } : undefined })
      node.stream = stream
    }, (err: Error) => node.error(err.message))
    node.on('close', (_removed: boolean, done: () => void) => {
      node.stream = undefined
      ;(stream?.closeAll() ?? Promise.resolve()).finally(() => done())
    })
  }
  RED.nodes.registerType('audit-streamer', TestStreamer)
}
