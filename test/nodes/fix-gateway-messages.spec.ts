import * as assert from 'assert'
import {
  controlCommand, inboundMessage, originOf, possResendOf, rawRequest, requestOf, sentFix
} from '../../nodes/fix-gateway/messages'
import { translator } from '../../nodes/shared/i18n'
import catalog = require('../../nodes/fix-gateway/locales/en-US/fix-gateway.json')

describe('fix-gateway message building', () => {
  it('gives an inbound message its body as payload and its frame, with | for SOH, in msg.fix', () => {
    const m = {
      msgType: '8',
      seq: 7,
      possDup: false,
      receiveSeq: '42',
      raw: '8=FIX.4.4\x0135=8\x01',
      body: { OrderID: 'O1' },
      header: { MsgSeqNum: 7 }
    }
    assert.deepStrictEqual(inboundMessage(m, 'FIX.4.4:CLI->BRK'), {
      topic: '8',
      payload: { OrderID: 'O1' },
      fix: {
        msgType: '8',
        seq: 7,
        possDup: false,
        receiveSeq: '42',
        header: { MsgSeqNum: 7 },
        raw: '8=FIX.4.4|35=8|',
        session: 'FIX.4.4:CLI->BRK'
      }
    })
  })

  it('turns the control topics into session commands, and a set-sequence without numbers into none', () => {
    assert.deepStrictEqual(controlCommand('fix:logon', undefined), { command: 'logon' })
    assert.deepStrictEqual(controlCommand('fix:logout', 'maintenance'), { command: 'logout', text: 'maintenance' })
    assert.deepStrictEqual(controlCommand('fix:logout', ''), { command: 'logout', text: undefined })
    assert.deepStrictEqual(controlCommand('fix:reset-sequence', {}), { command: 'reset-sequence' })
    assert.deepStrictEqual(controlCommand('fix:set-sequence', { nextSenderSeq: '50' }),
      { command: 'set-sequence', nextSenderSeq: 50, nextTargetSeq: undefined })
    assert.strictEqual(controlCommand('fix:set-sequence', {}), undefined)
  })

  it("makes a streamer client's row an origin from its client and position, and nothing else one", () => {
    assert.deepStrictEqual(originOf({ name: 's', streamer: 'x', clientId: 'c1', position: ['1', '2'], replay: false }),
      { client: 'c1', position: '["1","2"]' })
    assert.strictEqual(originOf(undefined), undefined)
  })

  it('reads a raw message, and PossResend from 97=Y or msg.fix.possResend', () => {
    const r = rawRequest('8=FIX.4.4|9=20|35=D|97=Y|11=A|10=000|', undefined, false)
    assert.strictEqual(r?.msgType, 'D')
    assert.strictEqual(r?.possResend, true)
    assert.strictEqual(rawRequest(Buffer.from('35=D|11=A|'), undefined, false)?.possResend, false)
    assert.strictEqual(rawRequest('35=D|11=A|', undefined, true)?.possResend, true)
    assert.strictEqual(rawRequest({ ClOrdID: 'A' }, undefined, false), undefined, 'an object is not raw')
  })

  it('reads PossResend of an object message from msg.fix or its StandardHeader', () => {
    assert.strictEqual(possResendOf({ possResend: true }, {}), true)
    assert.strictEqual(possResendOf(undefined, { StandardHeader: { PossResend: 'Y' } }), true)
    assert.strictEqual(possResendOf(undefined, { StandardHeader: { PossResend: true } }), true)
    assert.strictEqual(possResendOf(undefined, { StandardHeader: null }), false)
    assert.strictEqual(possResendOf(undefined, null), false)
  })

  it('adds the sequence number and whether it was sent or a duplicate to what msg.fix had', () => {
    assert.deepStrictEqual(sentFix({ msgType: 'D' }, { status: 'sent', seq: 5 }),
      { msgType: 'D', seq: 5, sent: true, duplicate: false })
    assert.deepStrictEqual(sentFix(undefined, { status: 'duplicate', seq: 4 }),
      { seq: 4, sent: false, duplicate: true })
    // A new object: the message's own msg.fix is left as it was; a seq it had is replaced.
    const given = { msgType: 'D', seq: 1 }
    assert.deepStrictEqual(sentFix(given, { status: 'sent', seq: 6 }),
      { msgType: 'D', seq: 6, sent: true, duplicate: false })
    assert.deepStrictEqual(given, { msgType: 'D', seq: 1 })
    // An own "__proto__" key (JSON.parse makes one) stays an own key, not the result's prototype.
    const parsed = JSON.parse('{"__proto__": {"polluted": 1}, "msgType": "D"}')
    const out = sentFix(parsed, { status: 'sent', seq: 7 })
    assert.strictEqual(Object.getPrototypeOf(out), Object.prototype)
    assert.strictEqual((out as { polluted?: number }).polluted, undefined)
    assert.deepStrictEqual(Object.keys(out), ['__proto__', 'msgType', 'seq', 'sent', 'duplicate'])
  })

  describe('the send request of a message', () => {
    const t = translator({ _: (k: string) => k }, catalog)
    const codes: Record<string, string> = { NewOrderSingle: 'D', D: 'D' }
    const msgTypeOf = async (w: string): Promise<string | undefined> => codes[w]
    const stream = { name: 's', streamer: 'x', clientId: 'c1', position: ['7'], replay: false }

    it('sends an object body with the MsgType code of the name given, its origin and PossResend', async () => {
      assert.deepStrictEqual(
        await requestOf({ payload: { ClOrdID: 'A' }, fix: { msgType: 'NewOrderSingle' }, stream }, msgTypeOf, t),
        { msgType: 'D', body: { ClOrdID: 'A' }, origin: { client: 'c1', position: '["7"]' }, possResend: false })
      const r = await requestOf({ payload: { ClOrdID: 'A', StandardHeader: { PossResend: 'Y' } }, msgType: 'D' },
        msgTypeOf, t)
      assert.deepStrictEqual([r.msgType, r.origin, r.possResend], ['D', undefined, true])
    })

    it('sends a raw text as it is, without asking the dictionary', async () => {
      const r = await requestOf({ payload: '35=D|11=A|', fix: { possResend: true } }, async () => 'never', t)
      assert.deepStrictEqual([r.msgType, r.body, r.possResend], ['D', undefined, true])
    })

    it('refuses a payload that is no message, a missing MsgType, and one not in the dictionary', async () => {
      await assert.rejects(requestOf({ payload: [1], fix: { msgType: 'D' } }, msgTypeOf, t),
        { message: 'msg.payload must be a message object (with msg.fix.msgType) or a raw FIX string' })
      await assert.rejects(requestOf({ payload: { ClOrdID: 'A' } }, msgTypeOf, t),
        { message: 'msg.fix.msgType is missing: which message type is msg.payload?' })
      await assert.rejects(requestOf({ payload: { ClOrdID: 'A' }, fix: { msgType: 'Nope' } }, msgTypeOf, t),
        { message: 'message type "Nope" is not in the session\'s dictionary' })
    })
  })
})
