import * as assert from 'assert'
import { Throttle } from '../../nodes/shared/throttle'

describe('a throttled status', () => {
  let clock = 1000
  const now = (): number => clock

  it('shows the first poke at once and at most one more per period, however many pokes come', async () => {
    let shown = 0
    const th = new Throttle(30, () => shown++, now)
    th.poke()
    assert.strictEqual(shown, 1)
    for (let i = 0; i < 100; i++) th.poke()
    assert.strictEqual(shown, 1)
    assert.ok(th.pending)
    await new Promise(resolve => setTimeout(resolve, 60))
    assert.strictEqual(shown, 2)
    assert.ok(!th.pending)
    clock += 30
    th.poke()
    assert.strictEqual(shown, 3, 'a period after the last one: at once')
  })

  it('drops the scheduled run when cancelled, and runs at once when asked unless one is scheduled', async () => {
    let shown = 0
    const th = new Throttle(30, () => shown++, now)
    th.poke()
    th.poke()
    th.cancel()
    await new Promise(resolve => setTimeout(resolve, 60))
    assert.strictEqual(shown, 1)
    th.soon()
    assert.strictEqual(shown, 2)
    th.poke()
    th.soon()
    assert.strictEqual(shown, 2, 'scheduled already: soon waits for it')
    th.cancel()
  })
})
