import * as assert from 'assert'
import { SOH } from '../../../core/fix-session'
import { databaseTargets } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { frameText, loggedOnPeer, nos, now, RawPeer, Recorded } from './support'

/**
 * QuickFIX C++ and QuickFIX/J validate a message against the dictionary (and its required header) in
 * Session::next before verify() compares its MsgSeqNum with the expected one: a message above or below
 * the expected number that fails one of those checks is answered with a Reject and uses no number.
 * No Logout for a low one; a high one is not held and asks for no resend.
 */
describe('FIX session: a fault in a message out of sequence is rejected before its number is looked at', () => {
  const f = fixFixture(databaseTargets()[0], 'fixoosfault')

  /** An acceptor and a raw peer logged on to it that has sent two orders: the session expects 4. */
  async function session (): Promise<{ acc: Recorded, peer: RawPeer }> {
    const { acc, peer } = await loggedOnPeer(f)
    peer.sendBody('D', nos('OF2'))
    peer.sendBody('D', nos('OF3'))
    return { acc, peer }
  }

  const order = (): string => f.codec.encodeBody('D', nos('OUT')).replace(/\x01/g, '|')
  const head = (p: RawPeer, msgType: string, seq: number): string =>
    `35=${msgType}|49=${p.me}|56=${p.them}|34=${seq}|52=${now()}|`
  /** A TestRequest at `seq` with one more field. */
  const test = (p: RawPeer, extra: string, seq = 2): string => `${head(p, '1', seq)}112=L|${extra}`
  /** The text without its field `tag`. */
  const without = (text: string, tag: number): string => text.replace(new RegExp(`(^|\\|)${tag}=[^|]*\\|`), '$1')
  const badQty = (p: RawPeer, seq: number): string => head(p, 'D', seq) + order().replace(/\|38=[^|]*\|/, '|38=abc|')
  const badSide = (p: RawPeer): string => head(p, 'D', 2) + order().replace(/\|54=1\|/, '|54=Q|')
  const possDup = (p: RawPeer): string => `${head(p, 'D', 2)}43=Y|122=${now()}|${order()}`
  /** MsgSeqNum, what is wrong, the Reject's 373, 371 and 372, the message. */
  type Fault = [number, string, string, (p: RawPeer) => string]
  // A missing CompID on an application message: QuickFIX/C++ answers a BusinessMessageReject 380=5 (its
  // FieldNotFound path; QuickFIX/J and the pack a Reject 373=1), an admin one a Reject 373=1 in all three.
  const faults: Fault[] = [
    [2, 'a tag no dictionary defines', '0 4999 1', p => test(p, '4999=x|')],
    [2, 'a tag not defined for its type', '2 11 1', p => test(p, '11=x|')],
    [2, 'a tag without a value', '4 58 1', p => test(p, '58=|')],
    [2, 'a value of the wrong format', '6 38 D', p => badQty(p, 2)],
    [2, 'an enum value out of range', '5 54 D', badSide],
    [2, 'no SenderCompID', '1 49 1', p => without(test(p, ''), 49)],
    [2, 'no TargetCompID', '1 56 1', p => without(test(p, ''), 56)],
    [2, 'no SendingTime', '1 52 D', p => without(head(p, 'D', 2) + order(), 52)],
    [2, 'no SendingTime, with PossDupFlag', '1 52 D', p => without(possDup(p), 52)],
    [6, 'a value of the wrong format', '6 38 D', p => badQty(p, 6)],
    [6, 'no SendingTime', '1 52 1', p => without(test(p, '', 6), 52)]
  ]
  for (const [seq, name, answer, text] of faults) {
    const [reason, tag, msgType] = answer.split(' ')
    it(`answers a ${seq < 4 ? 'too-low' : 'too-high'} message with ${name} with a Reject 373=${reason} 371=${tag} ` +
      `45=${seq} at once: ` +
      'no Logout, not held, no ResendRequest, and its number stays free', async function () {
      this.timeout(20000)
      const { acc, peer } = await session()
      peer.sendRaw(frameText(text(peer)))
      const rej = await peer.waitFor('3', () => true, 5000)
      const got = [rej.get(45), rej.get(373), rej.get(371), rej.get(372)]
      assert.deepStrictEqual(got, [String(seq), reason, tag, msgType])
      // The numbers from 4 are taken in order, and a TestRequest at the rejected one's number (or at 4) is answered.
      const next = Math.max(4, seq)
      for (let n = 4; n < next; n++) peer.sendBody('D', nos(`OF${n}`), { seq: n })
      peer.send('1', `112=after${SOH}`, { seq: next })
      await peer.waitFor('0', m => m.get(112) === 'after', 5000)
      assert.deepStrictEqual([peer.ofType('5').length, peer.ofType('2').length], [0, 0], 'no Logout, no ResendRequest')
      assert.ok(!peer.ofType('0').some(m => m.get(112) === 'L'), 'the rejected TestRequest was not answered')
      assert.strictEqual(acc.runtime.session.phase, 'logged-on')
      const taken = [2, 3, 4, 5].slice(0, next - 2)
      assert.deepStrictEqual(acc.messages.map(m => m.seq), taken, 'it did not reach the application')
      assert.strictEqual(peer.ofType('3').length, 1, 'one Reject only')
    })
  }

  it('answers a too-low message whose SendingTime is out of range with a Reject 373=10, then a Logout',
    async function () {
      this.timeout(20000)
      const { peer } = await session()
      peer.send('1', `112=LOW${SOH}`, { seq: 2, sendingTime: new Date(Date.now() - 10 * 60 * 1000) })
      const rej = await peer.waitFor('3', () => true, 5000)
      assert.deepStrictEqual([rej.get(45), rej.get(373)], ['2', '10'])
      const logout = await peer.waitFor('5', () => true, 5000)
      assert.ok(peer.received.indexOf(rej) < peer.received.indexOf(logout), 'the Reject comes before the Logout')
    })
})
