/**
 * 14a-14j: session Rejects with the right SessionRejectReason (373), RefTagID (371), RefMsgType
 * (372) and RefSeqNum (45); the inbound MsgSeqNum moves on and the session continues. Reasons
 * a version does not define (FIX.4.2 stops at 11) are not sent.
 */
import { Ctx, loggedOn, loggedOut, msg, reply, Scenario, send, expect } from '../script'
import { alive, reason } from './messages'

/** One bad message with MsgSeqNum 2, its Reject (seq 2), then proof the session goes on. */
function rejected (id: string, title: string, bad: (c: Ctx) => string, refs: (c: Ctx) => string): Scenario {
  return {
    id,
    title,
    steps: c => [
      ...loggedOn(c),
      send(bad(c)),
      expect(reply('3', 2, `45=2|${refs(c)}`)),
      ...alive(3, 3),
      ...loggedOut(4, 4)
    ]
  }
}

/** The order with one field replaced (or added when absent). */
function orderWith (c: Ctx, tag: number, value: string | undefined, id = 'R'): string {
  const fields = c.v.order(id).split('|').filter(f => f !== '')
  const i = fields.findIndex(f => f.startsWith(`${tag}=`))
  if (value === undefined) fields.splice(i, 1)
  else if (i >= 0) fields[i] = `${tag}=${value}`
  else fields.push(`${tag}=${value}`)
  return `${fields.join('|')}|`
}

export const rejectScenarios: Scenario[] = [
  rejected(
    '14a',
    'a tag the dictionary does not define is rejected (373=0, 371 the tag)',
    () => msg('0', 2, '4999=HI|'),
    c => `371=4999|372=0|${reason(c, 0)}`
  ),
  rejected('14a-zero', 'tag 0 is rejected (373=0)', () => msg('0', 2, '0=HI|'), c => `371=0|372=0|${reason(c, 0)}`),
  rejected(
    '14a-negative',
    'a negative tag is rejected (373=0)',
    () => msg('0', 2, '-1=HI|'),
    c => `371?=-1|372=0|${reason(c, 0)}`
  ),
  rejected(
    '14a-text',
    'a non-numeric tag is rejected (373=0)',
    () => msg('0', 2, 'ABC=HI|'),
    c => `371?={any}|372=0|${reason(c, 0)}`
  ),
  rejected(
    '14b-header',
    'a message without TargetCompID is rejected (373=1, 371=56)',
    () => '35=0|34=2|49={C}|52={now}|',
    c => `371=56|372=0|${reason(c, 1)}`
  ),
  rejected(
    '14b-body',
    'an order without ClOrdID is rejected (373=1, 371=11)',
    c => msg('D', 2, orderWith(c, 11, undefined)),
    c => `371=11|372=D|${reason(c, 1)}`
  ),
  rejected(
    '14c',
    'a tag defined, but not for this MsgType, is rejected (373=2)',
    () => msg('0', 2, '55=MSFT|'),
    c => `371=55|372=0|${reason(c, 2)}`
  ),
  rejected(
    '14d-header',
    'a header field without a value is rejected (373=4) and the session goes on',
    () => '35=0|34=2|49={C}|52={now}|56={G}|50=|',
    c => `371=50|372=0|${reason(c, 4)}`
  ),
  rejected(
    '14d-body',
    'a body field without a value is rejected (373=4)',
    c => msg('D', 2, orderWith(c, 55, '')),
    c => `371=55|372=D|${reason(c, 4)}`
  ),
  rejected('14e', 'a value outside the field\'s enumeration is rejected (373=5)',
    c => msg('D', 2, orderWith(c, 21, '4')), c => `371=21|372=D|${reason(c, 5)}`),
  rejected(
    '14f',
    'a value in the wrong format is rejected (373=6)',
    c => msg('D', 2, orderWith(c, 38, '+200.00')),
    c => `371=38|372=D|${reason(c, 6)}`
  ),
  rejected('14g', 'header fields after body fields are rejected (373=14)',
    c => `35=D|${c.v.order('G')}34=2|49={C}|52={now}|56={G}|`, c => `371?=34|372=D|${reason(c, 14)}`),
  rejected(
    '14h',
    'a field repeated outside a group is rejected (373=13, 371 the tag)',
    c => msg('D', 2, `${c.v.order('H')}40=2|`),
    c => `371=40|372=D|${reason(c, 13)}`
  ),
  rejected('14i', 'a NumInGroup that does not match its entries is rejected (373=16, 371 the count tag)',
    c => msg('D', 2, `${c.v.order('I')}386=3|336=1|336=2|`), c => `371=386|372=D|${reason(c, 16)}`),
  rejected('14j', 'a repeating group whose first field is not the delimiter is rejected (373=15, or 16 as QuickFIX ' +
    'says)',
  // The test cases say 373=15 (group fields out of order); QuickFIX counts no valid entry and says 16.
  c => msg('D', 2, `${c.v.order('J')}78=1|80=10|79=ACCT|`),
  c => `371?={any}|372=D|${c.v.maxRejectReason >= 16 ? '373={oneOf:15,16}|' : ''}`)
]
