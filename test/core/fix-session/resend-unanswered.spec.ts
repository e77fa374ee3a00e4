import * as assert from 'assert'
import { databaseTargets } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { sleep } from '../../support/wait'
import { loggedOnPeer, nos } from './support'

/**
 * A ResendRequest whose answer never arrives (the peer's gap fill came garbled and was dropped
 * unread) must not hold the session for good: QuickFIX sends no redundant ResendRequest for a gap
 * inside the open one, so every later message, TestRequests included, would wait behind a gap
 * nobody fills. The session asks again once the open request went a heartbeat interval without
 * any answer, and still not sooner.
 */
describe('FIX session: a ResendRequest left unanswered for a heartbeat interval is sent again', () => {
  const f = fixFixture(databaseTargets()[0], 'fixresendagain')

  it('asks once for a gap while the request is fresh, and again after a heartbeat interval with no answer',
    async function () {
      this.timeout(20000)
      // HeartBtInt 1 s: the session expects 2 next.
      const { peer } = await loggedOnPeer(f, {}, { heartBtInt: 1 })
      peer.sendBody('D', nos('G5'), { seq: 5 })
      await peer.waitFor('2', m => m.get(7) === '2', 5000)
      peer.sendBody('D', nos('G6'), { seq: 6 })
      await sleep(300)
      assert.strictEqual(peer.ofType('2').length, 1, 'no second ResendRequest while the first is fresh')
      await sleep(1000)
      peer.sendBody('D', nos('G7'), { seq: 7 })
      await peer.waitFor('2', m => m.get(7) === '2' && peer.ofType('2').length === 2, 5000)
      assert.deepStrictEqual(peer.ofType('2').map(m => m.get(7)), ['2', '2'])
    })
})
