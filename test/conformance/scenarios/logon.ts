/** 1a-1e: establishing the session (the script is the initiator). */
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
  send,
  sendRaw
} from '../script'

export const logonScenarios: Scenario[] = [
  {
    id: '1a',
    title: 'a valid Logon with the expected MsgSeqNum is answered with a Logon, and a Logout with a Logout',
    steps: c => [...loggedOn(c), ...loggedOut(2, 2)]
  },
  {
    id: '1a-high',
    title: 'a valid Logon with a MsgSeqNum too high is answered with a Logon, then a ResendRequest for the gap',
    steps: c => [
      connect(),
      send(logon(c, 5)),
      expect(logonReply(c, 1)),
      expect(reply('2', 2, '7=1|16=0|')),
      // The gap filled: the Logon (5) counts once the gap before it is closed.
      send(msg('4', 1, '43=Y|122={now}|123=Y|36=5|')),
      send(msg('1', 6, '112=AFTER-GAP|')),
      expect(reply('0', 3, '112=AFTER-GAP|')),
      ...loggedOut(7, 4)
    ]
  },
  {
    id: '1a-low',
    title: 'a Logon with a MsgSeqNum lower than expected is answered with a Logout, then a disconnect',
    // Reset on logon would make any Logon number acceptable: this is the never-reset behaviour.
    profiles: ['fresh'],
    steps: c => [
      ...loggedOn(c),
      ...loggedOut(2, 2),
      connect(),
      send(logon(c, 2)),
      expect(reply('5', 3)),
      expectDisconnect()
    ]
  },
  {
    id: '1b',
    title: 'a second Logon for a session already logged on is refused on its own connection; ' +
      'the first is not disturbed',
    steps: c => [
      ...loggedOn(c),
      connect(2),
      send(logon(c, 1), 2),
      expectDisconnect({ conn: 2 }),
      send(msg('1', 2, '112=STILL-UP|')),
      expect(reply('0', 2, '112=STILL-UP|')),
      ...loggedOut(3, 3)
    ]
  },
  {
    id: '1c-sender',
    title: 'a Logon from an unknown SenderCompID is disconnected without an answer',
    steps: c => [
      connect(),
      send(`35=A|34=1|49=NOBODY|52={now}|56={G}|98=0|108=30|${c.v.logonExtra}`),
      expectDisconnect()
    ]
  },
  {
    id: '1c-target',
    title: 'a Logon to an unknown TargetCompID is disconnected without an answer',
    steps: c => [
      connect(),
      send(`35=A|34=1|49={C}|52={now}|56=NOBODY|98=0|108=30|${c.v.logonExtra}`),
      expectDisconnect()
    ]
  },
  {
    id: '1c-next',
    title: 'a refused Logon uses up no sequence number: the right Logon after it gets MsgSeqNum 1',
    steps: c => [
      connect(), send(`35=A|34=1|49=NOBODY|52={now}|56={G}|98=0|108=30|${c.v.logonExtra}`), expectDisconnect(),
      ...loggedOn(c), ...loggedOut(2, 2)
    ]
  },
  {
    id: '1d-time',
    title: 'a Logon with a SendingTime far from now is disconnected',
    steps: c => [
      connect(),
      send(msg('A', 1, `98=0|108=30|${c.v.logonExtra}`).replace('{now}', '20010101-00:00:00')),
      expectDisconnect({ allow: ['5'] })
    ]
  },
  {
    id: '1d-length',
    title: 'a Logon with a wrong BodyLength is ignored (garbled), and the connection closed when no Logon follows',
    steps: c => [connect(), sendRaw(`8={BS}|9=40|${logon(c, 1)}10={sum}|`), expectDisconnect({ within: 12000 })]
  },
  {
    id: '1d-begin',
    title: 'a Logon with a BeginString other than the session\'s is disconnected',
    steps: c => [connect(), sendRaw(`8=FIX.3.9|9={len}|${logon(c, 1)}10={sum}|`), expectDisconnect()]
  },
  {
    id: '1d-applver',
    title: 'a FIXT Logon without DefaultApplVerID (1137) is disconnected',
    notApplicable: {
      'FIX.4.2': 'DefaultApplVerID exists only in FIXT.1.1',
      'FIX.4.4': 'DefaultApplVerID exists only ' +
      'in FIXT.1.1'
    },
    steps: () => [connect(), send(msg('A', 1, '98=0|108=30|')), expectDisconnect({ allow: ['5'] })]
  },
  {
    id: '1e',
    title: 'a first message that is not a Logon is disconnected',
    steps: () => [connect(), send(msg('0', 1)), expectDisconnect()]
  }
]
