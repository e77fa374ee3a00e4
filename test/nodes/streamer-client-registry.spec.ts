import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { confirmables, streamSources } from '../../nodes/shared/registry'
import { helper, runtimeName, FlowNode } from '../support/node-red'
import { eventually, tempDir, uniqueSchema } from '../support/databases'
import { createSourceTable, insertRows, streamerNodeFields } from '../support/source-table'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import clientNode = require('../../nodes/streamer-client/streamer-client')
import streamerNode = require('../../nodes/audit-streamer/audit-streamer')

const runtimeDir = path.dirname(require.resolve(`${process.env.NODE_RED_RUNTIME ?? 'node-red'}/package.json`))
const linkNode = require(require.resolve('@node-red/nodes/core/common/60-link.js', { paths: [runtimeDir] }))

describe(`streamer-client and audit-streamer meet through the registry on ${runtimeName}`, function () {
  this.timeout(60000) // the embedded database and two deploys take seconds on a loaded machine
  let dir: string
  let schema: string

  beforeEach(async () => {
    dir = tempDir()
    schema = uniqueSchema('reg')
    await helper.startServer()
  })
  afterEach(async () => {
    await helper.stopServer()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  /** The client on tab ta behind a link pair; the streamer on tab tb, disabled until `streamerOn`. */
  function flow (streamerOn: boolean): FlowNode[] {
    const at = (z: string, n: FlowNode): FlowNode => ({ x: 100, y: 100, ...n, z })
    return [
      { id: 'ta', type: 'tab', label: 'clients' },
      { id: 'tb', type: 'tab', label: 'streamers', disabled: !streamerOn },
      { id: 'db', type: 'streamer-database', mode: 'embedded', dataDir: path.join(dir, 'pg'), schema },
      at('tb', {
        id: 's1',
        type: 'audit-streamer',
        database: 'db',
        stream: 'orders',
        ...streamerNodeFields(schema),
        start: 'beginning',
        wires: [['lo']]
      }),
      at('tb', { id: 'lo', type: 'link out', mode: 'link', links: ['li'], wires: [] }),
      at('ta', { id: 'li', type: 'link in', links: ['lo'], wires: [['c1']] }),
      at('ta', {
        id: 'c1',
        type: 'streamer-client',
        database: 'db',
        clientName: 'late',
        replayable: true,
        filter: '',
        mappings: [],
        payload: '',
        routeMode: 'single',
        routes: [],
        inFlight: 50,
        confirmMode: 'send',
        terminateOnError: false,
        wires: [['h1'], []]
      }),
      at('ta', { id: 'h1', type: 'helper' })
    ]
  }

  it('a client deployed before its streamer waits on the registry and attaches when the streamer starts', async () => {
    await helper.load([databaseNode, streamerNode, clientNode, linkNode], flow(false))
    const got: any[] = []
    helper.getNode('h1').on('input', (msg: any) => got.push(msg))
    // The client resolved s1 through the link pair and waits for it in the registry.
    await eventually(() => streamSources.size.watched === 1, 10000, 'the client to watch s1')
    assert.strictEqual(streamSources.get('s1'), undefined, 'the streamer has not started')
    assert.strictEqual(typeof confirmables.get('c1')?.confirm, 'function', 'the client is confirmable by id')
    // The source table, in the one embedded database the nodes share.
    const db = await (helper.getNode('db') as any).acquire()
    await createSourceTable(db, schema)

    // Deployed through the runtime: the helper's setFlows gives up when flows:started takes 300 ms.
    await (helper as any)._redNodes.setFlows(flow(true), {}, 'flows')
    await eventually(() => streamSources.get('s1'), 15000, 'the streamer to start and register')
    assert.strictEqual(streamSources.get('s1'), (helper.getNode('s1') as any).stream, 'the streamer registered')
    await insertRows(db, `"${schema}".src`, [{ sym: 'VOD', qty: 1 }, { sym: 'BP', qty: 2 }])
    await eventually(() => got.length === 2, 15000, 'both rows through the late streamer')
    assert.deepStrictEqual(got.map(m => [m.stream.streamer, m.stream.position[0]]), [['s1', '1'], ['s1', '2']])

    await helper.unload()
    assert.deepStrictEqual([streamSources.size, confirmables.size], [{ entries: 0, watched: 0 },
      { entries: 0, watched: 0 }], 'closed nodes leave nothing registered')
  })
})
