import * as assert from 'assert'
import type { NodeStatus } from 'node-red'
import type { ClientPhase, ClientState, ClientStats } from '../../core/client'
import { translator } from '../../nodes/shared/i18n'
import { ClientObserver, LogLine } from '../../nodes/streamer-client/observer'
import catalog = require('../../nodes/streamer-client/locales/en-US/streamer-client.json')

const t = translator({ _: (key: string) => key }, catalog)
const refused = 'connect ECONNREFUSED 127.0.0.1:5432'
const down = { state: 'retrying' as const, error: refused, attempt: 1, delayMs: 500 }

/** An observer with no client yet, and what it logged and showed. */
function observe (closed = false): { o: ClientObserver, lines: LogLine[], shown: NodeStatus[] } {
  const lines: LogLine[] = []
  const shown: NodeStatus[] = []
  const voice = { log: (l: LogLine) => lines.push(l), status: (s: NodeStatus) => shown.push(s) }
  const o = new ClientObserver(t, () => undefined, voice, () => closed)
  return { o, lines, shown }
}

describe('streamer-client observing its client', () => {
  it('logs a database outage once when it begins and once when it ends, however many reconnects it spans', () => {
    const { o, lines } = observe()
    o.database({ state: 'connecting' })
    o.database(down)
    o.database({ state: 'connecting' })
    o.database({ ...down, attempt: 2 })
    o.database({ state: 'connected', database: undefined as any })
    o.database({ state: 'connecting' })
    assert.deepStrictEqual(lines, [
      { level: 'warn', text: `waiting for the database: ${refused}` },
      { level: 'log', text: 'the database is back' }
    ])
  })

  it('logs the outage again when a cause a person must clear comes, once per text, however often it flaps', () => {
    const { o, lines } = observe()
    const password = 'password authentication failed for user "app"'
    o.database(down)
    o.database({ ...down, error: 'the database system is starting up', attempt: 2 })
    o.database({ ...down, error: password, attempt: 3, needsOperator: true })
    o.database({ ...down, attempt: 4 })
    o.database({ ...down, error: password, attempt: 5, needsOperator: true })
    o.database({ state: 'connected', database: undefined as any })
    assert.deepStrictEqual(lines, [
      { level: 'warn', text: `waiting for the database: ${refused}` },
      { level: 'warn', text: `waiting for the database: ${password}` },
      { level: 'log', text: 'the database is back' }
    ])
  })

  it("logs a refused login that only the client's own reads meet, after the database node connected", () => {
    // The database node connected long ago; an outage now is seen by the client's stream alone.
    let phase: ClientPhase = 'live'
    const client = {
      get phase () { return phase },
      stats: () => ({ rate: 0, inFlight: 0, failed: 0, health: { health: 'HEALTHY' } }) as unknown as ClientStats,
      lag: async () => 0
    }
    const lines: LogLine[] = []
    const o = new ClientObserver(t, () => client, { log: l => lines.push(l), status: () => {} }, () => false)
    const hear = o.listener(() => {})
    const state = (s: ClientState): void => { phase = s.phase; hear.onState?.(s) }
    const killed = 'terminating connection due to administrator command'
    const password = 'password authentication failed for user "app"'
    o.database({ state: 'connected', database: undefined as any })
    state({ phase: 'retrying', error: killed })
    state({ phase: 'retrying', error: password, needsOperator: true })
    state({ phase: 'retrying', error: killed })
    state({ phase: 'retrying', error: password, needsOperator: true })
    state({ phase: 'live' })
    assert.deepStrictEqual(lines, [
      { level: 'warn', text: `waiting for the database: ${killed}` },
      { level: 'warn', text: `waiting for the database: ${password}` },
      { level: 'log', text: 'the database is back' }
    ])
  })

  it('shows the outage in red while the database node reconnects between two retries', () => {
    const { o, shown } = observe()
    o.database(down)
    o.database({ state: 'connecting' })
    const waiting = { fill: 'red', shape: 'ring', text: 'waiting for database: connection refused' }
    assert.deepStrictEqual(shown.at(-1), waiting)
    assert.strictEqual(o.currentProblem(), 'waiting for database: connection refused')
  })

  it('warns of a client error once, and of a failed checkpoint write only outside a logged outage', () => {
    const { o, lines } = observe()
    const hear = o.listener(() => {})
    hear.onState?.({ phase: 'retrying', error: 'table "a.b" does not exist', needsAction: true })
    hear.onState?.({ phase: 'retrying', error: 'table "a.b" does not exist', needsAction: true })
    hear.onProblem?.(Object.assign(new Error('permission denied for table checkpoints'), { code: '42501' }))
    assert.deepStrictEqual(lines.map(l => l.text), [
      'retrying: table "a.b" does not exist',
      'checkpoint write failed (will retry): permission denied for table checkpoints'
    ])
    const during = observe()
    during.o.database(down)
    during.o.listener(() => {}).onProblem?.(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }))
    assert.deepStrictEqual(during.lines.map(l => l.level), ['warn'])
  })

  it('tells the follower first when the streamer closed the stream under the client', () => {
    const { o, shown } = observe()
    const order: string[] = []
    o.listener(() => order.push('detached')).onState?.({ phase: 'detached' })
    order.push(`shown ${shown.length}`)
    assert.deepStrictEqual(order, ['detached', 'shown 0'])
  })

  it('shows a wiring problem until the client attaches, and warns of several streamers', () => {
    const { o, lines, shown } = observe()
    o.miswired(0)
    assert.strictEqual(o.currentProblem(), 'no audit-streamer wired in (directly or via links)')
    o.attaching()
    assert.strictEqual(o.currentProblem(), undefined)
    o.miswired(2)
    o.miswired(2)
    assert.strictEqual(lines.length, 1)
    assert.match(lines[0].text, /2/)
    o.fail('client name "x" is already used')
    assert.deepStrictEqual(shown.at(-1), { fill: 'red', shape: 'ring', text: 'client name "x" is already used' })
  })

  it('shows standby while another instance runs the client, unless something is wrong', () => {
    const { o, shown } = observe()
    o.standby('standby (active on b)')
    assert.deepStrictEqual(shown.at(-1), { fill: 'yellow', shape: 'ring', text: 'standby (active on b)' })
    o.database(down)
    assert.strictEqual(shown.at(-1)?.fill, 'red')
  })

  it('says nothing more once the node closes', () => {
    const { o, shown } = observe(true)
    o.database(down)
    o.standby('standby (active on b)')
    assert.deepStrictEqual(shown, [])
    assert.strictEqual(o.currentProblem(), undefined)
  })
})
