import * as assert from 'assert'
import * as fs from 'fs'
import { PgDatabase } from '../../core'
import { eventually, serverOptions, tempDir, uniqueSchema } from '../support/databases'
import { helper, runtimeName } from '../support/node-red'
import { freePort } from '../core/fix-session/support'
import { sessionPair } from '../support/fix-session-pair'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import sessionNode = require('../../nodes/fix-session/fix-session')
import gatewayNode = require('../../nodes/fix-gateway/fix-gateway')
import streamerNode = require('../../nodes/audit-streamer/audit-streamer')

const nodes = [databaseNode, sessionNode, gatewayNode, streamerNode]

/** The stream polls this slowly when idle: only a wake can deliver a row much sooner. */
const POLL_MS = 5000

interface Target {
  name: string
  schema: string
  dbNode: () => Record<string, unknown>
  cleanup: () => Promise<void>
}

function targets (): Target[] {
  const dir = tempDir('fix-streamers-wake-')
  const out: Target[] = [{
    name: 'pglite',
    schema: 'fx',
    dbNode: () => ({ id: 'db1', type: 'streamer-database', mode: 'embedded', dataDir: `${dir}/db`, schema: 'fx' }),
    cleanup: async () => { fs.rmSync(dir, { recursive: true, force: true }) }
  }]
  const pg = serverOptions()
  if (pg !== undefined && process.env.DATABASE_URL !== undefined) {
    const schema = uniqueSchema('fwk')
    out.push({
      name: 'postgres',
      schema,
      dbNode: () =>
        ({ id: 'db1', type: 'streamer-database', mode: 'server', urlEnv: 'DATABASE_URL', schema, poolSize: 5 }),
      cleanup: async () => {
        const admin = await PgDatabase.open(pg)
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {})
        await admin.close()
      }
    })
  }
  return out
}

/** Each input of a helper node, with the time it arrived. */
function collect (id: string): Array<{ at: number, msg: any }> {
  const got: Array<{ at: number, msg: any }> = []
  helper.getNode(id).on('input', (msg: any) => got.push({ at: Date.now(), msg }))
  return got
}

function execReport (n: number): string {
  return `8=FIX.4.4|9=5|35=8|37=O${n}|11=N${n}|17=E${n}|150=0|39=0|55=IBM|54=1|151=100|14=0|6=0|10=000|`
}

for (const target of targets()) {
  describe(`a fix_in stream in the gateway's process [${target.name}] on ${runtimeName}`, function () {
    this.timeout(120000) // a logon waits up to 45 s: PGlite opening under load is slow
    before(async () => { await helper.startServer() })
    afterEach(async () => { await helper.unload() })
    after(async () => {
      await helper.stopServer()
      await target.cleanup()
    })

    it('reads a message the gateway has just committed to fix_in at once, not at its next poll, ' +
      'with LISTEN off and a 5 s poll interval', async () => {
      const port = await freePort()
      await helper.load(nodes, [
        target.dbNode(),
        ...sessionPair({ fixPort: port, database: 'db1', wires: { gi: [['i1'], ['i2']] } }),
        {
          id: 'fixin',
          type: 'audit-streamer',
          database: 'db1',
          stream: 'fix-in',
          table: `${target.schema}.fix_in`,
          managed: false,
          positionColumns: 'tx, receive_seq',
          timeColumn: 'received_at',
          listen: false,
          pollInterval: POLL_MS,
          filter: "msg_type = '8'",
          columns: [{ column: 'receive_seq' }, { column: 'cl_ord_id' }],
          start: 'beginning',
          output: 'row',
          wires: [['streamed']]
        },
        { id: 'i1', type: 'helper' },
        { id: 'i2', type: 'helper' },
        { id: 'streamed', type: 'helper' }
      ])
      const handed = collect('i1')
      const events = collect('i2')
      const streamed = collect('streamed')
      await eventually(() => events.some(e => e.msg.topic === 'logon'), 45000, 'logon')
      // The first report may come by the replay or by a poll: it only starts the idle time.
      helper.getNode('ga').receive({ payload: execReport(1) })
      await eventually(() => streamed.length === 1, 3 * POLL_MS, 'the first report streamed')
      // Idle for longer than the backoff takes to reach the poll interval (20 ms doubling: 5.1 s).
      await new Promise(resolve => setTimeout(resolve, 6000))
      helper.getNode('ga').receive({ payload: execReport(2) })
      await eventually(() => streamed.length === 2, 3 * POLL_MS, 'the second report streamed')
      // The stream may read the row before the gateway hands it on: the commit wakes the stream
      // before the session, a few awaits later, delivers the message.
      await eventually(() => handed.length >= 2, 5000, 'the second report handed on')
      assert.strictEqual(handed.length, 2)
      assert.strictEqual(streamed[1].msg.payload.cl_ord_id, 'N2')
      // The gateway hands a message on only after its commit to fix_in: from there to the stream.
      const lagMs = streamed[1].at - handed[1].at
      assert.ok(lagMs < 1000,
        `streamed ${lagMs} ms after the gateway committed it (polling alone: up to ${POLL_MS} ms)`)
    })
  })
}
