import * as assert from 'assert'
import * as v8 from 'v8'
import * as vm from 'vm'
import { databaseTargets } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { eventually } from '../../support/wait'
import { loggedOnPeer, nos } from './support'

/**
 * What the session keeps of each in-sequence message while it waits for its fix_in commit (the
 * fast path, plainNext): the commit of a batch outlives two scavenges at 1,000 messages a second,
 * so whatever a waiting message holds is promoted and sets how far the old generation grows
 * (Node-RED's peak RSS). It needs the text, the header and ClOrdID/OrigClOrdID, not the fields.
 */
describe('FIX session: what a message keeps while it waits for its journal commit', function () {
  this.timeout(60000)
  const f = fixFixture(databaseTargets()[0], 'heldsize')

  it('keeps its text, header and ids but not its parsed fields (under 0.9 KB besides the frame)', async () => {
    v8.setFlagsFromString('--expose-gc')
    const gc: () => void = vm.runInNewContext('gc')
    const { acc, peer } = await loggedOnPeer(f)
    const session = acc.runtime.session as unknown as {
      plainNext: (frame: Buffer, pending: number, at: number) => Record<string, unknown> | undefined
    }
    const n = 2000
    const first = peer.nextSeq
    const frames = Array.from({ length: n }, (_, i) => f.codec.frame('D', {
      BeginString: 'FIX.4.4',
      SenderCompID: peer.me,
      TargetCompID: peer.them,
      MsgSeqNum: first + i,
      SendingTime: new Date()
    }, f.codec.encodeBody('D', nos(`held-size-${i}`))))
    const probe = session.plainNext(frames[0], 0, Date.now())
    assert.ok(probe !== undefined, 'the fast path takes an in-sequence NewOrderSingle')
    assert.strictEqual(probe.clOrdID ?? (probe.fields as { first: (t: number) => string }).first(11), 'held-size-0')
    gc()
    gc()
    const before = process.memoryUsage().heapUsed
    const held = frames.map((frame, i) => session.plainNext(frame, i, Date.now()))
    gc()
    gc()
    const kept = (process.memoryUsage().heapUsed - before) / n
    assert.strictEqual(held.filter(m => m === undefined).length, 0)
    assert.ok(kept < 900, `${Math.round(kept)} bytes kept per waiting message`)
  })
  it('hands the application each committed message as one object (under 400 bytes besides its text)', async () => {
    v8.setFlagsFromString('--expose-gc')
    const gc: () => void = vm.runInNewContext('gc')
    // fix_in keeps the text only, as in the e2e flows: the body is decoded when the application reads it.
    const { acc, peer } = await loggedOnPeer(f, { storeDecoded: false })
    const n = 2000
    const body = f.codec.encodeBody('D', nos('handed-size'))
    for (let i = 0; i < n; i++) peer.send('D', body)
    await eventually(() => acc.messages.length >= n, 30000, `${n} messages handed on`)
    // What the application holds while it keeps them (Node-RED's windows keep them across commits),
    // less their text, which it needs anyway.
    const messages = acc.messages.splice(0)
    const raws = messages.map(m => m.raw)
    gc()
    gc()
    const holding = process.memoryUsage().heapUsed
    messages.length = 0
    gc()
    gc()
    const kept = (holding - process.memoryUsage().heapUsed) / n
    assert.strictEqual(raws.length, n)
    assert.ok(kept < 400, `${Math.round(kept)} bytes kept per message handed on`)
  })
  it('keeps no async frame per layer for a send waiting for its journal commit (under 600 bytes each)', async () => {
    v8.setFlagsFromString('--expose-gc')
    const gc: () => void = vm.runInNewContext('gc')
    const { acc } = await loggedOnPeer(f)
    const n = 2000
    const reqs = Array.from({ length: n }, (_, i) => ({
      msgType: 'D', body: nos(`wait-${i}`), origin: { client: 'held-size', position: `["${i}"]` }
    }))
    gc()
    gc()
    const before = process.memoryUsage().heapUsed
    // All of them wait: the outbox journals them on a later turn, after this measure.
    const pending = reqs.map(r => acc.runtime.send(r))
    gc()
    gc()
    const kept = (process.memoryUsage().heapUsed - before) / n
    const results = await Promise.all(pending)
    assert.strictEqual(results.filter(r => r.status === 'sent').length, n)
    // An async frame per layer kept 1,641 bytes per send; without them about 290 in this spec alone,
    // and up to 400 at the end of the whole suite's process (CI, 4 December 2026): the limit is
    // between, well clear of both.
    assert.ok(kept < 600, `${Math.round(kept)} bytes kept per waiting send`)
  })
})
