import * as assert from 'assert'
import { quoteIdent } from '../../../core'
import { normalizeSettings, SOH } from '../../../core/fix-session'
import { describeEachDatabase, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { er, loggedOnPeer, nos, settings } from './support'

/** "Receive only": message types the application does not take get a BusinessMessageReject. */
describeEachDatabase('FIX session: BusinessMessageReject for message types not taken', target => {
  const f = fixFixture(target, 'fixbmr')

  it('answers an order on an execution-report-only session with 35=j (380=3), uses up its number, keeps it out of ' +
    'fix_in, and takes the next message', async function () {
    this.timeout(30000)
    const { acc, peer, rt } = await loggedOnPeer(f, { receiveMsgTypes: ['8', '9'] })

    const refused = peer.sendBody('D', nos('NOT-HERE'))
    const bmr = await peer.waitFor('j')
    assert.strictEqual(bmr.get(45), String(refused), 'RefSeqNum is the order\'s MsgSeqNum')
    assert.strictEqual(bmr.get(372), 'D')
    assert.strictEqual(bmr.get(380), '3')
    assert.match(bmr.get(58) ?? '', /Unsupported Message Type D/)
    assert.ok(acc.has('business-reject-sent', e => e.refSeqNum === refused && e.refMsgType === 'D'))

    // The next number is expected (no ResendRequest) and an ExecutionReport is taken.
    peer.sendBody('8', er('TAKEN', 1))
    await eventually(() => acc.messages.length === 1, 10000, 'the execution report')
    assert.strictEqual(acc.messages[0].msgType, '8')
    assert.strictEqual(peer.ofType('2').length, 0, 'no ResendRequest')
    assert.strictEqual(peer.ofType('3').length, 0, 'no session Reject')
    assert.strictEqual(peer.ofType('5').length, 0, 'no Logout')
    const rows = await f.db.query<{ msg_type: string }>(
      `SELECT msg_type FROM ${quoteIdent(f.schema)}.fix_in WHERE session_name = $1 ORDER BY receive_seq`,
      [rt.session.name]
    )
    assert.deepStrictEqual(rows.rows.map(r => r.msg_type), ['8'], 'only the taken message is in fix_in')
    const state = await f.db.query<{ next_target_seq: string }>(
      `SELECT next_target_seq FROM ${quoteIdent(f.schema)}.fix_session_state WHERE session_name = $1`,
      [rt.session.name]
    )
    assert.strictEqual(
      Number(state.rows[0].next_target_seq),
      refused + 2,
      'the refused order used up its number (committed)'
    )

    // 35=j is an application message: journaled, so a ResendRequest gets it again (PossDup), not a gap fill.
    const bmrSeq = Number(bmr.get(34))
    peer.send('2', `7=${bmrSeq}${SOH}16=${bmrSeq}${SOH}`)
    const again = await peer.waitFor('j', m => m.get(43) === 'Y')
    assert.strictEqual(Number(again.get(34)), bmrSeq, 'resent under its own MsgSeqNum')
    assert.strictEqual(again.get(45), String(refused))
    assert.strictEqual(again.get(380), '3')
    assert.ok(again.get(122) !== undefined, 'OrigSendingTime set')
    assert.ok(!peer.ofType('4').some(m => Number(m.get(34)) === bmrSeq), 'no gap fill over the reject')
  })

  it('takes every application message when no list is set, and checks the list it is given', () => {
    assert.throws(() => normalizeSettings(settings('acceptor', 'x', { receiveMsgTypes: ['0'] })), /session message/)
    assert.throws(() => normalizeSettings(settings('acceptor', 'x', { receiveMsgTypes: ['D;'] })), /not a MsgType/)
    assert.deepStrictEqual(
      normalizeSettings(settings('acceptor', 'x', { receiveMsgTypes: ['8', 'AE'] })).receiveMsgTypes,
      ['8', 'AE']
    )
  })
})
