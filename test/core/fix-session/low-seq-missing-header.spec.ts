import * as assert from 'assert'
import { SOH } from '../../../core/fix-session'
import { databaseTargets } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { frameText, loggedOnPeer, nos, now, RawPeer, Recorded } from './support'

/**
 * A message whose MsgSeqNum is too low and whose header also lacks a required field: QuickFIX C++
 * checks the header (Session::next, before verify() looks at the number) and answers a Reject
 * 373=1; the number is not looked at, so there is no Logout and the session carries on.
 */
describe('FIX session: a too-low MsgSeqNum with a required header field missing', () => {
  const f = fixFixture(databaseTargets()[0], 'fixlowhdr')

  /** An acceptor and a raw peer logged on to it that has sent two orders: the session expects 4. */
  async function session (): Promise<{ acc: Recorded, peer: RawPeer }> {
    const { acc, peer } = await loggedOnPeer(f)
    peer.sendBody('D', nos('LH2'))
    peer.sendBody('D', nos('LH3'))
    return { acc, peer }
  }

  // For a missing CompID QuickFIX answers an application message with a BusinessMessageReject (its
  // FieldNotFound path), an admin one with a Reject 373=1: a TestRequest keeps these cases QuickFIX's.
  const order = (): string => f.codec.encodeBody('D', nos('LOW')).replace(/\x01/g, '|')
  const cases: Array<{ name: string, tag: string, msgType: string, text: (p: RawPeer) => string }> = [
    { name: 'SenderCompID (49)', tag: '49', msgType: '1', text: p => `35=1|56=${p.them}|34=2|52=${now()}|112=LOW|` },
    { name: 'TargetCompID (56)', tag: '56', msgType: '1', text: p => `35=1|49=${p.me}|34=2|52=${now()}|112=LOW|` },
    { name: 'SendingTime (52)', tag: '52', msgType: 'D', text: p => `35=D|49=${p.me}|56=${p.them}|34=2|${order()}` },
    {
      name: 'SendingTime (52), with PossDupFlag',
      tag: '52',
      msgType: 'D',
      text: p => `35=D|49=${p.me}|56=${p.them}|34=2|43=Y|122=${now()}|${order()}`
    }
  ]
  for (const c of cases) {
    it(`answers one without ${c.name} with a Reject 373=1 371=${c.tag} 45=its number, no Logout, ` +
      'and still expects the same next number', async function () {
      this.timeout(20000)
      const { acc, peer } = await session()
      peer.sendRaw(frameText(c.text(peer)))
      const rej = await peer.waitFor('3', () => true, 5000)
      assert.deepStrictEqual([rej.get(45), rej.get(373), rej.get(371), rej.get(372)], ['2', '1', c.tag, c.msgType])
      // A TestRequest at 4 is answered: the Reject used no number and the session did not log out.
      peer.send('1', `112=after-low${SOH}`)
      await peer.waitFor('0', m => m.get(112) === 'after-low', 5000)
      assert.deepStrictEqual([peer.ofType('5').length, peer.ofType('2').length], [0, 0], 'no Logout, no ResendRequest')
      assert.ok(!peer.ofType('0').some(m => m.get(112) === 'LOW'), 'the low TestRequest was not answered')
      assert.strictEqual(acc.runtime.session.phase, 'logged-on')
      assert.deepStrictEqual(acc.messages.map(m => m.seq), [2, 3], 'the low one did not reach the application')
    })
  }
})
