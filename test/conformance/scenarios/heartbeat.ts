/** 4a, 4b, 6: heartbeats, TestRequest answers, and the TestRequest the engine sends when the line is silent. */
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

export const heartbeatScenarios: Scenario[] = [
  {
    id: '4a',
    title: 'with nothing to send, the engine sends a Heartbeat every HeartBtInt',
    steps: c => [
      connect(), send(logon(c, 1, { hb: 1 })), expect(logonReply(c, 1, { hb: 1 })),
      expect(reply('0', 2), { within: 2500 }),
      send(msg('0', 2)),
      expect(reply('0', 3), { within: 2500 }),
      send(msg('0', 3)),
      ...loggedOut(4, 4)
    ]
  },
  {
    id: '4b',
    title: 'a TestRequest is answered with a Heartbeat carrying its TestReqID',
    steps: c => [
      ...loggedOn(c),
      send(msg('1', 2, '112=HELLO|')),
      expect(reply('0', 2, '112=HELLO|')),
      ...loggedOut(3, 3)
    ]
  },
  {
    id: '6',
    title: 'a silent counterparty gets a TestRequest; answered, the session goes on; unanswered, it ends',
    steps: c => [
      connect(), send(logon(c, 1, { hb: 1 })), expect(logonReply(c, 1, { hb: 1 })),
      expect(reply('0', 2), { within: 2500 }),
      send(msg('0', 2)),
      expect(reply('0', 3), { within: 2500 }),
      expect(reply('1', 4, '112={=testReqID}|'), { within: 2500 }),
      send(msg('0', 3, '112={testReqID}|')),
      expect(reply('0', 5), { within: 2500 }),
      expect(reply('1', 6, '112={any}|'), { within: 2500 }),
      // Unanswered: the engine gives up (a Logout is allowed first, a Heartbeat may race it).
      expectDisconnect({ within: 6000, allow: ['0', '5'] })
    ]
  }
]
