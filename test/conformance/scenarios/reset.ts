/** Sequence resets by Logon (ResetSeqNumFlag) at logon and mid-session; 13: Logout. */
import {
  connect,
  expect,
  expectDisconnect,
  logon,
  loggedOn,
  loggedOut,
  logonReply,
  msg,
  reply,
  Scenario,
  send
} from '../script'
import { alive } from './messages'

export const resetScenarios: Scenario[] = [
  {
    id: 'reset-at-logon',
    title: 'a Logon with 141=Y and MsgSeqNum 1 is answered with a Logon with 141=Y and MsgSeqNum 1',
    steps: c => [
      connect(),
      send(logon(c, 1, { extra: '141=Y|' })),
      expect(logonReply(c, 1, { extra: '141=Y|' })),
      ...alive(2, 2),
      ...loggedOut(3, 3)
    ]
  },
  {
    id: 'reset-mid-session',
    title: 'a Logon with 141=Y mid-session resets both sides and is answered with a Logon with 141=Y',
    steps: c => [
      ...loggedOn(c),
      send(msg('0', 2)), send(msg('0', 3)), send(msg('0', 4)),
      ...alive(5, 2),
      send(logon(c, 1, { extra: '141=Y|' })),
      expect(logonReply(c, 1, { extra: '141=Y|' })),
      ...alive(2, 2), ...loggedOut(3, 3)
    ]
  },
  {
    id: '13b',
    title: 'an unsolicited Logout is answered with a Logout, then the engine disconnects',
    steps: c => [...loggedOn(c), send(msg('5', 2)), expect(reply('5', 2)), expectDisconnect()]
  },
  {
    id: '13-reconnect',
    title: 'after a Logout the counterparty can log on again at once with the next MsgSeqNum',
    steps: c => {
      // Reset on logon: both sides start again at 1, as a ResetOnLogon counterparty does.
      const [seq, replySeq] = c.profile === 'reset-on-logon' ? [1, 1] : [3, 3]
      return [
        ...loggedOn(c), ...loggedOut(2, 2),
        connect(), send(logon(c, seq)), expect(logonReply(c, replySeq)),
        ...alive(seq + 1, replySeq + 1), ...loggedOut(seq + 2, replySeq + 2)
      ]
    }
  }
]
