import * as assert from 'assert'
import { describeStart, readInput } from '../../nodes/streamer-client/control'

describe('streamer-client input and control', () => {
  const mine = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ stream: { clientId: 'c1', client: 'orders', position: ['7'] }, ...extra })

  it('takes a row of its own wired back as a confirmation, or as a failure when it carries msg.error', () => {
    assert.deepStrictEqual(readInput(mine(), 'c1'), { kind: 'confirm', position: ['7'] })
    assert.deepStrictEqual(readInput(mine({ error: { message: 'down' } }), 'c1'), { kind: 'failed', position: ['7'] })
    assert.deepStrictEqual(readInput(mine({ error: null }), 'c1'), { kind: 'confirm', position: ['7'] })
  })

  it('ignores rows straight from a streamer and its own rows without a position, and refuses another client\'s', () => {
    assert.deepStrictEqual(readInput({ stream: { name: 's', position: ['1'] } }, 'c1'), { kind: 'ignore' })
    assert.deepStrictEqual(readInput({ stream: { clientId: 'c1' } }, 'c1'), { kind: 'ignore' })
    assert.deepStrictEqual(readInput(mine(), 'c2'), { kind: 'foreign', client: 'orders' })
    assert.deepStrictEqual(readInput({ stream: { clientId: 'c9' } }, 'c1'), { kind: 'foreign', client: 'c9' })
  })

  it('reads the control commands by msg.topic, the rewind target from msg.payload', () => {
    assert.deepStrictEqual(readInput({ topic: 'redeliver' }, 'c1'), { kind: 'redeliver' })
    assert.deepStrictEqual(readInput({ topic: 'reset' }, 'c1'), { kind: 'rewind', target: 'reset' })
    assert.deepStrictEqual(readInput({ topic: 'rewind', payload: 'beginning' }, 'c1'),
      { kind: 'rewind', target: { kind: 'beginning' } })
    assert.deepStrictEqual(readInput({ topic: 'hello' }, 'c1'), { kind: 'unknown', topic: 'hello' })
    assert.deepStrictEqual(readInput({ payload: 1 }, 'c1'), { kind: 'unknown', topic: 'undefined' })
    assert.throws(() => readInput({ topic: 'rewind', payload: 'yesterday' }, 'c1'), /a rewind takes/)
  })

  it('describes a start for the log', () => {
    assert.strictEqual(describeStart({ kind: 'after', position: ['3', '7'] }), 'after [3, 7]')
    const at = '2024-01-02T03:04:05.000Z'
    assert.strictEqual(describeStart({ kind: 'timestamp', at }), `from ${at}`)
    assert.strictEqual(describeStart({ kind: 'live' }), 'live')
  })
})
