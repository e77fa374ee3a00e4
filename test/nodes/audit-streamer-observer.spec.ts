import * as assert from 'assert'
import { translator } from '../../nodes/shared/i18n'
import { StreamObserver, streamerLabels } from '../../nodes/audit-streamer/observer'
import catalog = require('../../nodes/audit-streamer/locales/en-US/audit-streamer.json')

const t = translator({ _: (key: string) => key }, catalog)
const labels = streamerLabels(t)
const refused = 'connect ECONNREFUSED 127.0.0.1:5432'
const down = { state: 'retrying' as const, error: refused, attempt: 1, delayMs: 500 }

describe('audit-streamer observing its stream', () => {
  it('logs a database outage once when it begins and once when it ends, however many retries it spans', () => {
    const o = new StreamObserver('orders', t, () => undefined)
    const lines = [
      ...o.database({ state: 'connecting' }),
      ...o.database(down),
      ...o.database({ state: 'connecting' }),
      ...o.database({ ...down, attempt: 2 }),
      ...o.subscription(1, { phase: 'retrying', error: refused, retryInMs: 1000 }),
      ...o.subscription(1, { phase: 'retrying', error: refused, retryInMs: 2000 }),
      ...o.database({ state: 'connected', database: undefined as any }),
      ...o.subscription(1, { phase: 'live' })
    ]
    assert.deepStrictEqual(lines, [
      { level: 'warn', text: `stream orders is waiting for the database: ${refused}` },
      { level: 'log', text: 'stream orders: the database is back' }
    ])
  })

  it('logs the outage again when a cause a person must clear comes, so a refused password reaches the log',
    () => {
      const o = new StreamObserver('orders', t, () => undefined)
      const killed = 'terminating connection due to administrator command'
      const password = 'password authentication failed for user "app"'
      const lines = [
        ...o.subscription(1, { phase: 'retrying', error: killed, retryInMs: 500 }),
        ...o.database({ ...down, attempt: 2 }),
        ...o.database({ ...down, error: password, attempt: 3, needsOperator: true }),
        ...o.database({ state: 'connecting' }),
        ...o.database({ ...down, error: killed, attempt: 4 }),
        ...o.database({ ...down, error: password, attempt: 5, needsOperator: true }),
        ...o.database({ state: 'connected', database: undefined as any }),
        ...o.subscription(1, { phase: 'live' })
      ]
      assert.deepStrictEqual(lines, [
        { level: 'warn', text: `stream orders is waiting for the database: ${killed}` },
        { level: 'warn', text: `stream orders is waiting for the database: ${password}` },
        { level: 'log', text: 'stream orders: the database is back' }
      ])
    })

  it("logs a refused login that only the stream's reads meet, after the database node connected", () => {
    // The database node connected long ago; an outage now is seen by the subscriptions alone.
    const o = new StreamObserver('orders', t, () => undefined)
    const killed = 'terminating connection due to administrator command'
    const password = 'password authentication failed for user "app"'
    const lines = [
      ...o.database({ state: 'connected', database: undefined as any }),
      ...o.subscription(1, { phase: 'live' }),
      ...o.subscription(1, { phase: 'retrying', error: killed, retryInMs: 20 }),
      ...o.subscription(1, { phase: 'retrying', error: password, retryInMs: 40, needsOperator: true }),
      ...o.subscription(1, { phase: 'retrying', error: killed, retryInMs: 80 }),
      ...o.subscription(1, { phase: 'retrying', error: password, retryInMs: 160, needsOperator: true }),
      ...o.subscription(1, { phase: 'live' })
    ]
    assert.deepStrictEqual(lines, [
      { level: 'warn', text: `stream orders is waiting for the database: ${killed}` },
      { level: 'warn', text: `stream orders is waiting for the database: ${password}` },
      { level: 'log', text: 'stream orders: the database is back' }
    ])
  })

  it('keeps showing the outage while the database node reconnects between two retries', () => {
    const o = new StreamObserver('orders', t, () => undefined)
    o.database(down)
    o.database({ state: 'connecting' })
    assert.deepStrictEqual(o.status(labels), {
      fill: 'red', shape: 'ring', text: 'waiting for database: connection refused'
    })
  })

  it('logs a problem that needs a person once per text, as an error, and not as an outage', () => {
    const o = new StreamObserver('orders', t, () => undefined)
    const error = 'table "a.b" does not exist'
    const missing = { phase: 'retrying' as const, error, retryInMs: 1000, needsAction: true }
    const lines = [...o.subscription(1, missing), ...o.subscription(1, missing), ...o.subscription(2, missing)]
    assert.deepStrictEqual(lines, [{ level: 'error', text: 'stream orders is retrying: table "a.b" does not exist' }])
    assert.strictEqual(o.status(labels).text, 'table "a.b" does not exist')
  })

  it('shows the worst subscription, and forgets a subscription once it closes', () => {
    const o = new StreamObserver('orders', t, () => undefined)
    o.subscription(1, { phase: 'live' })
    o.subscription(2, { phase: 'replaying', delivered: 5, remaining: 10 })
    assert.strictEqual(o.status(labels).text, 'replaying 5 / 15')
    o.subscription(2, { phase: 'closed' })
    assert.deepStrictEqual(o.status(labels), { fill: 'green', shape: 'dot', text: 'live' })
    o.subscription(1, { phase: 'closed' })
    assert.strictEqual(o.view().states.length, 0)
    assert.strictEqual(o.status(labels).text, 'idle')
  })

  it('shows a configuration error over everything, and why the streamer could not start', () => {
    const streamer: { failed?: string } = {}
    const o = new StreamObserver('orders', t, () => streamer.failed)
    o.subscription(1, { phase: 'live' })
    o.configError = 'no database configuration selected'
    assert.deepStrictEqual(o.status(labels), { fill: 'red', shape: 'ring', text: 'no database configuration selected' })
    const fresh = new StreamObserver('orders', t, () => streamer.failed)
    streamer.failed = 'column "seq" does not exist'
    assert.deepStrictEqual(fresh.status(labels), { fill: 'red', shape: 'ring', text: 'column "seq" does not exist' })
  })

  it('takes its status words from the catalog', () => {
    assert.deepStrictEqual(labels, { live: 'live', idle: 'idle', starting: 'starting', replaying: 'replaying' })
  })
})
