import * as assert from 'assert'
import { helper, runtimeName } from '../support/node-red'
import { eventually } from '../support/databases'
import { tempDirPerTest } from '../support/temp'
import { freePort } from '../core/fix-session/support'
import { gatewayStatus } from '../../nodes/fix-gateway/status-text'
import { quietAtStart, shortReason, withReason } from '../../nodes/fix-session/status-text'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import sessionNode = require('../../nodes/fix-session/fix-session')
import gatewayNode = require('../../nodes/fix-gateway/fix-gateway')
import { initiatorSession, SESSION_DEFAULTS } from '../support/fix-session-pair'

const label = (phase: string): string =>
  (({ 'logged-on': 'logged on', starting: 'starting', disconnected: 'disconnected' }) as Record<string, string>)[
    phase
  ] ?? phase

describe('fix-gateway status texts', () => {
  it('shows no sequence numbers before the session has read them (no "out 0 in 0")', () => {
    assert.deepStrictEqual(gatewayStatus({ phase: 'starting', nextSenderSeq: 0, nextTargetSeq: 0 }, label), {
      fill: 'blue',
      shape: 'dot',
      text: 'starting'
    })
    const db = gatewayStatus(
      { phase: 'starting', nextSenderSeq: 0, nextTargetSeq: 0, text: 'waiting for database: connection refused' },
      label
    )
    assert.deepStrictEqual(db, { fill: 'red', shape: 'ring', text: 'waiting for database: connection refused' })
  })
  it('says "waiting for database: <reason>" while logged on too, and the numbers again once it is back', () => {
    const at = { phase: 'logged-on' as const, nextSenderSeq: 548, nextTargetSeq: 1079 }
    assert.deepStrictEqual(
      gatewayStatus({ ...at, text: 'waiting for database: the server is shutting down' }, label),
      { fill: 'red', shape: 'ring', text: 'waiting for database: the server is shutting down' }
    )
    assert.strictEqual(gatewayStatus({ ...at, text: 'database back' }, label).text, 'logged on out 548 in 1079')
  })
  it('shows the numbers once known, and the reason alone when something is wrong', () => {
    assert.strictEqual(
      gatewayStatus({ phase: 'logged-on', nextSenderSeq: 548, nextTargetSeq: 1079 }, label).text,
      'logged on out 548 in 1079'
    )
    const down = gatewayStatus(
      { phase: 'disconnected', nextSenderSeq: 548, nextTargetSeq: 1079, text: 'connection refused; retry in 9 s' },
      label
    )
    assert.deepStrictEqual(down, { fill: 'red', shape: 'ring', text: 'connection refused; retry in 9 s' })
    assert.strictEqual(
      gatewayStatus(
        { phase: 'disconnected', nextSenderSeq: 3, nextTargetSeq: 3, text: 'listening on 127.0.0.1:9876' },
        label
      ).fill,
      'yellow'
    )
    // Short enough for the label under the node (it ran under the neighbouring node at 60 characters).
    const inUse = gatewayStatus(
      {
        phase: 'disconnected',
        nextSenderSeq: 0,
        nextTargetSeq: 0,
        text: 'listener error: listen EADDRINUSE: address already in use 127.0.0.1:9876'
      },
      label
    )
    assert.deepStrictEqual(inUse, { fill: 'red', shape: 'ring', text: 'listener error: port in use' })
  })
  it('keeps the reason of a failed connect in the reconnect text, in plain words', () => {
    assert.strictEqual(
      withReason('connect failed: connect ECONNREFUSED 127.0.0.1:9876', 'reconnecting in 9 s'),
      'connection refused; retry in 9 s'
    )
    assert.strictEqual(withReason('connected', 'reconnecting in 9 s'), 'reconnecting in 9 s')
    assert.strictEqual(
      shortReason('connection refused: is the server running and listening on that host and port?'),
      'connection refused'
    )
  })
  it('logs a failed connect in the first seconds before any logon at debug, later ones at info', () => {
    assert.strictEqual(quietAtStart('connection refused; retry in 0.2 s', 300, false), true)
    assert.strictEqual(quietAtStart('connection refused; retry in 9 s', 30000, false), false)
    assert.strictEqual(quietAtStart('connect failed: connect ECONNREFUSED 127.0.0.1:1', 300, true), false)
  })
})

describe(`fix-gateway status on a running flow (${runtimeName})`, function () {
  this.timeout(60000)
  beforeEach(async () => { await helper.startServer() })
  afterEach(async () => {
    await helper.unload()
    await helper.stopServer()
  })
  const tempDir = tempDirPerTest() // after the unload above: no flow holds its folders any more
  const common = { ...SESSION_DEFAULTS, database: 'db1', senderCompID: 'CLI', targetCompID: 'BRK' }
  const texts = (id: string): string[] => helper.getNode(id).status.getCalls().map((c: any) => String(c.args[0].text))

  it('with the database down, the gateway says it waits for the database, with no sequence numbers', async () => {
    const dbPort = await freePort() // nothing listens there
    await helper.load(
      [databaseNode, sessionNode, gatewayNode],
      [
        {
          id: 'db1',
          type: 'streamer-database',
          mode: 'server',
          host: '127.0.0.1',
          port: dbPort,
          database: 'x',
          schema: 'fx'
        },
        { id: 's1', type: 'fix-session', role: 'initiator', host: '127.0.0.1', port: 1, ...common },
        { id: 'g1', type: 'fix-gateway', session: 's1', wires: [[], []] }
      ],
      { db1: { user: 'u', password: 'p' } }
    )
    await eventually(
      () => texts('g1').some((t: string) => /^waiting for database: connection refused/.test(t)),
      20000,
      'a status naming the database'
    )
    assert.ok(!texts('g1').some((t: string) => /out 0 in 0/.test(t)), texts('g1').join(' | '))
  })

  it('an initiator that cannot connect shows the reason with the retry, and ' +
    'logs the first failure at debug', async () => {
    const port = await freePort() // nothing listens there
    await helper.load(
      [databaseNode, sessionNode, gatewayNode],
      [
        { id: 'db1', type: 'streamer-database', mode: 'embedded', dataDir: tempDir(), schema: 'fx' },
        initiatorSession({ id: 's1', port, database: 'db1', senderCompID: 'CLI', targetCompID: 'BRK' }),
        { id: 'g1', type: 'fix-gateway', session: 's1', wires: [[], []] }
      ]
    )
    await eventually(
      () => texts('g1').some((t: string) => /^connection refused; retry in /.test(t)),
      45000,
      'a status with reason and retry'
    )
    const red = helper
      .getNode('g1')
      .status.getCalls()
      .map((c: any) => c.args[0])
      .find((s: any) => /^connection refused/.test(s.text))
    assert.strictEqual(red.fill, 'red')
    const s1 = helper.getNode('s1')
    const infos = s1.log.getCalls().map((c: any) => String(c.args[0]))
    const debugs = s1.debug.getCalls().map((c: any) => String(c.args[0]))
    assert.ok(
      debugs.some((t: string) => /ECONNREFUSED|connection refused/.test(t)),
      `debug: ${debugs.join(' | ')}`
    )
    assert.ok(!infos.some((t: string) => /ECONNREFUSED|connection refused/.test(t)), `info: ${infos.join(' | ')}`)
  })
})
