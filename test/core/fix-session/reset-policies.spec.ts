import * as assert from 'assert'
import { normalizeSettings, SessionSettings, SOH } from '../../../core/fix-session'
import { databaseTargets, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { acceptorRuntime, RawPeer, record, Recorded, settings, uniqueTag } from './support'

/** The reset policies as QuickFIX users know them, against a raw peer over TCP. */
describe('FIX session: sequence reset policies', () => {
  const f = fixFixture(databaseTargets()[0], 'fixreset')

  async function acceptor (over: Partial<SessionSettings>): Promise<{ acc: Recorded, tag: string }> {
    const tag = uniqueTag()
    const rt = acceptorRuntime({ db: f.db, schema: f.schema, codec: f.codec, tag, acceptor: over }, 0)
    f.running.push(rt)
    const acc = record(rt)
    await rt.start()
    return { acc, tag }
  }

  async function peer (acc: Recorded, tag: string): Promise<RawPeer> {
    const p = await RawPeer.connect(acc.runtime.port!, f.codec, `CLI${tag}`, `BRK${tag}`)
    f.peers.push(p)
    return p
  }

  /** Logs on, trades a few TestRequests (numbers move on both sides), logs out cleanly. */
  async function session (acc: Recorded, tag: string, o: { closeOnly?: boolean, seq?: number } = {}): Promise<RawPeer> {
    const p = await peer(acc, tag)
    if (o.seq !== undefined) p.nextSeq = o.seq
    p.logon()
    await p.waitFor('A')
    for (let i = 0; i < 3; i++) {
      p.send('1', `112=t${i}${SOH}`)
      await p.waitFor('0', m => m.get(112) === `t${i}`)
    }
    if (o.closeOnly === true) {
      p.close()
    } else {
      p.send('5', '')
      await p.waitFor('5')
    }
    await eventually(() => !acc.runtime.session.connected, 5000, 'disconnected')
    return p
  }

  it('reset on logon (acceptor): every Logon starts both sequences over, answered without ' +
    '141=Y unless the peer sent it', async function () {
    this.timeout(20000)
    const { acc, tag } = await acceptor({ resetPolicy: 'logon' })
    await session(acc, tag)
    assert.ok(acc.runtime.session.state.nextSenderSeq > 1)
    const p = await peer(acc, tag)
    p.logon({ seq: 1 })
    const answer = await p.waitFor('A')
    assert.strictEqual(answer.get(34), '1', 'our numbers start over')
    assert.strictEqual(answer.get(141), undefined, 'no 141=Y: the peer did not ask')
    p.send('1', `112=after${SOH}`, { seq: 2 })
    await p.waitFor('0', m => m.get(112) === 'after')
    p.close()
    await eventually(() => !acc.runtime.session.connected, 5000, 'disconnected')
    const q = await peer(acc, tag)
    q.logon({ seq: 1, reset: true })
    assert.strictEqual((await q.waitFor('A')).get(141), 'Y', 'the peer asked: 141=Y back')
  })

  it('reset on logon (acceptor): a Logon with a higher MsgSeqNum also starts ' +
    'over, then asks for the gap from 1', async function () {
    this.timeout(20000)
    const { acc, tag } = await acceptor({ resetPolicy: 'logon' })
    const first = await session(acc, tag)
    const p = await peer(acc, tag)
    p.logon({ seq: first.nextSeq })
    const answer = await p.waitFor('A')
    assert.strictEqual(answer.get(34), '1')
    const rr = await p.waitFor('2')
    assert.strictEqual(rr.get(7), '1')
  })

  it('never (the default): the numbers carry on across logout and disconnect', async function () {
    this.timeout(20000)
    const { acc, tag } = await acceptor({})
    const first = await session(acc, tag)
    const sender = acc.runtime.session.state.nextSenderSeq
    const second = await session(acc, tag, { seq: first.nextSeq, closeOnly: true })
    assert.strictEqual(second.ofType('A')[0].get(34), String(sender), 'the Logon answer continues our numbers')
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.strictEqual(acc.runtime.session.state.nextTargetSeq, second.nextSeq)
  })

  it('reset on logout: both sequences start over after a completed Logout exchange', async function () {
    this.timeout(20000)
    const { acc, tag } = await acceptor({ resetPolicy: 'logout' })
    await session(acc, tag)
    await eventually(
      () => acc.runtime.session.state.nextSenderSeq === 1 && acc.runtime.session.state.nextTargetSeq === 1,
      5000,
      'numbers back at 1'
    )
    const p = await peer(acc, tag)
    p.logon({ seq: 1 })
    assert.strictEqual((await p.waitFor('A')).get(34), '1')
  })

  it('reset on logout: a connection that only drops keeps its numbers', async function () {
    this.timeout(20000)
    const { acc, tag } = await acceptor({ resetPolicy: 'logout' })
    await session(acc, tag, { closeOnly: true })
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.ok(acc.runtime.session.state.nextSenderSeq > 1)
  })

  it('reset on disconnect: both sequences start over when a logged-on ' +
    'connection ends, however it ends', async function () {
    this.timeout(20000)
    const { acc, tag } = await acceptor({ resetPolicy: 'disconnect' })
    await session(acc, tag, { closeOnly: true })
    await eventually(
      () => acc.runtime.session.state.nextSenderSeq === 1 && acc.runtime.session.state.nextTargetSeq === 1,
      5000,
      'numbers back at 1'
    )
    const stored = await acc.runtime.store.load()
    assert.strictEqual(stored.nextSenderSeq, 1)
    assert.strictEqual(stored.nextTargetSeq, 1)
  })

  it('a Logon with 141=Y while logged on resets both sides and is answered with 141=Y', async function () {
    this.timeout(20000)
    const { acc, tag } = await acceptor({})
    const p = await peer(acc, tag)
    p.logon()
    await p.waitFor('A')
    for (let i = 0; i < 3; i++) p.send('1', `112=m${i}${SOH}`)
    await p.waitFor('0', m => m.get(112) === 'm2')
    p.nextSeq = 1
    p.logon({ reset: true })
    const answer = await p.waitFor('A', m => m.get(141) === 'Y')
    assert.strictEqual(answer.get(34), '1')
    p.send('1', `112=after-reset${SOH}`)
    const hb = await p.waitFor('0', m => m.get(112) === 'after-reset')
    assert.strictEqual(hb.get(34), '2')
    assert.strictEqual(p.ofType('3').length, 0, 'no Reject')
    assert.strictEqual(p.ofType('5').length, 0, 'no Logout')
    assert.strictEqual(acc.runtime.session.phase, 'logged-on')
  })

  it('daily: without a reset time, a scheduled session starts its new sequence at the schedule start', () => {
    const s = normalizeSettings({
      ...settings('acceptor', 'D'),
      resetPolicy: 'daily',
      schedule: { start: '07:30', end: '22:00', timeZone: 'Europe/London' }
    })
    assert.strictEqual(s.resetTime, '07:30')
    assert.throws(() => normalizeSettings({ ...settings('acceptor', 'D'), resetPolicy: 'daily' }), /reset time/)
    for (const p of ['logout', 'disconnect'] as const) {
      assert.strictEqual(normalizeSettings({ ...settings('acceptor', 'D'), resetPolicy: p }).resetPolicy, p)
    }
  })
})
