import * as assert from 'assert'
import type { NodeStatus } from 'node-red'
import { StatusLatch } from '../../nodes/shared/status-latch'

describe('status latch', () => {
  it('shows a status once however often it is set, and again after another was shown', () => {
    const shown: NodeStatus[] = []
    const latch = new StatusLatch(s => shown.push(s))
    latch.set('ready', () => ({ text: 'ready' }))
    latch.set('ready', () => ({ text: 'ready again' }))
    latch.set('bad', () => ({ text: 'bad' }))
    latch.set('ready', () => ({ text: 'ready' }))
    assert.deepStrictEqual(shown.map(s => s.text), ['ready', 'bad', 'ready'])
    assert.strictEqual(latch.key, 'ready')
  })

  it('builds the status only when its key changes', () => {
    let built = 0
    const latch = new StatusLatch(() => {})
    for (let i = 0; i < 1000; i++) latch.set('live', () => { built++; return { text: 'live' } })
    assert.strictEqual(built, 1)
  })
})
