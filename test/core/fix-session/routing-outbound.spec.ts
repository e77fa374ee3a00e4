import * as assert from 'assert'
import { OutboundMessageError, SOH } from '../../../core/fix-session'
import { databaseTargets } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { er, frameText, loggedOnPeer, nos, now, RawPeer, Recorded } from './support'

/** Replies reverse the routing fields; the application can send PossResend; nothing invalid goes out. */
describe('FIX session: reverse routing, PossResend, outbound checks', () => {
  const f = fixFixture(databaseTargets()[0], 'fixroute')

  const session = async (): Promise<{ acc: Recorded, peer: RawPeer, tag: string }> => await loggedOnPeer(f)

  const badOrder = (): string =>
    f.codec
      .encodeBody('D', nos('RR'))
      .replace(/\x0140=2\x01/, '\x0140=w\x01')
      .replace(/\x01/g, '|')

  const routes: Array<[string, string, Array<[number, string]>]> = [
    ['OnBehalfOfCompID', '115=JCD|', [[128, 'JCD']]],
    ['DeliverToCompID', '128=JCD|', [[115, 'JCD']]],
    ['OnBehalfOfCompID and SubID', '115=JCD|116=CS|', [[128, 'JCD'], [129, 'CS']]],
    ['DeliverToCompID and SubID', '128=JCD|129=CS|', [[115, 'JCD'], [116, 'CS']]],
    ['OnBehalfOf CompID, SubID and LocationID', '115=JCD|116=CS|144=CHI|', [[128, 'JCD'], [129, 'CS'], [145, 'CHI']]],
    ['DeliverTo CompID, SubID and LocationID', '128=JCD|129=CS|145=CHI|', [[115, 'JCD'], [116, 'CS'], [144, 'CHI']]]
  ]
  it('answers a bad message with a Reject whose routing fields are the message\'s, reversed', async function () {
    this.timeout(20000)
    const { peer, tag } = await session()
    const wrong: string[] = []
    for (const [name, routing, want] of routes) {
      const seq = peer.nextSeq++
      peer.sendRaw(frameText(`35=D|49=CLI${tag}|56=BRK${tag}|34=${seq}|52=${now()}|${routing}${badOrder()}`))
      const rej = await peer.waitFor('3', m => m.get(45) === String(seq), 5000)
      if (rej.get(373) !== '5' || rej.get(371) !== '40') wrong.push(`${name}: 373=${rej.get(373)} 371=${rej.get(371)}`)
      for (const [t, v] of want) {
        if (rej.get(t) !== v) {
          wrong.push(`${name}: ${t}=${rej.get(t) ?? '(none)'}, ` +
        `expected ${v}`)
        }
      }
      for (const t of [115, 116, 128, 129, 144, 145]) {
        if (!want.some(([w]) => w === t) && rej.get(t) !== undefined) wrong.push(`${name}: unexpected ${t}`)
      }
    }
    assert.deepStrictEqual(wrong, [])
  })

  it('reverses the routing of a BusinessMessageReject too', async function () {
    this.timeout(20000)
    const { peer, tag } = await loggedOnPeer(f, { receiveMsgTypes: ['8'] })
    const seq = peer.nextSeq++
    peer.sendRaw(
      frameText(
        `35=D|49=CLI${tag}|56=BRK${tag}|34=${seq}|52=${now()}|115=DESK|116=T1|` +
          f.codec.encodeBody('D', nos('BR')).replace(/\x01/g, '|')
      )
    )
    const j = await peer.waitFor('j')
    assert.strictEqual(j.get(128), 'DESK')
    assert.strictEqual(j.get(129), 'T1')
  })

  it('sends an application message with PossResend(97)=Y when asked to', async function () {
    this.timeout(20000)
    const { acc, peer } = await session()
    await acc.runtime.send({ msgType: '8', body: er('PR1', 1), possResend: true })
    await acc.runtime.send({ msgType: '8', body: er('PR2', 1) })
    const first = await peer.waitFor('8', m => m.get(11) === 'PR1')
    const second = await peer.waitFor('8', m => m.get(11) === 'PR2')
    assert.strictEqual(first.get(97), 'Y')
    assert.strictEqual(second.get(97), undefined)
  })

  it('refuses, with a catchable error, an outbound message with a NumInGroup ' +
    'that does not match its entries', async function () {
    this.timeout(20000)
    const { acc, peer } = await session()
    const body = f.codec
      .encodeBody('D', nos('NG'))
      .replace(/\x0155=IBM\x01/, '\x0155=IBM\x01386=3\x01336=PRE\x01336=POST\x01')
    const seq = acc.runtime.session.state.nextSenderSeq
    await assert.rejects(
      acc.runtime.send({ msgType: 'D', rawBody: body }),
      (err: Error) => err instanceof OutboundMessageError && /NumInGroup/.test(err.message)
    )
    // The right count goes out.
    await acc.runtime.send({ msgType: 'D', rawBody: body.replace('386=3', '386=2') })
    const d = await peer.waitFor('D')
    assert.strictEqual(d.get(34), String(seq), 'the refused message used no number')
    assert.strictEqual(d.get(386), '2')
  })

  it('refuses an outbound message with a header field after its body fields', async function () {
    this.timeout(20000)
    const { acc } = await session()
    const body = f.codec.encodeBody('D', nos('HB')) + `115=LATE${SOH}`
    await assert.rejects(
      acc.runtime.send({ msgType: 'D', rawBody: body }),
      (err: Error) => err instanceof OutboundMessageError && /out of required order/.test(err.message)
    )
    assert.strictEqual(acc.runtime.session.phase, 'logged-on')
  })
})
