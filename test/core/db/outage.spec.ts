import * as assert from 'assert'
import { Outage, OUTAGE_TEXTS } from '../../../core/db'

describe('an outage, as the nodes log it', () => {
  it('begins with its first failure and says each new reason once while it lasts', () => {
    const o = new Outage()
    const steps = ['terminating connection', 'terminating connection', 'password authentication failed',
      'password authentication failed', 'terminating connection'].map(r => o.begin(r))
    assert.deepStrictEqual(steps, [
      { first: true, say: true },
      { first: false, say: false },
      { first: false, say: true },
      { first: false, say: false },
      { first: false, say: false }
    ])
    assert.strictEqual(o.why, 'terminating connection')
  })

  it('ends once, and the next outage says its reasons again', () => {
    const o = new Outage()
    o.begin('refused')
    assert.strictEqual(o.end(), true)
    assert.strictEqual(o.end(), false)
    assert.strictEqual(o.active, false)
    assert.deepStrictEqual(o.begin('refused'), { first: true, say: true })
  })

  it('says at most OUTAGE_TEXTS reasons in one outage, however many different texts its retries bring', () => {
    const o = new Outage()
    const said = Array.from({ length: OUTAGE_TEXTS * 3 }, (_, i) => o.begin(`timeout after ${i} ms`))
      .filter(s => s.say).length
    assert.strictEqual(said, OUTAGE_TEXTS)
  })
})
