import * as assert from 'assert'
import { formatUtc } from '../../../core/fix-session'
import { describeEachDatabase, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { hasOpenssl, makeCerts, TestCerts } from '../../support/certs'
import { acceptorRuntime, initiatorRuntime, nos, PairOptions, record, Recorded, uniqueTag } from './support'

describeEachDatabase('FIX session over TLS, and its schedule', target => {
  const f = fixFixture(target, 'fixtls')
  const { running } = f
  let certs: TestCerts | undefined

  before(() => {
    if (hasOpenssl()) certs = makeCerts()
  })

  async function pair (o: Partial<PairOptions>): Promise<{ acc: Recorded, ini: Recorded }> {
    const opts: PairOptions = { db: f.db, schema: f.schema, codec: f.codec, tag: uniqueTag(), ...o }
    const acc = acceptorRuntime(opts, 0)
    running.push(acc)
    const a = record(acc)
    await acc.start()
    const ini = initiatorRuntime(opts, acc.port!)
    running.push(ini)
    const i = record(ini)
    await ini.start()
    return { acc: a, ini: i }
  }

  it('logs on and trades over TLS (server certificate checked against the CA)', async function () {
    if (certs === undefined) return this.skip()
    this.timeout(20000)
    const { acc, ini } = await pair({
      acceptorRuntime: { tls: { key: certs.serverKey, cert: certs.serverCert } },
      initiatorRuntime: { tls: { ca: certs.ca } }
    })
    await ini.waitEvent('logon')
    await ini.runtime.send({ msgType: 'D', body: nos('TLS1') })
    await eventually(() => acc.messages.length === 1)
  })

  it('refuses a server whose certificate the initiator cannot verify', async function () {
    if (certs === undefined) return this.skip()
    this.timeout(20000)
    const { acc, ini } = await pair({
      acceptorRuntime: { tls: { key: certs.serverKey, cert: certs.serverCert } },
      initiatorRuntime: { tls: { ca: certs.otherCa } }
    })
    await eventually(() => ini.statuses.some(s => /connect failed/.test(s)))
    assert.ok(!acc.has('logon'))
  })

  it('logs on with mutual TLS, and refuses a client without a certificate', async function () {
    if (certs === undefined) return this.skip()
    this.timeout(20000)
    const server = { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true }
    const good = await pair({
      acceptorRuntime: { tls: server },
      initiatorRuntime: { tls: { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert } }
    })
    await good.acc.waitEvent('logon')
    const bad = await pair({ acceptorRuntime: { tls: server }, initiatorRuntime: { tls: { ca: certs.ca } } })
    await eventually(
      () => bad.acc.statuses.some(s => /TLS handshake failed/.test(s)),
      15000,
      'the acceptor to refuse the handshake'
    )
    assert.ok(!bad.acc.has('connected'), 'the session never saw the connection')
    assert.ok(!bad.acc.has('logon'), 'no logon without a client certificate')
    assert.ok(!bad.ini.has('logon'))
  })

  it('connects only once the session time starts, and logs out when it ends', async function () {
    this.timeout(90000)
    // Whole seconds (the schedule's resolution), with room for a slow set-up under load: the
    // checks wait on the clock of the schedule itself, not on fixed sleeps.
    const second = (ms: number): Date => new Date(Math.floor((Date.now() + ms) / 1000) * 1000)
    const start = second(10_000)
    const end = new Date(start.getTime() + 8000)
    const hms = (d: Date): string => formatUtc(d).slice(9, 17)
    const schedule = { start: hms(start), end: hms(end), timeZone: 'UTC' }
    const { acc, ini } = await pair({ initiator: { schedule } })
    const beforeStart = start.getTime() - 1000 - Date.now()
    assert.ok(beforeStart > 0, `the pair was set up ${-beforeStart} ms too late to look before the start time`)
    await new Promise(resolve => setTimeout(resolve, beforeStart))
    assert.ok(!ini.has('connected'), 'no connection before the start time')
    assert.ok(ini.statuses.includes('outside session time'))
    await ini.waitEvent('logon', undefined, end.getTime() - Date.now())
    assert.ok(Date.now() >= start.getTime(), 'logged on only from the start time')
    const logout = await acc.waitEvent('logout', e => e.initiatedBy === 'peer', end.getTime() - Date.now() + 15000)
    assert.ok(logout !== undefined)
    await ini.waitEvent('logout', e => /end of session time/.test(e.text), 5000)
  })

  it('refuses a logon outside the acceptor\'s session time', async function () {
    this.timeout(20000)
    const t = (ms: number): string => formatUtc(new Date(Date.now() + ms)).slice(9, 17)
    const { acc } = await pair({ acceptor: { schedule: { start: t(3600_000), end: t(7200_000), timeZone: 'UTC' } } })
    const refused = await acc.waitEvent('logon-refused')
    assert.match(refused.text, /outside the session time/)
  })

  it('resets the sequence numbers daily at the set time: logs out, and logs on again with 141=Y', async function () {
    this.timeout(30000)
    const t = (ms: number): string => formatUtc(new Date(Date.now() + ms)).slice(9, 17)
    const { acc, ini } = await pair({ initiator: { resetPolicy: 'daily', resetTime: t(4000), resetTimeZone: 'UTC' } })
    await ini.waitEvent('logon')
    await ini.runtime.send({ msgType: 'D', body: nos('BEFORE-RESET') })
    await eventually(() => acc.messages.length === 1)
    assert.strictEqual(acc.messages[0].seq, 2)
    await ini.waitEvent('logout', e => /daily sequence reset/.test(e.text), 10000)
    const relogon = await eventually(() => ini.events.filter(e => e.type === 'logon')[1], 15000, 'second logon')
    assert.strictEqual((relogon as any).resetSeqNum, true)
    await ini.runtime.send({ msgType: 'D', body: nos('AFTER-RESET') })
    await eventually(() => acc.messages.length === 2)
    assert.strictEqual(acc.messages[1].seq, 2, 'numbers start again: Logon 1, order 2')
  })
})
