/**
 * 2d, 2m, 2t, 3b, 3c: garbled frames are ignored: no Reject, no Logout, the expected inbound
 * MsgSeqNum is not incremented, and the gap that follows is recovered by ResendRequest.
 */
import { echoed, expect, loggedOn, loggedOut, msg, reply, Scenario, send, sendRaw } from '../script'
import { alive } from './messages'

export const garbledScenarios: Scenario[] = [
  {
    id: '2d',
    title: 'a garbled message (a field without "=") is ignored; the same MsgSeqNum sent correctly is accepted',
    steps: c => [
      ...loggedOn(c),
      sendRaw('8={BS}|9={len}|35=0|34=2|49{C}|52={now}|56={G}|10={badsum}|'),
      send(msg('0', 2)),
      ...alive(3, 2), ...loggedOut(4, 3)
    ]
  },
  {
    id: '2m-short',
    title: 'a BodyLength too short is garbled: ignored, and the gap recovered by ResendRequest',
    steps: c => [
      ...loggedOn(c),
      sendRaw(`8={BS}|9=30|${msg('D', 2, c.v.order('M2'))}10={sum}|`),
      send(msg('D', 3, c.v.order('M3'))),
      expect(reply('2', 2, '7=2|16=0|')),
      send(msg('D', 2, `43=Y|122={now-1s}|${c.v.order('M2')}`)),
      expect(reply('D', 3, echoed(c.v.order('M2')))),
      expect(reply('D', 4, echoed(c.v.order('M3')))),
      ...alive(4, 5), ...loggedOut(5, 6)
    ]
  },
  {
    id: '2m-long',
    title: 'a BodyLength too long (it takes in the next message) is garbled: both are ignored, with no Reject',
    steps: c => [
      ...loggedOn(c),
      // Message 2 declares a length that ends at the trailer of message 3, which comes with it.
      sendRaw(`8={BS}|9={len}|${msg('D', 2, c.v.order('L2'))}8={BS}|9=25|${msg('1', 3, '112=SWALLOWED|')}10={badsum}|`),
      send(msg('D', 2, c.v.order('L2'))),
      expect(reply('D', 2, echoed(c.v.order('L2')))),
      ...alive(3, 3), ...loggedOut(4, 4)
    ]
  },
  {
    id: '2t-35-first',
    title: 'a message whose first field is not BeginString is garbled and ignored',
    steps: c => [
      ...loggedOn(c),
      sendRaw('35=0|8={BS}|9=30|34=2|49={C}|52={now}|56={G}|10={sum}|'),
      ...alive(2, 2), ...loggedOut(3, 3)
    ]
  },
  {
    id: '2t-34-second',
    title: 'a message whose third field is not MsgType is garbled and ignored',
    steps: c => [
      ...loggedOn(c),
      sendRaw('8={BS}|9={len}|34=2|35=0|49={C}|52={now}|56={G}|10={sum}|'),
      ...alive(2, 2), ...loggedOut(3, 3)
    ]
  },
  {
    id: '2t-no-9',
    title: 'a message without BodyLength is garbled and ignored',
    steps: c => [
      ...loggedOn(c),
      sendRaw('8={BS}|35=0|34=2|49={C}|52={now}|56={G}|10=000|'),
      ...alive(2, 2), ...loggedOut(3, 3)
    ]
  },
  {
    id: '3b',
    title: 'a wrong CheckSum is garbled: ignored (no Reject), and the gap recovered by ResendRequest',
    steps: c => [
      ...loggedOn(c),
      sendRaw(`8={BS}|9={len}|${msg('0', 2)}10={badsum}|`),
      send(msg('0', 2)),
      sendRaw(`8={BS}|9={len}|${msg('D', 3, c.v.order('C3'))}10={badsum}|`),
      send(msg('0', 4)),
      expect(reply('2', 2, '7=3|16=0|')),
      send(msg('D', 3, `43=Y|122={now-1s}|${c.v.order('C3')}`)),
      expect(reply('D', 3, echoed(c.v.order('C3')))),
      ...alive(5, 4), ...loggedOut(6, 5)
    ]
  },
  {
    id: '3c',
    title: 'a message with no trailer (10) is garbled: ignored, and the next message is still read',
    steps: c => [
      ...loggedOn(c),
      sendRaw(`8={BS}|9={len}|${msg('0', 2)}`),
      send(msg('1', 2, '112=AFTER-NO-TRAILER|')),
      expect(reply('0', 2, '112=AFTER-NO-TRAILER|')),
      ...alive(3, 3), ...loggedOut(4, 4)
    ]
  }
]
