import * as assert from 'assert'
import { databaseTargets, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { acceptorRuntime, loggedOnPeer, nos, uniqueTag } from './support'

/**
 * How the connection hands frames to the session (Session.take): a callback per frame instead of
 * two promises, since each frame waits in the inbox until its journal commit. The callback is the
 * back-pressure's count: it must come once per frame, after the frame is worked through.
 */
describe('FIX session: frames handed over with a callback', () => {
  const f = fixFixture(databaseTargets()[0], 'handoff')

  it('calls back once per frame, after the message is committed and handed to the application', async () => {
    const { acc, peer } = await loggedOnPeer(f)
    const session = acc.runtime.session
    const frames = [1, 2, 3].map(n => f.codec.frame('D', {
      BeginString: 'FIX.4.4',
      SenderCompID: peer.me,
      TargetCompID: peer.them,
      MsgSeqNum: peer.nextSeq++,
      SendingTime: new Date()
    }, f.codec.encodeBody('D', nos(`handoff-${n}`))))
    const seen: number[] = []
    for (const frame of frames) session.take(frame, Date.now(), () => seen.push(acc.messages.length))
    await eventually(() => seen.length === 3, 10000, 'three callbacks')
    await new Promise(resolve => setTimeout(resolve, 100))
    assert.strictEqual(seen.length, 3, 'one callback per frame')
    seen.forEach((delivered, i) =>
      assert.ok(delivered >= i + 1, `frame ${i + 1} called back with ${delivered} delivered`))
    assert.deepStrictEqual(acc.messages.map(m => m.seq), [2, 3, 4])
    assert.strictEqual(session.state.nextTargetSeq, 5)
  })

  it('calls back at once, having done nothing, when no connection is attached', async () => {
    const rt = acceptorRuntime({ db: f.db, schema: f.schema, codec: f.codec, tag: uniqueTag() }, 0)
    let called = 0
    rt.session.take(Buffer.from('8=FIX.4.4\x01'), Date.now(), () => called++)
    assert.strictEqual(called, 1)
    assert.strictEqual(rt.session.waiting, 0)
  })
})
