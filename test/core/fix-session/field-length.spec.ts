import * as assert from 'assert'
import { longFieldOf } from '../../../core/fix/framing'
import { normalizeSettings, SettingsError } from '../../../core/fix-session'
import { databaseTargets, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { loggedOnPeer, nos, RawPeer, Recorded, settings } from './support'

/**
 * Issue 22 point 4: an inbound field longer than the session's maxFieldLength is refused on the
 * raw bytes, before any parse or pattern runs: Logout naming the tag, connection closed, nothing
 * of the message in fix_in or handed to the application.
 */
describe('FIX session: inbound field length capped by the maxFieldLength setting', () => {
  const f = fixFixture(databaseTargets()[0], 'fixlen')

  const loggedOn = async (maxFieldLength?: number): Promise<{ acc: Recorded, peer: RawPeer }> =>
    await loggedOnPeer(f, { maxFieldLength })

  it('a field one byte over the cap gets a Logout naming its tag, and the message goes nowhere', async () => {
    const { acc, peer } = await loggedOn(1000)
    peer.sendBody('D', { ...nos('long-1'), Text: 'x'.repeat(1001) })
    const logout = await peer.waitFor('5')
    assert.match(logout.get(58) ?? '', /field 58 is 1001 bytes long, over maxFieldLength \(1000\)/)
    await eventually(() => peer.closed, 10000, 'the connection closed')
    assert.strictEqual(acc.messages.length, 0)
    assert.strictEqual(peer.ofType('3').length, 0, 'no session Reject: the message was not parsed')
    assert.strictEqual(acc.runtime.session.state.nextTargetSeq, 2, 'the long message used no sequence number')
  })

  it('a field exactly at the cap is taken as usual', async () => {
    const { acc, peer } = await loggedOn(1000)
    peer.sendBody('D', { ...nos('long-2'), Text: 'x'.repeat(1000) })
    await eventually(() => acc.messages.find(m => m.msgType === 'D'), 10000, 'the order delivered')
    assert.strictEqual(peer.ofType('5').length, 0)
  })

  it('set to 64 KiB, it refuses a 200 KB data field (EncodedText) before parsing; by default it is taken', async () => {
    const data = 'z'.repeat(200 * 1024)
    const capped = await loggedOn(65536)
    capped.peer.sendBody('D', { ...nos('long-3'), EncodedTextLen: data.length, EncodedText: data })
    const logout = await capped.peer.waitFor('5')
    assert.match(logout.get(58) ?? '', /field 355 is 204800 bytes long, over maxFieldLength \(65536\)/)
    assert.strictEqual(capped.acc.messages.length, 0)
    const open = await loggedOn()
    open.peer.sendBody('D', { ...nos('long-4'), EncodedTextLen: data.length, EncodedText: data })
    await eventually(() => open.acc.messages.find(m => m.msgType === 'D'), 10000, 'the order with 200 KB of data')
    assert.strictEqual(open.peer.ofType('5').length, 0)
  })

  it('finds a long field by scanning bytes, in linear time, and names the first one', () => {
    const frame = Buffer.from(`8=FIX.4.4\x019=5\x0135=D\x0158=${'a'.repeat(2_000_000)}\x01` +
      `355=${'b'.repeat(3000)}\x0110=000\x01`, 'latin1')
    const t0 = process.hrtime.bigint()
    assert.deepStrictEqual(longFieldOf(frame, 1000), { tag: '58', length: 2_000_000 })
    assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 100, 'a 2 MB field is found in under 100 ms')
    assert.strictEqual(longFieldOf(frame, 2_000_000), undefined)
    assert.strictEqual(longFieldOf(Buffer.from('35=0\x01', 'latin1'), 64), undefined)
  })

  it('refuses a cap below 64 bytes or above the 1 MiB frame limit, and defaults to that limit', () => {
    assert.throws(() => normalizeSettings(settings('acceptor', 'T', { maxFieldLength: 10 })), SettingsError)
    const over = settings('acceptor', 'T', { maxFieldLength: 2 * 1024 * 1024 })
    assert.throws(() => normalizeSettings(over), SettingsError)
    assert.strictEqual(normalizeSettings(settings('acceptor', 'T')).maxFieldLength, 1024 * 1024)
  })
})
