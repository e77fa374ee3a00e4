/** 7, 8, 20 and a rejected resent message: Reject received, answering ResendRequests, resends crossing. */
import { echoed, expect, loggedOn, loggedOut, msg, reply, Scenario, send, Step } from '../script'
import { alive } from './messages'

/** The engine's resent application message: PossDupFlag=Y and an OrigSendingTime. */
const resent = (msgType: string, seq: number, body: string): string =>
  reply(msgType, seq, `43=Y|122={time}|${echoed(body)}`)
/** The engine's gap fill from `seq` up to (not including) `next`. */
const gapFill = (seq: number, next: number): string => reply('4', seq, `43=Y|122={time}|123=Y|36=${next}|`)

export const resendScenarios: Scenario[] = [
  {
    id: '7',
    title: 'a Reject received is taken as a message: the inbound MsgSeqNum moves on',
    steps: c => [...loggedOn(c), send(msg('3', 2, '45=1|')), ...alive(3, 2), ...loggedOut(4, 3)]
  },
  {
    id: '8-admin-app',
    title: 'a ResendRequest over admin and application messages: gap fills for the admin ones, the application ones ' +
      'again',
    steps: c => {
      const o = (id: string): string => c.v.order(id)
      const admin = (seq: number): Step[] => [
        send(msg('1', seq, `112=HELLO${seq}|`)),
        expect(reply('0', seq, `112=HELLO${seq}|`))
      ]
      const order = (seq: number): Step[] => [
        send(msg('D', seq, o(`A${seq}`))),
        expect(reply('D', seq, echoed(o(`A${seq}`))))
      ]
      return [
        ...loggedOn(c),
        ...admin(2),
        ...admin(3),
        ...admin(4),
        ...order(5),
        ...order(6),
        ...admin(7),
        ...admin(8),
        ...order(9),
        send(msg('2', 10, '7=2|16=4|')),
        expect(gapFill(2, 5)),
        send(msg('2', 11, '7=2|16=6|')),
        expect(gapFill(2, 5)),
        expect(resent('D', 5, o('A5'))),
        expect(resent('D', 6, o('A6'))),
        send(msg('2', 12, '7=2|16=0|')),
        expect(gapFill(2, 5)),
        expect(resent('D', 5, o('A5'))),
        expect(resent('D', 6, o('A6'))),
        expect(gapFill(7, 9)),
        expect(resent('D', 9, o('A9'))),
        ...alive(13, 10),
        ...loggedOut(14, 11)
      ]
    }
  },
  {
    id: '8-only-admin',
    title: 'a ResendRequest over admin messages only is answered with one gap fill (only-admin resend)',
    steps: c => [
      ...loggedOn(c), ...alive(2, 2, 'H2'), ...alive(3, 3, 'H3'), ...alive(4, 4, 'H4'),
      send(msg('2', 5, '7=1|16=4|')), expect(gapFill(1, 5)),
      ...alive(6, 5),
      send(msg('2', 7, '7=1|16=0|')), expect(gapFill(1, 6)),
      ...loggedOut(8, 6)
    ]
  },
  {
    id: '8-only-app',
    title: 'a ResendRequest over application messages only resends each of them, then a gap fill for what follows',
    steps: c => {
      const o = (id: string): string => c.v.order(id)
      return [
        ...loggedOn(c),
        ...[2, 3, 4].flatMap(n => [send(msg('D', n, o(`P${n}`))), expect(reply('D', n, echoed(o(`P${n}`))))]),
        send(msg('2', 5, '7=2|16=4|')),
        ...[2, 3, 4].map(n => expect(resent('D', n, o(`P${n}`)))),
        ...alive(6, 5),
        send(msg('2', 7, '7=2|16=0|')),
        ...[2, 3, 4].map(n => expect(resent('D', n, o(`P${n}`)))),
        expect(gapFill(5, 6)),
        ...loggedOut(8, 6)
      ]
    }
  },
  {
    id: '20',
    title: 'ResendRequests crossing: the engine answers the counterparty\'s while waiting for its own',
    steps: c => {
      const o = (id: string): string => c.v.order(id)
      return [
        ...loggedOn(c),
        send(msg('D', 2, o('S2'))), expect(reply('D', 2, echoed(o('S2')))),
        send(msg('D', 3, o('S3'))), expect(reply('D', 3, echoed(o('S3')))),
        send(msg('0', 7)),
        expect(reply('2', 4, '7=4|16=0|')),
        send(msg('2', 8, '7=2|16=3|')),
        expect(resent('D', 2, o('S2'))), expect(resent('D', 3, o('S3'))),
        send(msg('0', 4, '43=Y|122={now-1s}|')),
        send(msg('0', 5, '43=Y|122={now-1s}|')),
        send(msg('0', 6, '43=Y|122={now-1s}|')),
        // Whether the ResendRequest (8) counted as received differs (QuickFIX: not); a gap fill
        // over 8 settles it either way (a duplicate to an engine that counted it).
        send(msg('4', 8, '43=Y|122={now-1s}|123=Y|36=9|')),
        ...alive(9, 5), ...loggedOut(10, 6)
      ]
    }
  },
  {
    id: 'reject-resent',
    title: 'a resent message with a bad field is rejected (373=6) and the messages held behind it are processed in ' +
      'order',
    steps: c => [
      ...loggedOn(c),
      send(msg('1', 3, '112=HELLO1|')),
      expect(reply('2', 2, '7=2|16=0|')),
      send(msg('D', 2, `43=Y|122={now-1s}|${c.v.order('R2')}126=20040415|`)),
      expect(reply('3', 3, `45=2|372=D|371=126|${c.v.maxRejectReason >= 6 ? '373=6|' : ''}`)),
      expect(reply('0', 4, '112=HELLO1|')),
      send(msg('1', 4, '112=HELLO2|')),
      expect(reply('0', 5, '112=HELLO2|')),
      ...loggedOut(5, 6)
    ]
  }
]
