import * as assert from 'assert'
import { plainErrors, problem, shortReason, waitingForDatabase } from '../../nodes/shared/status-text'
import { sessionText } from '../../nodes/fix-session/status-text'

describe('the one status format of the pack', () => {
  it('says a reason in a few words: socket codes in plain words, long messages up to their detail', () => {
    assert.strictEqual(shortReason('connect ECONNREFUSED 127.0.0.1:5432'), 'connection refused')
    assert.strictEqual(
      shortReason('connection refused: is the server running and listening on that host and port?'),
      'connection refused'
    )
    assert.strictEqual(
      shortReason('the server is shutting down (terminating connection due to administrator command)'),
      'the server is shutting down'
    )
    assert.strictEqual(shortReason('Connection terminated unexpectedly'), 'connection lost')
    assert.strictEqual(
      plainErrors('listener error: listen EADDRINUSE: address already in use 127.0.0.1:9876'),
      'listener error: port in use'
    )
  })
  it('writes every fault as "<what>: <reason>", a database outage as "waiting for database: <reason>"', () => {
    assert.strictEqual(
      waitingForDatabase('password authentication failed (password authentication failed for user "u")'),
      'waiting for database: password authentication failed'
    )
    assert.strictEqual(problem('delivery failed', 'connect ECONNRESET'), 'delivery failed: connection reset')
  })
  it('keeps a session store\'s outage text short, and a reconnect with the reason of the failed connect', () => {
    assert.strictEqual(
      sessionText(undefined, 'waiting for database: connection refused: is the server running and listening ' +
        'on that host and port? (connect ECONNREFUSED 127.0.0.1:5432)'),
      'waiting for database: connection refused'
    )
    assert.strictEqual(
      sessionText('connect failed: connect ECONNREFUSED 127.0.0.1:9876', 'reconnecting in 9 s'),
      'connection refused; retry in 9 s'
    )
  })
})
