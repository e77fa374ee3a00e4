import * as assert from 'assert'
import { FixCodec } from '../../../core/fix/codec'
import { formatUtc, SOH } from '../../../core/fix-session'
import { databaseTargets } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { acceptorRuntime, nos, now, RawPeer, record, Recorded, uniqueTag } from './support'

/** A frame from '|'-text with a right BodyLength and CheckSum, for any BeginString. */
function frameOf (text: string, beginString = 'FIX.4.4'): string {
  const body = text.replace(/\|/g, SOH)
  const without = `8=${beginString}${SOH}9=${Buffer.byteLength(body, 'latin1')}${SOH}${body}`
  let sum = 0
  for (const b of Buffer.from(without, 'latin1')) sum += b
  return `${without}10=${String(sum % 256).padStart(3, '0')}${SOH}`
}

/** The same frame with BodyLength changed and the CheckSum refitted to the bytes as sent. */
function refit (f: string, len: (n: number) => number): string {
  const head = f.slice(0, -7).replace(/\x019=(\d+)\x01/, (_m, n) => `\x019=${len(Number(n))}\x01`)
  let sum = 0
  for (const b of Buffer.from(head, 'latin1')) sum += b
  return `${head}10=${String(sum % 256).padStart(3, '0')}\x01`
}

/**
 * The FIX session-layer answers to bad messages: garbled frames are ignored and their gap is
 * recovered by a resend; sound frames with a bad field get a session Reject with the reason,
 * RefTagID and RefSeqNum the test cases expect; SendingTime problems end the session.
 */
