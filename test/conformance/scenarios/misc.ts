/** 15-21 and the routing cases: field order, PossResend, zero-length groups, reverse routing. */
import { Ctx, echoed, expect, loggedOn, loggedOut, msg, reply, Scenario, send } from '../script'
import { alive, reason } from './messages'

/** A SecurityDefinition with a NumInGroup of 0, valid for the version. */
function securityDefinition (c: Ctx): string {
  return c.v.id === 'FIX.4.2'
    ? '320=REQ1|322=RESP1|323=1|393=0|55=TBS|167=CS|146=0|'
    : '320=REQ1|322=RESP1|323=1|55=TBS|454=0|167=CS|'
}

const routed = (c: Ctx, seq: number, routing: string): string =>
  msg('D', seq, `${routing}${c.v.order(`RR${seq}`).replace('40=1|', '40=w|')}`)

export const miscScenarios: Scenario[] = [
  {
    id: '15',
    title: 'header and body fields in a different order (not 8, 9, 35) are accepted the same',
    steps: c => [
      ...loggedOn(c),
      send(msg('D', 2, c.v.order('F2'))), expect(reply('D', 2, echoed(c.v.order('F2')))),
      send('35=D|49={C}|34=3|56={G}|52={now}|40=1|55=INTC|60={now}|54=1|38=100|21=1|11=F3|'),
      expect(reply('D', 3, echoed(c.v.order('F3')))),
      ...loggedOut(4, 4)
    ]
  },
  {
    id: '16',
    title: 'messages queued while disconnected are sent after the next logon',
    notApplicable: Object.fromEntries((['FIX.4.2', 'FIX.4.4', 'FIX.5.0SP2'] as const).map(v => [v,
      'the pack queues at the stream: a send while logged out is refused with NotLoggedOnError and the stream ' +
        'position is not confirmed, so the streamer resends it after logon'])),
    steps: () => []
  },
  {
    id: '17',
    title: 'encryption (EncryptMethod other than 0)',
    notApplicable: Object.fromEntries((['FIX.4.2', 'FIX.4.4', 'FIX.5.0SP2'] as const).map(v => [v,
      'FIX-level encryption is not offered (98=0 only); the transport is protected with TLS instead'])),
    steps: () => []
  },
  {
    id: '19a',
    title: 'a PossResend(97)=Y order the application has seen already is not processed again',
    steps: c => [
      ...loggedOn(c),
      send(msg('D', 2, c.v.order('P1'))), expect(reply('D', 2, echoed(c.v.order('P1')))),
      send(msg('D', 3, `97=Y|${c.v.order('P1')}`)),
      ...alive(4, 3), ...loggedOut(5, 4)
    ]
  },
  {
    id: '19b',
    title: 'a PossResend(97)=Y order not seen before is processed, and the application can send 97=Y back',
    steps: c => [
      ...loggedOn(c),
      send(msg('D', 2, `97=Y|${c.v.order('P2')}`)), expect(reply('D', 2, `97=Y|${echoed(c.v.order('P2'))}`)),
      ...loggedOut(3, 3)
    ]
  },
  {
    id: '21',
    title: 'a repeating group with NumInGroup 0 is accepted (SecurityDefinition echoed)',
    steps: c => [
      ...loggedOn(c),
      send(msg('d', 2, securityDefinition(c))),
      expect(reply('d', 2, securityDefinition(c))),
      ...loggedOut(3, 3)
    ]
  },
  {
    id: 'news',
    title: 'a News message is taken by the application (echoed back)',
    steps: c => [
      ...loggedOn(c),
      send(msg('B', 2, '148=HEADLINE|33=1|58=line one|')),
      expect(reply('B', 2, '148=HEADLINE|33=1|58=line one|')),
      ...loggedOut(3, 3)
    ]
  },
  {
    id: 'reverse-route',
    title: 'a Reject reverses the routing fields (OnBehalfOf* <-> DeliverTo*, CompID, SubID, LocationID)',
    steps: c => {
      const loc = c.v.id === 'FIX.4.2' ? ['', ''] : ['144=CHI|', '145=CHI|']
      const cases: Array<[string, string]> = [
        ['115=JCD|', '128=JCD|'],
        ['128=JCD|', '115=JCD|'],
        [`115=JCD|116=CS|${loc[0]}`, `128=JCD|129=CS|${loc[1]}`],
        [`128=JCD|129=CS|${loc[1]}`, `115=JCD|116=CS|${loc[0]}`]
      ]
      return [
        ...loggedOn(c),
        ...cases.flatMap(([sent, back], i) => [
          send(routed(c, i + 2, sent)),
          expect(reply('3', i + 2, `${back}45=${i + 2}|371=40|372=D|${reason(c, 5)}`))
        ]),
        ...alive(6, 6),
        ...loggedOut(7, 7)
      ]
    }
  },
  {
    id: 'reverse-route-empty',
    title: 'an empty routing field is rejected (373=4) and not reversed',
    steps: c => [
      ...loggedOn(c),
      send(msg('D', 2, `115=|${c.v.order('E2')}`)), expect(reply('3', 2, `45=2|371=115|372=D|${reason(c, 4)}`)),
      send(msg('D', 3, `115=JCD|116=|${c.v.order('E3')}`)),
      expect(reply('3', 3, `128=JCD|45=3|371=116|372=D|${reason(c, 4)}`)),
      ...alive(4, 4), ...loggedOut(5, 5)
    ]
  }
]
