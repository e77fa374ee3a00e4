import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { helper, runtimeName, FlowNode } from '../support/node-red'
import { eventually, tempDir, uniqueSchema } from '../support/databases'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import streamerNode = require('../../nodes/audit-streamer/audit-streamer')
import clientNode = require('../../nodes/streamer-client/streamer-client')

const nodes = [databaseNode, streamerNode, clientNode]

/**
 * Point 4 of issue 17: a missing table or view is looked for with backoff and the stream starts
 * when it appears, without a redeploy; the same when a table the stream reads is dropped and created again.
 */
describe(`audit-streamer recovers from configuration faults [pglite] (${runtimeName})`, function () {
  this.timeout(60000)
  const schema = uniqueSchema('cf')
  let dataDir: string

  beforeEach(async () => {
    dataDir = tempDir()
    await helper.startServer()
  })
  afterEach(async () => {
    await helper.unload()
    await helper.stopServer()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })

  /** Status texts and log lines of a node (a status may be cut short). */
  const said = (n: any): string[] => [
    ...n.status.getCalls().map((c: any) => String(c.args[0].text)),
    ...n.warn.getCalls().map((c: any) => String(c.args[0])),
    ...n.error.getCalls().map((c: any) => String(c.args[0]))
  ]

  const flow = (streamer: Partial<FlowNode>): FlowNode[] => [
    { id: 'db', type: 'streamer-database', mode: 'embedded', dataDir: path.join(dataDir, 'pg'), schema },
    {
      id: 's1',
      type: 'audit-streamer',
      database: 'db',
      stream: 'orders',
      batchSize: 100,
      listen: false,
      pollInterval: 50,
      output: 'row',
      start: 'beginning',
      columns: [],
      wires: [['h1']],
      ...streamer
    },
    { id: 'h1', type: 'helper' }
  ]

  it('a managed audit table whose source table does not exist yet starts streaming once it is created', async () => {
    await helper.load(nodes, flow({ table: `${schema}.orders`, managed: true }))
    const got: any[] = []
    helper.getNode('h1').on('input', (m: any) => got.push(m))
    const s1 = helper.getNode('s1') as any
    await eventually(() => said(s1).some(t => /does not exist/.test(t)), 15000, 'a status naming the missing table')
    const db = await (helper.getNode('db') as any).acquire()
    await db.query(`CREATE TABLE "${schema}".orders (id int PRIMARY KEY, sym text)`)
    // Rows inserted before the audit table and its trigger exist are not audited: insert until one is.
    let id = 0
    await eventually(async () => {
      await db.query(`INSERT INTO "${schema}".orders VALUES ($1, 'VOD')`, [++id])
      await new Promise(resolve => setTimeout(resolve, 200))
      return got.length > 0
    }, 40000, 'an insert streamed once the table exists')
    assert.strictEqual(got[0].payload.sym, 'VOD')
    assert.strictEqual(got[0].payload.audit_event_type, 'INSERT')
    // A row may come while the stream still replays, a moment before it turns live (green).
    await eventually(() => s1.status.getCalls().slice(-1)[0].args[0].fill === 'green', 10000, 'a green status')
  })

  it('a streamed view that does not exist yet: a red status naming it, and streaming once it is created', async () => {
    await helper.load(nodes, flow({ table: `${schema}.open_orders`, positionColumns: 'id' }))
    const got: any[] = []
    helper.getNode('h1').on('input', (m: any) => got.push(m))
    const s1 = helper.getNode('s1') as any
    await eventually(() => said(s1).some(t => /open_orders.*does not exist|does not exist.*open_orders/.test(t)), 15000,
      'a status naming the missing view')
    assert.strictEqual(s1.status.getCalls().slice(-1)[0].args[0].fill, 'red')
    const db = await (helper.getNode('db') as any).acquire()
    await db.query(`CREATE TABLE "${schema}".all_orders (id bigserial PRIMARY KEY, sym text, open boolean)`)
    await db.query(`CREATE VIEW "${schema}".open_orders AS SELECT id, sym FROM "${schema}".all_orders WHERE open`)
    await db.query(`INSERT INTO "${schema}".all_orders (sym, open) VALUES ('A', false), ('B', true)`)
    await eventually(() => got.length === 1, 40000, 'the row of the view once it exists')
    assert.strictEqual(got[0].payload.sym, 'B')
    await eventually(() => s1.status.getCalls().slice(-1)[0].args[0].fill === 'green', 10000, 'a green status')
  })

  it('a streamed table that is dropped and created again: the stream waits, then goes on', async () => {
    await helper.load(nodes, flow({ table: `${schema}.src`, positionColumns: 'id' }))
    const db = await (helper.getNode('db') as any).acquire()
    await db.query(`CREATE TABLE "${schema}".src (id bigserial PRIMARY KEY, sym text)`)
    const got: any[] = []
    helper.getNode('h1').on('input', (m: any) => got.push(m))
    await db.query(`INSERT INTO "${schema}".src (sym) VALUES ('A')`)
    await eventually(() => got.length === 1, 30000, 'the first row')
    await db.query(`DROP TABLE "${schema}".src`)
    const s1 = helper.getNode('s1') as any
    await eventually(() => said(s1).some(t => /does not exist/.test(t)), 15000, 'a status naming the dropped table')
    assert.notStrictEqual(s1.status.getCalls().slice(-1)[0].args[0].text.startsWith('failed'), true)
    await db.query(`CREATE TABLE "${schema}".src (id bigserial PRIMARY KEY, sym text)`)
    await db.query('INSERT INTO "' + schema + "\".src (id, sym) VALUES (2, 'B')")
    await eventually(() => got.length === 2, 40000, 'the row after the table came back')
    assert.strictEqual(got[1].payload.sym, 'B')
  })

  it('deploying only the fixed streamer gets its failed client streaming again', async () => {
    const client = {
      id: 'c1',
      type: 'streamer-client',
      database: 'db',
      clientName: 'fixed-later',
      replayable: true,
      filter: '',
      mappings: [],
      payload: '',
      routeMode: 'single',
      routes: [],
      inFlight: 10,
      confirmMode: 'send',
      terminateOnError: false,
      wires: [['h2'], []]
    }
    const broken = [
      ...flow({ table: `${schema}.src2`, positionColumns: 'id', filter: 'no_such_column = 1', wires: [['c1']] }),
      client,
      { id: 'h2', type: 'helper' }
    ]
    await helper.load(nodes, broken)
    const db = await (helper.getNode('db') as any).acquire()
    await db.query(`CREATE TABLE "${schema}".src2 (id bigserial PRIMARY KEY, sym text)`)
    const c1 = helper.getNode('c1') as any
    await eventually(
      () => said(c1).some(t => /^failed: .*no_such_column/.test(t)),
      30000,
      'the client failed with the streamer'
    )
    // Fix the filter and deploy only that node ("modified nodes"): the client is not redeployed.
    const fixed = broken.map(n => n.id === 's1' ? { ...n, filter: '' } : n)
    await helper.setFlows(fixed, 'nodes')
    assert.strictEqual(helper.getNode('c1'), c1, 'the client node was not restarted')
    const got: any[] = []
    helper.getNode('h2').on('input', (m: any) => got.push(m))
    await db.query(`INSERT INTO "${schema}".src2 (sym) VALUES ('A')`)
    await eventually(() => got.length === 1, 30000, 'the row through the client after the streamer was redeployed')
    assert.strictEqual(got[0].payload.sym, 'A')
  })
})