describe('FIX session: garbled messages ignored, session Rejects with the right reason', () => {
  const f = fixFixture(databaseTargets()[0], 'fixrej')
  const codecs = new Map<string, FixCodec>()

  before(async function () {
    this.timeout(30000)
    codecs.set('FIX.4.4', await FixCodec.create('FIX.4.4'))
    codecs.set('FIX.4.2', await FixCodec.create('FIX.4.2'))
  })

  async function session (
    beginString = 'FIX.4.4'
  ): Promise<{
    acc: Recorded
    peer: RawPeer
    tag: string
    H: (type: string, seq: number | string, extra?: string) => string
  }> {
    const tag = uniqueTag()
    const codec = codecs.get(beginString)!
    const rt = acceptorRuntime({ db: f.db, schema: f.schema, codec, tag, acceptor: { beginString } }, 0)
    f.running.push(rt)
    const acc = record(rt)
    await rt.start()
    const peer = await RawPeer.connect(rt.port!, codec, `CLI${tag}`, `BRK${tag}`, beginString)
    f.peers.push(peer)
    peer.logon()
    await peer.waitFor('A')
    const H = (type: string, seq: number | string, extra = ''): string =>
      `35=${type}|49=CLI${tag}|56=BRK${tag}|34=${seq}|52=${now()}|${extra}`
    return { acc, peer, tag, H }
  }

  async function alive (peer: RawPeer, id: string): Promise<void> {
    peer.send('1', `112=${id}${SOH}`)
    await peer.waitFor('0', m => m.get(112) === id, 5000)
  }

  describe('garbled messages', () => {
    const garbled: Array<[string, (H: (type: string, seq: number) => string, seq: number) => string]> = [
      [
        'wrong CheckSum',
        (H, s) =>
          frameOf(H('1', s) + '112=g|').replace(
            /10=(\d{3})\x01$/,
            (_m, d) => `10=${String((Number(d) + 7) % 256).padStart(3, '0')}\x01`
          )
      ],
      ['BodyLength too short', (H, s) => refit(frameOf(H('1', s) + '112=g|'), n => n - 4)],
      ['BodyLength too long', (H, s) => refit(frameOf(H('1', s) + '112=g|'), n => n + 4)],
      ['BodyLength not a number', (H, s) => frameOf(H('1', s) + '112=g|').replace(/\x019=\d+\x01/, '\x019=1x\x01')],
      ['BeginString missing', (H, s) => frameOf(H('1', s) + '112=g|').replace(/^8=FIX\.4\.4\x01/, '')],
      ['BodyLength missing', (H, s) => frameOf(H('1', s) + '112=g|').replace(/\x019=\d+\x01/, '\x01')],
      ['MsgType not third', (H, s) => frameOf(H('1', s).replace('35=1|', '') + '35=1|112=g|')],
      ['no trailer', (H, s) => frameOf(H('1', s) + '112=g|').replace(/10=\d{3}\x01$/, '')]
    ]
    for (const [name, make] of garbled) {
      it(`ignores a frame with ${name} (no Reject, MsgSeqNum not used) and recovers ` +
        'its number by a ResendRequest', async function () {
        this.timeout(20000)
        const { acc, peer, H } = await session()
        const seq = peer.nextSeq++
        peer.sendRaw(make(H, seq))
        await new Promise(resolve => setTimeout(resolve, 50))
        const next = peer.send('1', `112=after${SOH}`)
        const rr = await peer.waitFor('2', () => true, 5000)
        assert.strictEqual(rr.get(7), String(seq), 'the ResendRequest asks for the garbled number')
        // The peer fills its own gap: the held TestRequest is then answered.
        peer.send('4', `123=Y${SOH}36=${next}${SOH}`, { seq, possDup: true, orig: new Date() })
        await peer.waitFor('0', m => m.get(112) === 'after', 5000)
        assert.strictEqual(peer.ofType('3').length, 0, 'no Reject')
        assert.ok(acc.has('garbled'))
        await alive(peer, `${name}-alive`)
      })
    }
  })

  describe('session Rejects', () => {
    interface Case {
      name: string
      body: (H: (type: string, seq: number | string, extra?: string) => string, seq: number) => string
      reason?: string
      refTag?: string
      refMsgType?: string
      logout?: boolean
    }
    const cases: Case[] = [
      { name: 'tag 0', body: (H, s) => H('0', s, '0=HI|'), reason: '0', refTag: '0' },
      { name: 'a negative tag', body: (H, s) => H('0', s, '-1=HI|'), reason: '0', refTag: '-1' },
      { name: 'a tag that is not a number', body: (H, s) => H('0', s, 'abc=HI|'), reason: '0' },
      {
        name: 'an empty header field (TargetSubID)',
        body: (H, s) => H('1', s, '57=|112=x|'),
        reason: '4',
        refTag: '57'
      },
      { name: 'an empty body field', body: (H, s) => H('1', s, '112=|'), reason: '4', refTag: '112' },
      {
        name: 'header fields after the body',
        body: (_H, s) => `35=1|112=x|49=CLI$T|56=BRK$T|34=${s}|52=${now()}|`,
        reason: '14',
        refTag: '49'
      },
      {
        name: 'one body field before the header',
        body: (_H, s) => `35=1|112=x|34=${s}|49=CLI$T|56=BRK$T|52=${now()}|`,
        reason: '14',
        refTag: '34'
      },
      {
        name: 'a NumInGroup that does not match its entries',
        body: (H, s) => H('D', s, '11=G1|21=1|55=IBM|386=3|336=PRE|336=POST|54=1|60=' + now() + '|38=100|40=1|'),
        reason: '16',
        refTag: '386',
        refMsgType: 'D'
      },
      {
        name: 'PossDupFlag without OrigSendingTime',
        body: (H, s) => H('1', s).replace('|52=', '|43=Y|52=') + '112=x|',
        reason: '1',
        refTag: '122'
      },
      {
        name: 'SendingTime 5 minutes off',
        body: (H, s) => H('1', s).replace(/52=[^|]+/, `52=${formatUtc(new Date(Date.now() - 300000))}`) + '112=x|',
        reason: '10',
        logout: true
      },
      {
        name: 'OrigSendingTime later than SendingTime',
        body: (H, s) =>
          H('1', s).replace('|52=', `|43=Y|122=${formatUtc(new Date(Date.now() + 10000))}|52=`) + '112=x|',
        reason: '10',
        logout: true
      }
    ]
    for (const c of cases) {
      it(`rejects ${c.name} with 373=${c.reason ?? '-'}${c.refTag !== undefined ? ` 371=${c.refTag}` : ''} and ` +
        `45=its MsgSeqNum${c.logout === true ? ', then logs out' : ', and carries on'}`, async function () {
        this.timeout(20000)
        const { acc, peer, tag, H } = await session()
        const seq = peer.nextSeq++
        peer.sendRaw(frameOf(c.body(H, seq).replace(/\$T/g, tag)))
        const rej = await peer.waitFor('3', () => true, 5000)
        assert.strictEqual(rej.get(45), String(seq))
        assert.strictEqual(rej.get(373), c.reason)
        assert.strictEqual(rej.get(371), c.refTag)
        if (c.refMsgType !== undefined) assert.strictEqual(rej.get(372), c.refMsgType)
        if (c.logout === true) {
          await peer.waitFor('5', () => true, 5000)
        } else {
          await alive(peer, 'after-reject')
          assert.strictEqual(acc.runtime.session.phase, 'logged-on')
        }
      })
    }

    it('rejects a PossDup repeat whose OrigSendingTime is later than ' +
      'its SendingTime, then logs out', async function () {
      this.timeout(20000)
      const { peer } = await session()
      peer.sendBody('D', nos('R1'))
      const old = peer.sendBody('D', nos('R2'))
      await alive(peer, 'two-orders-in')
      peer.send('D', peer.codec.encodeBody('D', nos('R2')), {
        seq: old,
        possDup: true,
        orig: new Date(Date.now() + 10000)
      })
      peer.nextSeq = old + 2
      const rej = await peer.waitFor('3', () => true, 5000)
      assert.strictEqual(rej.get(45), String(old))
      assert.strictEqual(rej.get(373), '10')
      await peer.waitFor('5', () => true, 5000)
    })

    it('FIX.4.2: a NumInGroup mismatch names the tag but leaves out 373=16, ' +
      'which FIX.4.2 does not define', async function () {
      this.timeout(20000)
      const { peer, H } = await session('FIX.4.2')
      const seq = peer.nextSeq++
      peer.sendRaw(
        frameOf(H('D', seq, '11=G1|21=1|55=IBM|386=3|336=PRE|336=POST|54=1|60=' + now() + '|40=1|38=100|'), 'FIX.4.2')
      )
      const rej = await peer.waitFor('3', () => true, 5000)
      assert.strictEqual(rej.get(45), String(seq))
      assert.strictEqual(rej.get(371), '386')
      assert.strictEqual(rej.get(373), undefined)
      assert.match(rej.get(58) ?? '', /NumInGroup/)
      await alive(peer, 'after-42-reject')
    })
  })
})
