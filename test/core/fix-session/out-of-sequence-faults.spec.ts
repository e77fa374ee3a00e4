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
  interface Fault { name: string, reason: string, tag: string, msgType: string, text: (p: RawPeer) => string }
  const badQty = (p: RawPeer, seq: number): string => head(p, 'D', seq) + order().replace(/\|38=[^|]*\|/, '|38=abc|')
  /** A TestRequest at 2 (too low) with one more field. */
  const test = (p: RawPeer, extra: string): string => `${head(p, '1', 2)}112=L|${extra}|`
  const low: Fault[] = [
    { name: 'a tag no dictionary defines', reason: '0', tag: '4999', msgType: '1', text: p => test(p, '4999=x') },
    { name: 'a tag not defined for its type', reason: '2', tag: '11', msgType: '1', text: p => test(p, '11=x') },
    { name: 'a tag without a value', reason: '4', tag: '58', msgType: '1', text: p => test(p, '58=') },
    { name: 'a value of the wrong format', reason: '6', tag: '38', msgType: 'D', text: p => badQty(p, 2) },
    {
      name: 'an enum value out of range',
      reason: '5',
      tag: '54',
      msgType: 'D',
      text: p => head(p, 'D', 2) + order().replace(/\|54=1\|/, '|54=Q|')
    }
  ]
  for (const c of low) {
    it(`answers a too-low message with ${c.name} with a Reject 373=${c.reason} 371=${c.tag}, no Logout, ` +
      'and still expects the same next number', async function () {
      this.timeout(20000)
      const { acc, peer } = await session()
      peer.sendRaw(frameText(c.text(peer)))
      const rej = await peer.waitFor('3', () => true, 5000)
      assert.deepStrictEqual(
        [rej.get(45), rej.get(373), rej.get(371), rej.get(372)],
        ['2', c.reason, c.tag, c.msgType]
      )
      // A TestRequest at 4 is answered: the Reject used no number and the session did not log out.
      peer.send('1', `112=after-low${SOH}`)
      await peer.waitFor('0', m => m.get(112) === 'after-low', 5000)
      assert.deepStrictEqual([peer.ofType('5').length, peer.ofType('2').length], [0, 0], 'no Logout, no ResendRequest')
      assert.strictEqual(acc.runtime.session.phase, 'logged-on')
      assert.deepStrictEqual(acc.messages.map(m => m.seq), [2, 3], 'the low one did not reach the application')
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

  const high: Fault[] = [
    { name: 'a value of the wrong format', reason: '6', tag: '38', msgType: 'D', text: p => badQty(p, 6) },
    { name: 'no SendingTime', reason: '1', tag: '52', msgType: '1', text: p => `35=1|49=${p.me}|56=${p.them}|34=6|` }
  ]
  for (const c of high) {
    it(`answers a too-high message with ${c.name} with a Reject 373=${c.reason} 371=${c.tag} at once: not held, ` +
      'no ResendRequest, and its number stays free', async function () {
      this.timeout(20000)
      const { acc, peer } = await session()
      peer.sendRaw(frameText(c.text(peer)))
      const rej = await peer.waitFor('3', () => true, 5000)
      assert.deepStrictEqual(
        [rej.get(45), rej.get(373), rej.get(371), rej.get(372)],
        ['6', c.reason, c.tag, c.msgType]
      )
      // 4 and 5 are taken in order; 6 is still the next number after them (the rejected one used nothing).
      peer.sendBody('D', nos('OF4'), { seq: 4 })
      peer.sendBody('D', nos('OF5'), { seq: 5 })
      peer.send('1', `112=after-high${SOH}`, { seq: 6 })
      await peer.waitFor('0', m => m.get(112) === 'after-high', 5000)
      assert.deepStrictEqual([peer.ofType('5').length, peer.ofType('2').length], [0, 0], 'no Logout, no ResendRequest')
      assert.deepStrictEqual(acc.messages.map(m => m.seq), [2, 3, 4, 5])
      assert.strictEqual(peer.ofType('3').length, 1, 'one Reject only')
    })
  }
})
