import * as assert from 'assert'
import * as tls from 'tls'
import { SessionRuntime } from '../../../core/fix-session'
import { describeEachDatabase } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { hasOpenssl, makeCerts, TestCerts } from '../../support/certs'
import { acceptorRuntime, initiatorRuntime, PairOptions, record, uniqueTag } from './support'

/**
 * "Require a client certificate" on an acceptor is a promise about who may connect: it holds
 * whatever the tls-config node says about verifying servers (rejectUnauthorized), a setting that
 * belongs to the initiator side.
 */
describeEachDatabase('FIX acceptor with mutual TLS', target => {
  const f = fixFixture(target, 'fixmtls')
  let certs: TestCerts | undefined
  before(() => { if (hasOpenssl()) certs = makeCerts() })

  async function acceptor (o: Partial<PairOptions>): Promise<{ rt: SessionRuntime, opts: PairOptions }> {
    const opts: PairOptions = { db: f.db, schema: f.schema, codec: f.codec, tag: uniqueTag(), ...o }
    const rt = acceptorRuntime(opts, 0)
    f.running.push(rt)
    await rt.start()
    return { rt, opts }
  }

  /** A raw TLS client: resolves with what happened to its handshake and first read. */
  async function rawClient (port: number, options: tls.ConnectionOptions): Promise<'closed' | 'open'> {
    return await new Promise(resolve => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options })
      let settled = false
      const done = (r: 'closed' | 'open'): void => { if (!settled) { settled = true; s.destroy(); resolve(r) } }
      s.on('error', () => done('closed'))
      s.on('close', () => done('closed'))
      // TLS 1.3: the server's refusal of the client certificate arrives after the client's handshake ends.
      s.on('secureConnect', () => setTimeout(() => done('open'), 1500))
    })
  }

  it('refuses a client without a certificate even when the tls-config node does not verify servers', async function () {
    if (certs === undefined) return this.skip()
    this.timeout(20000)
    const { rt, opts } = await acceptor({
      acceptorRuntime: {
        tls: {
          key: certs.serverKey,
          cert: certs.serverCert,
          ca: certs.ca,
          requestCert: true,
          rejectUnauthorized: false
        }
      }
    })
    const acc = record(rt)
    assert.strictEqual(await rawClient(rt.port!, {}), 'closed', 'a client with no certificate is cut off')
    assert.ok(!acc.has('connected'), 'the session never saw the connection')
    assert.ok(acc.statuses.some(t => /TLS handshake failed/.test(t)), 'the refusal is reported')

    // A client the CA signed still logs on.
    const good = initiatorRuntime(
      { ...opts, initiatorRuntime: { tls: { ca: certs.ca, key: certs.clientKey, cert: certs.clientCert } } },
      rt.port!
    )
    f.running.push(good)
    const g = record(good)
    await good.start()
    await g.waitEvent('logon')
  })
})
