/** 10, 11: SequenceReset, gap fill and reset mode. */
import { expect, expectDisconnect, loggedOn, loggedOut, msg, reply, Scenario, send } from '../script'
import { alive, reason } from './messages'

export const sequenceResetScenarios: Scenario[] = [
  {
    id: '10-equal',
    title: 'a gap fill with the expected MsgSeqNum moves the inbound MsgSeqNum to NewSeqNo',
    steps: c => [...loggedOn(c), send(msg('4', 2, '123=Y|36=20|')), ...alive(20, 2), ...loggedOut(21, 3)]
  },
  {
    id: '10-greater',
    title: 'a gap fill with a MsgSeqNum too high is answered with a ResendRequest, then applied once the gap is filled',
    steps: c => [
      ...loggedOn(c),
      send(msg('4', 10, '123=Y|36=20|')),
      expect(reply('2', 2, '7=2|16=0|')),
      send(msg('4', 2, '43=Y|122={now-1s}|123=Y|36=10|')),
      ...alive(20, 3), ...loggedOut(21, 4)
    ]
  },
  {
    id: '10-less',
    title: 'a gap fill with a MsgSeqNum too low: ignored with PossDupFlag=Y, Logout without it',
    steps: c => [
      ...loggedOn(c),
      send(msg('4', 1, '43=Y|122={now-1s}|123=Y|36=20|')),
      ...alive(2, 2),
      send(msg('4', 1, '123=Y|36=20|')),
      expect(reply('5', 3)),
      expectDisconnect({ within: 10000 })
    ]
  },
  {
    id: '11a',
    title: 'a SequenceReset-Reset with NewSeqNo higher than expected moves the inbound MsgSeqNum (123 absent or N)',
    steps: c => [
      ...loggedOn(c),
      send(msg('4', 2, '36=25|')), ...alive(25, 2),
      send(msg('4', 26, '123=N|36=50|')), ...alive(50, 3),
      ...loggedOut(51, 4)
    ]
  },
  {
    id: '11b',
    title: 'a SequenceReset-Reset with NewSeqNo equal to the expected MsgSeqNum changes nothing',
    steps: c => [...loggedOn(c), send(msg('4', 2, '36=2|')), ...alive(2, 2), ...loggedOut(3, 3)]
  },
  {
    id: '11c',
    title: 'a SequenceReset-Reset with NewSeqNo lower than expected is rejected (373=5) and changes nothing',
    steps: c => [
      ...loggedOn(c),
      send(msg('4', 2, '36=1|')),
      expect(reply('3', 2, `45=2|372=4|371?=36|${reason(c, 5)}`)),
      ...alive(2, 3), ...loggedOut(3, 4)
    ]
  }
]
