import * as assert from 'assert'
import { Outage, OUTAGE_TEXTS } from '../../../core/db'

describe('an outage, as the nodes log it', () => {
  it('begins with its first failure and says a new cause a person must clear once while it lasts', () => {
    const o = new Outage()
    const killed = 'terminating connection'
    const password = 'password authentication failed'
    const steps = [[killed, false], [killed, false], [password, true], [password, true], [killed, false]]
      .map(([r, person]) => o.begin(r as string, person as boolean))
    assert.deepStrictEqual(steps, [
      { first: true, say: true },
      { first: false, say: false },
      { first: false, say: true },
      { first: false, say: false },
      { first: false, say: false }
    ])
    assert.strictEqual(o.why, 'terminating connection')
  })

  it('says a restart once, however many texts it goes through while the server is away', () => {
    const o = new Outage()
    const texts = ['terminating connection due to administrator command', 'connect ECONNREFUSED 127.0.0.1:5432',
      'the database system is starting up', 'connect ECONNREFUSED 127.0.0.1:5432']
    assert.deepStrictEqual(texts.map(t => o.begin(t).say), [true, false, false, false])
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
    const said = Array.from({ length: OUTAGE_TEXTS * 3 }, (_, i) => o.begin(`password for role r${i} refused`, true))
      .filter(s => s.say).length
    assert.strictEqual(said, OUTAGE_TEXTS)
  })
})
