/**
 * Initiator cases: the engine connects to the script, which plays the acceptor. Under the
 * reset-on-logon profile the engine's Logon must carry 141=Y and MsgSeqNum 1 (its stale numbers
 * reset), and the script answers in kind.
 */
import { accept, app, Ctx, echoed, expect, expectDisconnect, msg, reply, Scenario, send, Step } from '../script'
import { alive } from './messages'

const resetFlag = (c: Ctx): string => c.profile === 'reset-on-logon' ? '141=Y|' : ''

/** The engine connects and logs on; the script answers with MsgSeqNum `answerSeq`. */
function engineLogsOn (c: Ctx, answerSeq = 1): Step[] {
  return [
    accept(),
    expect(reply('A', 1, `98=0|108=30|${resetFlag(c)}${c.v.logonExtra}`)),
    send(msg('A', answerSeq, `98=0|108=30|${resetFlag(c)}${c.v.logonExtra}`))
  ]
}

const resent = (msgType: string, seq: number, body: string): string =>
  reply(msgType, seq, `43=Y|122={time}|${echoed(body)}`)

export const initiatorScenarios: Scenario[] = [
  {
    id: 'i-logon',
    role: 'initiator',
    title: 'the initiator logs on (141=Y only when it resets), answers a TestRequest and a Logout',
    steps: c => [...engineLogsOn(c), ...alive(2, 2), send(msg('5', 3)), expect(reply('5', 3)), expectDisconnect()]
  },
  {
    id: 'i-resend',
    role: 'initiator',
    title: 'the initiator answers a ResendRequest: a gap fill for its Logon, its orders again with PossDupFlag',
    steps: c => [
      ...engineLogsOn(c),
      // Logged on (the Heartbeat answer proves it) before the application sends.
      ...alive(2, 2),
      app('sends two orders', async (t, fill) => {
        await t.sendApp('D', fill(c.v.order('I3')))
        await t.sendApp('D', fill(c.v.order('I4')))
      }),
      expect(reply('D', 3, echoed(c.v.order('I3')))),
      expect(reply('D', 4, echoed(c.v.order('I4')))),
      send(msg('2', 3, '7=1|16=0|')),
      expect(reply('4', 1, '43=Y|122={time}|123=Y|36=3|')),
      expect(resent('D', 3, c.v.order('I3'))),
      expect(resent('D', 4, c.v.order('I4'))),
      ...alive(4, 5)
    ]
  },
  {
    id: 'i-gap',
    role: 'initiator',
    title: 'a Logon answer with a MsgSeqNum too high makes the initiator ask for the gap, and a gap fill closes it',
    steps: c => [
      ...engineLogsOn(c, 5),
      expect(reply('2', 2, '7=1|16=0|')),
      send(msg('4', 1, '43=Y|122={now-1s}|123=Y|36=5|')),
      ...alive(6, 3)
    ]
  },
  {
    id: 'i-reset-mid-session',
    role: 'initiator',
    title: 'a Logon with 141=Y mid-session makes the initiator reset and answer with a Logon with 141=Y',
    steps: c => [
      ...engineLogsOn(c),
      ...alive(2, 2),
      send(msg('A', 1, `98=0|108=30|141=Y|${c.v.logonExtra}`)),
      expect(reply('A', 1, `98=0|108=30|141=Y|${c.v.logonExtra}`)),
      ...alive(2, 2)
    ]
  }
]
