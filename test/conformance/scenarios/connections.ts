/**
 * Connections and reset policies: one port serving several sessions, a counterparty that
 * reconnects at once, the operator's Logout, and the reset policies QuickFIX users know
 * (on logout, on disconnect). These cases set their own policy and run once.
 */
import {
  app,
  close,
  connect,
  expect,
  expectDisconnect,
  expectNothing,
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
import { SECOND_SCRIPT_COMP_ID } from '../versions'

export const connectionScenarios: Scenario[] = [
  {
    id: 'shared-port',
    title: 'one acceptor port serves several sessions, told apart by the CompIDs of their Logon',
    profiles: ['fresh'],
    target: { alsoServe: [SECOND_SCRIPT_COMP_ID] },
    steps: c => [
      ...loggedOn(c),
      connect(2), send(logon(c, 1).replace('49={C}', '49={C2}'), 2), expect(`${logonReply(c, 1)}56={C2}|`, { conn: 2 }),
      send(msg('1', 2, '112=SECOND|').replace('49={C}', '49={C2}'), 2),
      expect(reply('0', 2, '112=SECOND|56={C2}|'), { conn: 2 }),
      ...alive(2, 2),
      send(msg('5', 3).replace('49={C}', '49={C2}'), 2),
      expect(reply('5', 3, '56={C2}|'), { conn: 2 }),
      expectDisconnect({ conn: 2 }),
      ...loggedOut(3, 3)
    ]
  },
  {
    id: 'reconnect-at-once',
    title: 'a counterparty that connects, closes and connects again within milliseconds is served',
    profiles: ['fresh'],
    steps: c => [connect(), close(), connect(), send(logon(c, 1)), expect(logonReply(c, 1)), ...loggedOut(2, 2)]
  },
  {
    id: '13a',
    title: 'the operator\'s Logout is sent, answered, and the engine then disconnects',
    profiles: ['fresh'],
    steps: c => [
      ...loggedOn(c),
      // Not awaited: the Logout completes only when the script answers it below.
      app('the operator logs out', async t => { t.logout('end of day').catch(() => {}) }),
      expect(reply('5', 2)),
      send(msg('5', 2)),
      expectDisconnect()
    ]
  },
  {
    id: 'reset-on-logout',
    title: 'reset policy "on logout": after a Logout both sides start again at 1',
    profiles: ['fresh'],
    target: { resetPolicy: 'logout' },
    steps: c => [
      ...loggedOn(c),
      ...alive(2, 2),
      ...loggedOut(3, 3),
      connect(),
      send(logon(c, 1)),
      expect(logonReply(c, 1)),
      ...alive(2, 2),
      ...loggedOut(3, 3)
    ]
  },
  {
    id: 'reset-on-disconnect',
    title: 'reset policy "on disconnect": after a lost connection both sides start again at 1',
    profiles: ['fresh'],
    target: { resetPolicy: 'disconnect' },
    steps: c => [
      ...loggedOn(c),
      ...alive(2, 2),
      close(),
      connect(),
      send(logon(c, 1)),
      expect(logonReply(c, 1)),
      ...alive(2, 2),
      ...loggedOut(3, 3)
    ]
  },
  {
    id: 'outbound-invalid',
    title: 'an application message with a NumInGroup that does not match its entries is refused with an error, ' +
      'nothing is sent',
    steps: c => [
      ...loggedOn(c),
      app('sends an order with 386=3 and two entries, and must get an error', async (t, fill) => {
        const sent = await t.sendApp('D', fill(`${c.v.order('BAD')}386=3|336=1|336=2|`)).then(() => true, () => false)
        if (sent) throw new Error('the engine took an order whose NumInGroup (386=3) does not match its 2 entries')
      }),
      expectNothing(300),
      ...alive(2, 2), ...loggedOut(3, 3)
    ]
  }
]
