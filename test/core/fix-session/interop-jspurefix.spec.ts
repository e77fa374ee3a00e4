import * as assert from 'assert'
import { describeEachDatabase, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { acceptorRuntime, er, freePort, initiatorRuntime, nos, record, uniqueTag } from './support'
import { jsDescription, JsPeer } from '../../support/jspurefix-peer'

describeEachDatabase('FIX session interop with a plain jspurefix session', target => {
  const f = fixFixture(target, 'fixjs')
  const { running, peers } = f

  it('accepts a jspurefix initiator: logon, order in, execution report out, heartbeats, logout', async function () {
    this.timeout(30000)
    const tag = uniqueTag()
    const rt = acceptorRuntime({ db: f.db, schema: f.schema, codec: f.codec, tag }, 0)
    running.push(rt)
    const acc = record(rt)
    await rt.start()
    const js = new JsPeer(jsDescription('initiator', rt.port!, `CLI${tag}`, `BRK${tag}`, 1))
    peers.push(js)
    void js.start()
    await acc.waitEvent('logon')
    await eventually(() => js.rec.ready)
    js.rec.session!.sendApp('D', nos('JS1'))
    await eventually(() => acc.messages.length === 1)
    assert.strictEqual(acc.messages[0].body.ClOrdID, 'JS1')
    await rt.send({ msgType: '8', body: er('JS1', 1) })
    await eventually(() => js.rec.received.some(m => m.msgType === '8' && m.obj.ClOrdID === 'JS1'))
    // HeartBtInt=1: both sides keep the session alive with heartbeats for a few intervals.
    await new Promise(resolve => setTimeout(resolve, 3500))
    assert.strictEqual(rt.session.phase, 'logged-on')
    assert.ok(js.rec.decoded.some(t => /\|35=0\|/.test(t)), 'jspurefix received our heartbeats')
    assert.ok(!acc.has('reject-sent'), 'nothing from jspurefix was rejected')
    js.rec.session!.logout()
    await acc.waitEvent('logout', e => e.initiatedBy === 'peer')
    await eventually(() => js.rec.stopped)
  })

  it('connects to a jspurefix acceptor: logon, order out, execution report in, logout', async function () {
    this.timeout(30000)
    const tag = uniqueTag()
    const port = await freePort()
    const js = new JsPeer(jsDescription('acceptor', port, `BRK${tag}`, `CLI${tag}`), true)
    peers.push(js)
    void js.start()
    const rt = initiatorRuntime(
      { db: f.db, schema: f.schema, codec: f.codec, tag, initiator: { resetPolicy: 'logon' } }, port
    )
    running.push(rt)
    const ini = record(rt)
    await rt.start()
    await ini.waitEvent('logon', undefined, 15000)
    for (const id of ['JA1', 'JA2', 'JA3']) await rt.send({ msgType: 'D', body: nos(id) })
    await eventually(() => ini.messages.length === 3)
    assert.deepStrictEqual(ini.messages.map(m => m.body.ClOrdID), ['JA1', 'JA2', 'JA3'])
    assert.deepStrictEqual(js.rec.received.map(m => m.obj.ClOrdID), ['JA1', 'JA2', 'JA3'])
    assert.ok(!ini.has('reject-sent'))
    await rt.stop()
    await ini.waitEvent('logout')
  })
})
