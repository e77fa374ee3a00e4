import * as assert from 'assert'
import { sqlDatabaseStatus, sqlFailedStatus, sqlWaitingStatus } from '../../nodes/streamer-sql/status-text'
import { needsOperator } from '../../core/db'
import { connectionStatus } from '../../nodes/streamer-database/status-text'
import { ENGINE_MAJOR, EmbeddedVersionError } from '../../core/db/embedded-version'

const labels = {
  ready: 'ready',
  connecting: 'connecting',
  ran: (n: number) => (n === 1 ? '1 statement' : `${n} statements`),
  failed: (reason: string) => `SQL failed: ${reason}`
}
const refused = 'connection refused: is the server running and listening on that host and port? ' +
  '(connect ECONNREFUSED 127.0.0.1:5432)'

describe('streamer-sql and streamer-database status texts', () => {
  it('streamer-sql: ready or its count, "waiting for database: <reason>" while away, short failures', () => {
    assert.strictEqual(sqlDatabaseStatus({ state: 'connected' }, 0, false, labels)?.text, 'ready')
    assert.strictEqual(sqlDatabaseStatus({ state: 'connected' }, 2, false, labels)?.text, '2 statements')
    assert.strictEqual(sqlDatabaseStatus({ state: 'connected' }, 2, true, labels), undefined)
    assert.deepStrictEqual(sqlDatabaseStatus({ state: 'retrying', error: refused }, 0, false, labels), {
      fill: 'red',
      shape: 'ring',
      text: 'waiting for database: connection refused'
    })
    assert.strictEqual(sqlWaitingStatus(refused).text, 'waiting for database: connection refused')
    assert.strictEqual(
      sqlFailedStatus('table or view does not exist (relation "no_such_table" does not exist)', labels).text,
      'SQL failed: table or view does not exist'
    )
  })
  it('streamer-sql: a message waiting on a cause only a person can remove shows red, an outage yellow', () => {
    assert.strictEqual(sqlWaitingStatus(refused, needsOperator({ code: 'ECONNREFUSED' })).fill, 'yellow')
    assert.strictEqual(sqlWaitingStatus('the server is shutting down', needsOperator({ code: '57P01' })).fill,
      'yellow')
    for (const code of ['28P01', '28000', '53100', '42501']) {
      assert.strictEqual(sqlWaitingStatus('x', needsOperator({ code })).fill, 'red', code)
    }
    assert.strictEqual(needsOperator({ errors: [{ code: 'ECONNREFUSED' }, { code: '28P01' }] }), true)
    assert.strictEqual(needsOperator(undefined), false)
  })
  it('streamer-database: a user with no status of its own shows the same words', () => {
    const l = { connecting: 'connecting', connected: 'connected', closed: 'closed' }
    assert.strictEqual(connectionStatus({ state: 'retrying', error: refused }, l).text,
      'waiting for database: connection refused')
    assert.strictEqual(connectionStatus({ state: 'connected' }, l).fill, 'green')
  })
  it('an embedded folder of an older PostgreSQL major: red, "needs upgrading", the command in the log line only;' +
    ' of a newer one: red, "pack too old"', () => {
    const l = { connecting: 'connecting', connected: 'connected', closed: 'closed' }
    const err = new EmbeddedVersionError('/home/nr/.node-red/fix-streamers-db', 18)
    assert.deepStrictEqual(connectionStatus({ state: 'retrying', error: err.message }, l), {
      fill: 'red',
      shape: 'ring',
      text: 'waiting for database: PostgreSQL 18 folder needs upgrading'
    })
    assert.strictEqual(sqlWaitingStatus(err.message, needsOperator(err)).fill, 'red')
    assert.ok(err.message.includes('npx fix-streamers-upgrade-embedded /home/nr/.node-red/fix-streamers-db'))
    assert.ok(err.message.includes(`embeds PostgreSQL ${ENGINE_MAJOR}`))
    const interrupted = new EmbeddedVersionError('/d', undefined, true)
    assert.strictEqual(connectionStatus({ state: 'retrying', error: interrupted.message }, l).text,
      'waiting for database: upgrade of the folder interrupted')
    const newer = new EmbeddedVersionError('/d', ENGINE_MAJOR + 1)
    assert.deepStrictEqual(connectionStatus({ state: 'retrying', error: newer.message }, l), {
      fill: 'red',
      shape: 'ring',
      text: `waiting for database: PostgreSQL ${ENGINE_MAJOR + 1} folder: pack too old`
    })
    assert.ok(!newer.message.includes('upgrade-embedded'), 'a newer folder is not for the upgrade command')
  })
})
