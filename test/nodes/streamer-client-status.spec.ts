import * as assert from 'assert'
import { clientOutage, clientStatus } from '../../nodes/streamer-client/status-text'

const labels = {
  connecting: 'connecting to the database',
  detached: 'waiting for the streamer',
  stopped: 'stopped',
  failed: 'failed'
}
const stats = { rate: 120.4, inFlight: 3, failed: 0, health: { health: 'OK' } }

describe('streamer-client status texts', () => {
  it('shows the phase and figures while all is well, red or yellow as its health says', () => {
    assert.deepStrictEqual(clientStatus({ phase: 'live', stats, lag: 0, lagLimit: 100000 }, labels), {
      fill: 'green',
      shape: 'dot',
      text: 'live · lag 0 · 120/s · 3 in flight'
    })
    const far = clientStatus({ phase: 'replaying', stats, lag: 250000, lagLimit: 100000 }, labels)
    assert.strictEqual(far?.text, 'replaying · lag 100,000+ · 120/s · 3 in flight')
    const warning = { ...stats, health: { health: 'WARNING' } }
    const late = clientStatus({ phase: 'live', stats: warning, lagLimit: 1 }, labels)
    assert.strictEqual(late?.fill, 'yellow')
  })
  it('says "waiting for database: <reason>" while the database is away, whether the node or the read says so', () => {
    const refused = 'connection refused: is the server running and listening on that host and port?'
    assert.deepStrictEqual(clientStatus({ db: { state: 'retrying', error: refused }, lagLimit: 1 }, labels), {
      fill: 'red',
      shape: 'ring',
      text: 'waiting for database: connection refused'
    })
    const read = { phase: 'retrying' as const, error: 'Connection terminated unexpectedly', stats, lagLimit: 1 }
    assert.strictEqual(clientStatus(read, labels)?.text, 'waiting for database: connection lost')
    assert.strictEqual(clientOutage(read), 'Connection terminated unexpectedly')
    // The database node tries again through 'connecting': that neither ends the outage nor hides it.
    const between = { db: { state: 'connecting' }, outage: refused, lagLimit: 1 }
    assert.strictEqual(clientOutage(between), refused)
    assert.strictEqual(clientStatus(between, labels)?.text, 'waiting for database: connection refused')
    assert.strictEqual(clientOutage({ db: { state: 'connecting' } }), undefined)
  })
  it('names other causes as they are: a missing table, a failed delivery, a stop before a position', () => {
    const missing = { phase: 'retrying' as const, error: 'table "app.x" does not exist', needsAction: true }
    assert.strictEqual(clientOutage(missing), undefined)
    assert.strictEqual(clientStatus({ ...missing, stats, lagLimit: 1 }, labels)?.text, 'table "app.x" does not exist')
    const refused = { phase: 'retrying' as const, error: 'delivery failed: connect ECONNRESET', stats, lagLimit: 1 }
    assert.strictEqual(clientOutage(refused), undefined)
    assert.strictEqual(clientStatus(refused, labels)?.text, 'delivery failed: connection reset')
    const stopped = clientStatus({ phase: 'stopped', error: 'row [7] failed 5 times', stats, lagLimit: 1 }, labels)
    assert.deepStrictEqual([stopped?.fill, stopped?.text], ['red', 'stopped: row [7] failed 5 times'])
  })
})
