/** 2a-2r: handling of well-formed messages after logon (sequence numbers, PossDup, header checks). */
import {
  Ctx,
  echoed,
  expect,
  expectDisconnect,
  loggedOn,
  loggedOut,
  msg,
  reply,
  Scenario,
  send,
  sendRaw,
  Step
} from '../script'

/** SessionRejectReason, only where the version defines the value (FIX.4.2: 0-11). */
export function reason (c: Ctx, n: number): string {
  return n <= c.v.maxRejectReason ? `373=${n}|` : ''
}

/** A TestRequest with `seq` must come back as a Heartbeat with `replySeq`: proves what both sides expect next. */
export function alive (seq: number, replySeq: number, id = `ALIVE-${seq}`): Step[] {
  return [send(msg('1', seq, `112=${id}|`)), expect(reply('0', replySeq, `112=${id}|`))]
}

export const messageScenarios: Scenario[] = [
  {
    id: '2a',
    title: 'messages with the expected MsgSeqNum are accepted, one after another',
    steps: c => [
      ...loggedOn(c),
      send(msg('0', 2)),
      send(msg('0', 3)),
      send(msg('0', 4)),
      ...alive(5, 2),
      ...loggedOut(6, 3)
    ]
  },
  {
    id: '2b',
    title: 'a MsgSeqNum higher than expected is answered with a ResendRequest from the first missing number',
    steps: c => [
      ...loggedOn(c), send(msg('0', 2)), send(msg('0', 3)),
      send(msg('0', 9)),
      expect(reply('2', 2, '7=4|16=0|')),
      send(msg('0', 4, '43=Y|122={now-1s}|')),
      send(msg('0', 5, '43=Y|122={now-1s}|')),
      send(msg('0', 6, '43=Y|122={now-1s}|')),
      send(msg('0', 7, '43=Y|122={now-1s}|')), send(msg('0', 8, '43=Y|122={now-1s}|')),
      ...alive(10, 3), ...loggedOut(11, 4)
    ]
  },
  {
    id: '2c',
    title: 'a MsgSeqNum lower than expected without PossDupFlag is answered with a Logout and a disconnect',
    steps: c => [
      ...loggedOn(c),
      send(msg('0', 2)),
      send(msg('0', 3)),
      send(msg('0', 2)),
      expect(reply('5', 2)),
      expectDisconnect({ within: 10000 })
    ]
  },
  {
    id: '2e-received',
    title: 'a PossDupFlag=Y message with a MsgSeqNum already received is ignored',
    steps: c => [
      ...loggedOn(c),
      send(msg('0', 2)),
      send(msg('1', 2, '43=Y|122={now-1s}|112=DUP|')),
      ...alive(3, 2),
      ...loggedOut(4, 3)
    ]
  },
  {
    id: '2e-new',
    title: 'a PossDupFlag=Y message with the expected MsgSeqNum is processed',
    steps: c => [
      ...loggedOn(c),
      send(msg('1', 2, '43=Y|122={now-1s}|112=POSSDUP|')),
      expect(reply('0', 2, '112=POSSDUP|')),
      ...loggedOut(3, 3)
    ]
  },
  {
    id: '2f',
    title: 'OrigSendingTime later than SendingTime on a PossDup message: Reject 373=10, then Logout',
    steps: c => [
      ...loggedOn(c),
      send(msg('D', 2, c.v.order('O2'))), expect(reply('D', 2, echoed(c.v.order('O2')))),
      send(msg('D', 2, `43=Y|122={now+10s}|${c.v.order('O2')}`)),
      expect(reply('3', 3, `45=2|372=D|371?=122|${reason(c, 10)}`)),
      expect(reply('5', 4)),
      send(msg('5', 3)),
      expectDisconnect()
    ]
  },
  {
    id: '2g',
    title: 'a PossDup message without OrigSendingTime is rejected (373=1, 371=122) and its MsgSeqNum not taken',
    steps: c => [
      ...loggedOn(c),
      send(msg('D', 2, c.v.order('O2'))), expect(reply('D', 2, echoed(c.v.order('O2')))),
      send(msg('D', 2, `43=Y|${c.v.order('O2')}`)),
      expect(reply('3', 3, `45=2|372=D|371=122|${reason(c, 1)}`)),
      ...alive(3, 4), ...loggedOut(4, 5)
    ]
  },
  {
    id: '2i',
    title: 'a BeginString other than the session\'s after logon is answered with a Logout, then the connection closes',
    steps: c => [
      ...loggedOn(c),
      sendRaw(`8=FIX.4.1|9={len}|${msg('1', 2, '112=X|')}10={sum}|`),
      expect(reply('5', 2)),
      send(msg('5', 3)),
      expectDisconnect()
    ]
  },
  {
    id: '2i-silent',
    title: 'after a Logout for a wrong BeginString the engine disconnects even when no Logout answers it',
    steps: c => [
      ...loggedOn(c),
      sendRaw(`8=FIX.4.1|9={len}|${msg('1', 2, '112=X|')}10={sum}|`),
      expect(reply('5', 2)),
      expectDisconnect({ within: 10000 })
    ]
  },
  ...(['sender', 'target', 'both'] as const).map((which): Scenario => ({
    id: `2k-${which}`,
    title: 'a message with the wrong ' +
      `${which === 'both' ? 'SenderCompID and TargetCompID' : which === 'sender' ? 'SenderCompID' : 'TargetCompID'} ` +
      'is rejected (373=9), then Logout',
    steps: c => [
      ...loggedOn(c),
      send(`35=D|34=2|49=${which === 'target' ? '{C}' : 'WRONG'}|52={now}|` +
        `56=${which === 'sender' ? '{G}' : 'WRONG'}|${c.v.order('K')}`),
      expect(reply('3', 2, `45=2|372=D|371?={any}|${reason(c, 9)}`)),
      expect(reply('5', 3)),
      send(msg('5', 3)),
      expectDisconnect()
    ]
  })),
  {
    id: '2o-early',
    title: 'a SendingTime more than 2 minutes behind is rejected (373=10), then Logout',
    steps: c => [
      ...loggedOn(c),
      send(msg('0', 2).replace('{now}', '{now-121s}')),
      expect(reply('3', 2, `45=2|372=0|371?=52|${reason(c, 10)}`)),
      expect(reply('5', 3)),
      send(msg('5', 3)),
      expectDisconnect()
    ]
  },
  {
    id: '2o-late',
    title: 'a SendingTime more than 2 minutes ahead is rejected (373=10), then Logout',
    steps: c => [
      ...loggedOn(c),
      send(msg('0', 2).replace('{now}', '{now+121s}')),
      expect(reply('3', 2, `45=2|372=0|371?=52|${reason(c, 10)}`)),
      expect(reply('5', 3)),
      send(msg('5', 3)),
      expectDisconnect()
    ]
  },
  {
    id: '2q',
    title: 'an invalid MsgType is rejected (373=11, 372 the MsgType) and the session goes on',
    steps: c => [
      ...loggedOn(c),
      send(msg('*', 2)),
      expect(reply('3', 2, `45=2|372=*|${reason(c, 11)}`)),
      ...alive(3, 3),
      ...loggedOut(4, 4)
    ]
  },
  {
    id: '2r',
    title: 'a valid application message the application does not take is answered with BusinessMessageReject 380=3',
    steps: c => [
      ...loggedOn(c),
      send(msg('8', 2, c.v.execReport)),
      expect(reply('j', 2, '45=2|372=8|380=3|')),
      ...alive(3, 3),
      ...loggedOut(4, 4)
    ]
  }
]
