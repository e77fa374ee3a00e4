import * as assert from 'assert'
import { helper, runtimeName } from '../support/node-red'
import { eventually } from '../support/databases'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import sqlNode = require('../../nodes/streamer-sql/streamer-sql')
import { faultyPostgres } from '../support/faulty-postgres'
import { ProcessErrors } from '../support/process-errors'
import { sleep } from '../support/wait'

const nodes = [databaseNode, sqlNode]

/**
 * Point 2 of issue 17 for streamer-sql: a transient error (the server restarting, a cut
 * connection) makes messages wait and run again in order, none failed; "fail at once" fails them;
 * a permanent error fails at once whatever the setting.
 */
describe(`streamer-sql during database faults [postgres] (${runtimeName})`, function () {
  const faulty = faultyPostgres({
    env: 'FIX_STREAMERS_FAULT_URL',
    setUp: async pg => {
      await pg.admin(async c => {
        await c.query('CREATE TABLE sink (id bigserial PRIMARY KEY, n int UNIQUE, node text)')
      })
    }
  })
  beforeEach(async () => { await helper.startServer() })
  afterEach(async () => {
    await helper.unload()
    await helper.stopServer()
  })

  const flow = (
    extra: Record<string, unknown>,
    sql = 'INSERT INTO sink (n, node) VALUES ($1, $2) ON CONFLICT (n) DO NOTHING'
  ): any[] => [
    {
      id: 'db1',
      type: 'streamer-database',
      mode: 'server',
      urlEnv: 'FIX_STREAMERS_FAULT_URL',
      ssl: 'disable',
      poolSize: 4,
      schema: 'pack'
    },
    {
      id: 'q1',
      type: 'streamer-sql',
      database: 'db1',
      sql,
      params: [
        { v: 'payload', vt: 'msg' },
        { v: 'topic', vt: 'msg' }
      ],
      ...extra,
      wires: [['out']]
    },
    { id: 'out', type: 'helper' },
    { id: 'c1', type: 'catch', scope: ['q1'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' }
  ]

  /** Sends n messages, one every `everyMs`, while `fault` runs once a third of them are out. */
  async function drive (
    label: string,
    from: number,
    n: number,
    fault: () => Promise<void>,
    everyMs = 5
  ): Promise<{ out: number[]; caught: any[] }> {
    const out: number[] = []
    const caught: any[] = []
    helper.getNode('out').on('input', (m: any) => out.push(m.payload))
    helper.getNode('caught').on('input', (m: any) => caught.push(m))
    const q = helper.getNode('q1')
    let faulted: Promise<void> | undefined
    for (let i = 0; i < n; i++) {
      if (i === Math.floor(n / 3)) faulted = fault()
      q.receive({ payload: from + i, topic: label })
      await sleep(everyMs)
    }
    await faulted
    return { out, caught }
  }

  for (const batch of [1, 25]) {
    it(`batch ${batch}: messages wait through a fast restart, an immediate restart and a cut, then all ` +
      'run once, in order, none failed', async function () {
      this.timeout(120000)
      const server = faulty.pg
      const recorded = new ProcessErrors()
      try {
        const label = `retry-${batch}`
        await helper.load(nodes, flow({ batch }))
        await helper.getNode('db1').acquire()
        const from = batch * 1000
        const { out, caught } = await drive(label, from, 300, async () => {
          await server.inject('restart-fast', 1000)
          await sleep(200)
          await server.inject('restart-immediate', 500)
          await sleep(200)
          server.proxy.cut()
        })
        await eventually(
          () => out.length + caught.length >= 300,
          60000,
          `300 messages done (${out.length} out, ${caught.length} caught)`
        )
        assert.deepStrictEqual(caught.map(m => m.error.message).slice(0, 3), [], 'no message failed')
        const rows = await server.admin(async c =>
          (await c.query('SELECT n FROM sink WHERE node = $1 ORDER BY id', [label])).rows.map(r => r.n as number)
        )
        assert.deepStrictEqual(
          [...rows].sort((a, b) => a - b),
          Array.from({ length: 300 }, (_, i) => from + i),
          'every message stored once'
        )
        if (batch > 1) {
          assert.deepStrictEqual(
            rows,
            Array.from({ length: 300 }, (_, i) => from + i),
            'in arrival order'
          )
        }
        const texts = helper
          .getNode('q1')
          .status.getCalls()
          .map((c: any) => c.args[0].text as string)
        assert.ok(
          texts.some((t: string) => /^waiting for database: /.test(t)),
          `status said it was waiting: ${texts.slice(-5).join(' | ')}`
        )
        const warnings = helper
          .getNode('q1')
          .warn.getCalls()
          .map((c: any) => String(c.args[0]))
          .filter((w: string) => /waiting for database/.test(w))
        // An outage, for the node, runs from a failure to the next success. The three faults come
        // 200 ms apart, and a message on a new connection can get through between two failures of
        // one fault (on connections opened before it), so a fault can count as two outages: 5
        // warnings in a CI run of session 28. One per message would be hundreds.
        assert.ok(
          warnings.length >= 1 && warnings.length <= 6,
          `one warning per outage (3 faults, at most two outages each), not one per message: ${warnings.length}`
        )
        assert.deepStrictEqual(recorded.errors, [])
      } finally {
        recorded.stop()
      }
    })
  }

  it('On error "fail at once": a message sent while the server is down fails at once to Catch', async function () {
    this.timeout(60000)
    const server = faulty.pg
    await helper.load(nodes, flow({ onError: 'fail' }))
    await helper.getNode('db1').acquire()
    server.server.down('fast')
    try {
      const caught = new Promise<any>(resolve => helper.getNode('caught').once('input', resolve))
      helper.getNode('q1').receive({ payload: 1, topic: 'fail' })
      const m = await caught
      assert.match(m.error.message, /SQL failed: /)
    } finally {
      server.server.up()
    }
  })

  it('a permanent error (a unique violation) fails at once to Catch, also with retries on', async function () {
    this.timeout(30000)
    await helper.load(nodes, flow({}, 'INSERT INTO sink (n, node) VALUES ($1, $2)'))
    const started = Date.now()
    const caught = new Promise<any>(resolve => helper.getNode('caught').once('input', resolve))
    helper.getNode('q1').receive({ payload: 1000, topic: 'dup' }) // stored by the batch-1 run above
    const m = await caught
    assert.match(m.error.message, /duplicate key/)
    assert.ok(Date.now() - started < 5000, 'not retried')
  })
})
