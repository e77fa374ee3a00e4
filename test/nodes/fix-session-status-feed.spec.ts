import * as assert from 'assert'
import { StatusFeed } from '../../nodes/fix-session/status-feed'
import type { FixSessionStatus } from '../../nodes/fix-session/types'
import { sleep } from '../support/wait'

describe('fix-session status feed', () => {
  const feeds: StatusFeed[] = []
  afterEach(() => { for (const f of feeds.splice(0)) f.close() })
  function feed (everyMs: number): { feed: StatusFeed, told: FixSessionStatus[] } {
    const told: FixSessionStatus[] = []
    const f = new StatusFeed(s => told.push(s), everyMs)
    feeds.push(f)
    return { feed: f, told }
  }

  it('starts as starting with no sequence numbers', () => {
    assert.deepStrictEqual(feed(50).feed.current, { phase: 'starting', nextSenderSeq: 0, nextTargetSeq: 0 })
  })

  it('tells a change of phase or text at once, keeping the fields not given', () => {
    const { feed: f, told } = feed(10000)
    f.set({ phase: 'logged-on', nextSenderSeq: 2, nextTargetSeq: 3 })
    f.set({ text: 'connection refused; retry in 1 s' })
    assert.deepStrictEqual(told, [
      { phase: 'logged-on', nextSenderSeq: 2, nextTargetSeq: 3 },
      { phase: 'logged-on', nextSenderSeq: 2, nextTargetSeq: 3, text: 'connection refused; retry in 1 s' }
    ])
  })

  it('tells numbers alone once per interval, the latest ones, and current has them at once', async () => {
    const { feed: f, told } = feed(60)
    f.set({ phase: 'logged-on', nextSenderSeq: 1, nextTargetSeq: 1 })
    for (let n = 2; n <= 50; n++) f.set({ nextSenderSeq: n })
    assert.strictEqual(told.length, 1, 'numbers alone wait')
    assert.strictEqual(f.current.nextSenderSeq, 50)
    await sleep(150)
    assert.deepStrictEqual(told.map(s => s.nextSenderSeq), [1, 50])
  })

  it('tells a change of phase at once even while numbers wait, and does not tell them twice', async () => {
    const { feed: f, told } = feed(60)
    f.set({ phase: 'logged-on' })
    f.set({ nextSenderSeq: 7 })
    f.set({ phase: 'disconnected' })
    assert.deepStrictEqual(told.map(s => [s.phase, s.nextSenderSeq]), [['logged-on', 0], ['disconnected', 7]])
    await sleep(150)
    assert.strictEqual(told.length, 2)
  })

  it('once closed, drops numbers waiting and starts no timer, but still tells a change of phase', async () => {
    const { feed: f, told } = feed(30)
    f.set({ phase: 'logged-on' })
    f.set({ nextSenderSeq: 9 })
    f.close()
    f.set({ nextSenderSeq: 10 })
    await sleep(100)
    assert.strictEqual(told.length, 1, 'no numbers told after close')
    f.set({ phase: 'disconnected' })
    assert.deepStrictEqual(told.at(-1), { phase: 'disconnected', nextSenderSeq: 10, nextTargetSeq: 0 })
  })
})
