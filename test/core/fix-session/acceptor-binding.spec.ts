import * as assert from 'assert'
import * as net from 'net'
import { FixCodec } from '../../../core/fix/codec'
import { SessionLog, SOH } from '../../../core/fix-session'
import { databaseTargets, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { acceptorRuntime, frameText, freePort, now, PairOptions, RawPeer, record, Recorded, uniqueTag } from './support'

/** Bytes a socket receives until it closes (or `ms` pass). */
async function bytesUntilClosed (socket: net.Socket, ms = 5000): Promise<{ bytes: number, closed: boolean }> {
  let bytes = 0
  socket.on('data', (c: Buffer) => { bytes += c.length })
  const closed = await new Promise<boolean>(resolve => {
    const t = setTimeout(() => resolve(false), ms)
    socket.once('close', () => { clearTimeout(t); resolve(true) })
  })
  return { bytes, closed }
}

async function connect (port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host, port }, () => resolve(s))
    s.once('error', reject)
  })
}

/**
 * The acceptor binds a connection to a session only when a valid Logon names it; one port serves
 * several sessions; a peer that is not (yet) the counterparty learns nothing and holds nothing.
 */
describe('FIX acceptor: connections bound at Logon, one port for several sessions', () => {
  const f = fixFixture(databaseTargets()[0], 'fixbind')
  const { running, peers: sockets } = f
  let codec42: FixCodec

  before(async () => {
    codec42 = await FixCodec.create('FIX.4.2')
  })

  async function acceptor (
    over: Partial<PairOptions> = {},
    port = 0
  ): Promise<{ acc: Recorded; tag: string; lines: string[] }> {
    const tag = over.tag ?? uniqueTag()
    const lines: string[] = []
    const log: SessionLog = {
      incoming: raw => lines.push(`<< ${raw}`),
      outgoing: raw => lines.push(`>> ${raw}`),
      event: t => lines.push(t)
    }
    const rt = acceptorRuntime(
      { db: f.db, schema: f.schema, codec: f.codec, tag, ...over, acceptorRuntime: { log, ...over.acceptorRuntime } },
      port
    )
    running.push(rt)
    const acc = record(rt)
    await rt.start()
    return { acc, tag, lines }
  }

  async function peer (port: number, tag: string, c = f.codec, beginString = 'FIX.4.4'): Promise<RawPeer> {
    const p = await RawPeer.connect(port, c, `CLI${tag}`, `BRK${tag}`, beginString)
    sockets.push(p.socket)
    return p
  }

  async function alive (p: RawPeer, id: string): Promise<void> {
    p.send('1', `112=${id}${SOH}`)
    await p.waitFor('0', m => m.get(112) === id, 5000)
  }

  it('serves a counterparty that connects, closes and connects again within milliseconds', async function () {
    this.timeout(20000)
    const { acc, tag } = await acceptor()
    const first = await connect(acc.runtime.port!)
    first.destroy()
    const p1 = await peer(acc.runtime.port!, tag)
    p1.logon()
    await p1.waitFor('A')
    // The session is still working through these when the connection closes and the next one logs on.
    for (let i = 0; i < 40; i++) p1.send('1', `112=busy-${i}${SOH}`)
    p1.close()
    const p2 = await peer(acc.runtime.port!, tag)
    p2.nextSeq = p1.nextSeq
    p2.logon()
    await p2.waitFor('A', () => true, 5000)
    await alive(p2, 'quick-reconnect')
  })

  it('lets no idle connection hold the session: the counterparty logs on while ' +
    'another socket waits silently', async function () {
    this.timeout(20000)
    const { acc, tag } = await acceptor()
    const idle = await connect(acc.runtime.port!)
    sockets.push(idle)
    const half = await connect(acc.runtime.port!)
    sockets.push(half)
    half.write(`8=FIX.4.4${SOH}9=70${SOH}35=A${SOH}`) // a Logon that never completes
    await new Promise(resolve => setTimeout(resolve, 100))
    const p = await peer(acc.runtime.port!, tag)
    p.logon()
    await p.waitFor('A', () => true, 5000)
    await alive(p, 'beside-idle')
  })

  it('keeps no crowd of silent connections, nor one sending bytes without a Logon, between the counterparty ' +
    'and its session', async function () {
    this.timeout(30000)
    // A logon timeout of a minute: only the limits below, not the timeout, close anything here.
    const { acc, tag } = await acceptor({ acceptor: { logonTimeoutMs: 60000 } })
    const port = acc.runtime.port!
    // 200 connections that say nothing: beyond 64 waiting, each new one pushes out the oldest.
    let closed = 0
    for (let i = 0; i < 200; i++) {
      const s = await connect(port)
      sockets.push(s)
      s.once('close', () => { closed++ })
    }
    await eventually(() => closed >= 200 - 64, 5000, 'the oldest silent connections pushed out')
    const p = await peer(port, tag)
    p.logon()
    await p.waitFor('A', undefined, 5000)
    // A frame start, then 17 KB that never make a Logon: closed at 16 KiB, long before the logon timeout.
    const talker = await connect(port)
    sockets.push(talker)
    const seen = bytesUntilClosed(talker, 3000)
    talker.write(`8=FIX.4.4${SOH}9=99999${SOH}35=A${SOH}58=${'x'.repeat(17000)}`)
    assert.deepStrictEqual(await seen, { bytes: 0, closed: true })
    await alive(p, 'after-the-crowd')
  })

  it('refuses a second Logon for a logged-on session on that connection ' +
    'only, the first is not disturbed', async function () {
    this.timeout(20000)
    const { acc, tag } = await acceptor()
    const p = await peer(acc.runtime.port!, tag)
    p.logon()
    await p.waitFor('A')
    const seqBefore = acc.runtime.session.state.nextSenderSeq
    const intruder = await peer(acc.runtime.port!, tag)
    const seen = bytesUntilClosed(intruder.socket)
    intruder.logon({ reset: true })
    const r = await seen
    assert.deepStrictEqual(r, { bytes: 0, closed: true }, 'closed without a byte')
    await alive(p, 'first-still-up')
    assert.strictEqual(acc.runtime.session.state.nextSenderSeq, seqBefore + 1, 'only the Heartbeat used a number')
  })

  it('closes a Logon for unknown CompIDs or BeginString plainly: no Logout naming the session, no sequence ' +
    'number used, nothing logged in full', async function () {
    this.timeout(20000)
    const { acc, tag, lines } = await acceptor()
    const seq = acc.runtime.session.state.nextSenderSeq
    const cases: Array<[string, string, string, string]> = [
      ['wrong TargetCompID', `CLI${tag}`, 'SOMEONE', 'FIX.4.4'],
      ['wrong SenderCompID', 'INTRUDER', `BRK${tag}`, 'FIX.4.4'],
      ['wrong BeginString', `CLI${tag}`, `BRK${tag}`, 'FIX.4.2']
    ]
    for (const [name, me, them, bs] of cases) {
      const p = await RawPeer.connect(acc.runtime.port!, bs === 'FIX.4.2' ? codec42 : f.codec, me, them, bs)
      sockets.push(p.socket)
      const seen = bytesUntilClosed(p.socket)
      p.logon({ extra: `553=probe${SOH}554=guess-${name.length}${SOH}` })
      assert.deepStrictEqual(await seen, { bytes: 0, closed: true }, `${name}: closed without a byte`)
    }
    assert.strictEqual(acc.runtime.session.state.nextSenderSeq, seq, 'no sequence number used')
    assert.strictEqual(acc.runtime.session.state.nextTargetSeq, 1)
    assert.ok(!lines.some(l => l.startsWith('<<') || l.startsWith('>>')), `no frame logged: ${lines.join('\n')}`)
    assert.ok(
      !acc.statuses.some(s => s.includes(`BRK${tag}`) && s.includes('expected')),
      'no status names the expected CompIDs'
    )
    assert.ok(!JSON.stringify(acc.events).includes('guess-'), 'no password text in any event')
  })

  it('reports refused pre-logon connections truncated and at most once per 5 seconds', async function () {
    this.timeout(20000)
    const { acc, lines: logLines } = await acceptor()
    const before = acc.statuses.length
    for (let i = 0; i < 30; i++) {
      const s = await connect(acc.runtime.port!)
      sockets.push(s)
      s.write(frameText(`35=D|49=X${i}|56=Y|34=1|52=${now()}|58=${'x'.repeat(2000)}|`))
      await bytesUntilClosed(s, 2000)
    }
    // 60 KB were sent before any Logon: none of it reaches the session's message log (or its files).
    const logged = logLines.join('\n')
    assert.ok(!logged.includes('xxxxxxxxxx') && logged.length < 2000, `${logged.length} characters logged`)
    const lines = acc.statuses.slice(before).filter(s => !s.startsWith('listening'))
    assert.ok(lines.length >= 1 && lines.length <= 2, `1 or 2 report lines, not ${lines.length}: ${lines.join('\n')}`)
    assert.ok(lines.every(l => l.length <= 260), 'each line is short')
  })

  it('does not send the acceptor\'s own Password (554) in its Logon answer unless told to', async function () {
    this.timeout(20000)
    const quiet = await acceptor({ acceptor: { username: 'broker', password: 'broker-secret' } })
    const p = await peer(quiet.acc.runtime.port!, quiet.tag)
    p.logon()
    const answer = await p.waitFor('A')
    assert.strictEqual(answer.get(554), undefined)
    assert.strictEqual(answer.get(553), undefined)
    const told = await acceptor({
      acceptor: { username: 'broker', password: 'broker-secret', replyWithCredentials: true }
    })
    const q = await peer(told.acc.runtime.port!, told.tag)
    q.logon()
    assert.strictEqual((await q.waitFor('A')).get(554), 'broker-secret')
  })

  it('listens on its bind address only: another address of this host finds no port', async function () {
    this.timeout(20000)
    // 127.0.0.2 is this host too (the loopback network): an acceptor bound to it must not answer on
    // 127.0.0.1, and one bound to 127.0.0.1 must not answer on 127.0.0.2.
    for (const [bound, other] of [['127.0.0.2', '127.0.0.1'], ['127.0.0.1', '127.0.0.2']]) {
      const { acc, tag } = await acceptor({ acceptorRuntime: { bindAddress: bound } })
      const port = acc.runtime.port!
      await assert.rejects(connect(port, other), /ECONNREFUSED/, `${bound}: nothing on ${other}:${port}`)
      const p = new RawPeer(await connect(port, bound), f.codec, `CLI${tag}`, `BRK${tag}`, 'FIX.4.4')
      sockets.push(p.socket)
      p.logon()
      await p.waitFor('A')
      assert.ok(acc.statuses.includes(`listening on ${bound}:${port}`), acc.statuses.join('\n'))
    }
  })

  it('serves several sessions on one port, told apart by BeginString and CompIDs at Logon', async function () {
    this.timeout(30000)
    const port = await freePort()
    const tag = uniqueTag()
    const a = await acceptor({ tag: `${tag}A` }, port)
    const b = await acceptor({ tag: `${tag}B` }, port)
    const c = await acceptor({ tag: `${tag}A`, codec: codec42, acceptor: { beginString: 'FIX.4.2' } }, port)
    assert.strictEqual(a.acc.runtime.port, port)
    assert.strictEqual(b.acc.runtime.port, port)
    const pa = await peer(port, `${tag}A`)
    const pb = await peer(port, `${tag}B`)
    const pc = await peer(port, `${tag}A`, codec42, 'FIX.4.2')
    pa.logon()
    pb.logon()
    pc.logon()
    await Promise.all([pa.waitFor('A'), pb.waitFor('A'), pc.waitFor('A')])
    assert.strictEqual(pc.ofType('A')[0].get(8), 'FIX.4.2')
    await alive(pa, 'a')
    await alive(pb, 'b')
    await alive(pc, 'c')
    assert.strictEqual(a.acc.runtime.session.phase, 'logged-on')
    assert.strictEqual(b.acc.runtime.session.phase, 'logged-on')
    assert.strictEqual(c.acc.runtime.session.phase, 'logged-on')
    // One leaves: the others keep the port.
    await b.acc.runtime.stop()
    await alive(pa, 'a-after-b-left')
    const pb2 = await peer(port, `${tag}B`)
    const seen = bytesUntilClosed(pb2.socket)
    pb2.logon()
    assert.deepStrictEqual(await seen, { bytes: 0, closed: true }, 'the stopped session takes no Logon')
  })

  it('refuses a second acceptor for the same session on the same port, and says why', async function () {
    this.timeout(20000)
    const port = await freePort()
    const tag = uniqueTag()
    await acceptor({ tag }, port)
    await assert.rejects(acceptor({ tag }, port), /already served on port/)
  })
})
