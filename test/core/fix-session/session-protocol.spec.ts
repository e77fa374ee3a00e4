import * as assert from 'assert'
import { SOH } from '../../../core/fix-session'
import { describeEachDatabase, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { acceptorRuntime, er, frameText, loggedOnPeer, nos, now, RawPeer, record, Recorded, uniqueTag } from './support'

/** Protocol behaviour against a hand-driven FIX peer on a real socket (the peer is the initiator). */
describeEachDatabase('FIX session protocol against a raw FIX peer', target => {
  const f = fixFixture(target, 'fixproto')
  const { running, peers } = f

  const session = async (logon: { heartBtInt?: number } = {}): Promise<{ acc: Recorded, peer: RawPeer, tag: string }> =>
    await loggedOnPeer(f, {}, logon)

  /** Proves the session is up and expects exactly `peer.nextSeq` next: a TestRequest must come back as a Heartbeat. */
  async function alive (peer: RawPeer, id: string): Promise<void> {
    const resends = peer.ofType('2').length
    peer.send('1', `112=${id}${SOH}`)
    await peer.waitFor('0', m => m.get(112) === id, 5000)
    assert.strictEqual(peer.ofType('2').length, resends, 'no new ResendRequest: the session expected this number')
    assert.strictEqual(peer.ofType('5').length, 0, 'no Logout')
  }

  it('answers a TestRequest with a Heartbeat carrying its TestReqID', async function () {
    this.timeout(20000)
    const { peer } = await session()
    await alive(peer, 'T-1')
  })

  it('sends heartbeats, then a TestRequest when the peer is silent, then logs out with a reason', async function () {
    this.timeout(20000)
    const { peer, acc } = await session({ heartBtInt: 1 })
    const tr = await peer.waitFor('1', () => true, 8000)
    assert.ok(tr.get(112) !== undefined)
    assert.ok(peer.ofType('0').length >= 1, 'a Heartbeat came first')
    const logout = await peer.waitFor('5', () => true, 8000)
    assert.match(logout.get(58)!, /TestRequest/)
    await acc.waitEvent('disconnected')
  })

  it('keeps the session when an application message arrives while a TestRequest is outstanding', async function () {
    this.timeout(20000)
    const { peer, acc } = await session({ heartBtInt: 1 })
    const tr = await peer.waitFor('1', () => true, 8000)
    peer.sendBody('D', nos('DURING-TR'))
    await eventually(() => acc.messages.length === 1)
    peer.send('0', `112=${tr.get(112)!}${SOH}`)
    await alive(peer, 'after-TR')
    assert.strictEqual(acc.runtime.session.phase, 'logged-on')
  })

  it('answers a ResendRequest with the original application messages (PossDup, ' +
    'OrigSendingTime) and gap fills for admin ones', async function () {
    this.timeout(20000)
    const { peer, acc } = await session()
    await acc.runtime.send({ msgType: '8', body: er('R1', 1) })
    await acc.runtime.send({ msgType: '8', body: er('R2', 2) })
    const originals = [
      await peer.waitFor('8', m => m.get(11) === 'R1'),
      await peer.waitFor('8', m => m.get(11) === 'R2')
    ]
    await alive(peer, 'before-resend') // our Heartbeat answer is seq 4
    const count = peer.received.length
    peer.send('2', `7=1${SOH}16=0${SOH}`)
    await eventually(() => peer.received.length >= count + 4)
    const replay = peer.received.slice(count)
    assert.deepStrictEqual(
      replay.map(m => [m.get(35), m.get(34), m.get(43)]),
      [
        ['4', '1', 'Y'], // the Logon: gap fill
        ['8', '2', 'Y'],
        ['8', '3', 'Y'],
        ['4', '4', 'Y'] // the Heartbeat: gap fill
      ]
    )
    assert.strictEqual(replay[0].get(123), 'Y')
    assert.strictEqual(replay[0].get(36), '2')
    assert.strictEqual(replay[3].get(36), '5')
    assert.strictEqual(replay[1].get(122), originals[0].get(52), 'OrigSendingTime is the first SendingTime')
    assert.strictEqual(replay[2].get(11), 'R2')
    assert.strictEqual(replay[2].get(122), originals[1].get(52))
    await alive(peer, 'after-resend')
  })

  it('holds messages after a gap, asks for a resend and delivers ' +
    'everything once, in sequence order', async function () {
    this.timeout(20000)
    const { peer, acc } = await session()
    peer.sendBody('D', nos('G2')) // 2
    peer.nextSeq++ // 3 is "lost"
    peer.sendBody('D', nos('G4')) // 4
    peer.sendBody('D', nos('G5')) // 5
    const rr = await peer.waitFor('2')
    assert.deepStrictEqual([rr.get(7), rr.get(16)], ['3', '0'])
    await eventually(() => acc.messages.length === 1)
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.deepStrictEqual(acc.messages.map(m => m.body.ClOrdID), ['G2'], 'held until the gap fills')
    const orig = new Date(Date.now() - 1000)
    peer.sendBody('D', nos('G3'), { seq: 3, possDup: true, orig })
    peer.sendBody('D', nos('G4'), { seq: 4, possDup: true, orig })
    peer.sendBody('D', nos('G5'), { seq: 5, possDup: true, orig })
    peer.nextSeq = 6
    await acc.waitEvent('gap-filled')
    await alive(peer, 'after-gap')
    assert.deepStrictEqual(acc.messages.map(m => m.body.ClOrdID), ['G2', 'G3', 'G4', 'G5'])
    assert.ok(acc.has('duplicate-dropped', e => e.seq === 4) && acc.has('duplicate-dropped', e => e.seq === 5))
    const rows = await f.db.query<{ cl_ord_id: string }>(
      `SELECT cl_ord_id FROM "${f.schema}".fix_in WHERE session_name = $1 ORDER BY receive_seq`,
      [acc.runtime.session.name]
    )
    assert.deepStrictEqual(rows.rows.map(r => r.cl_ord_id), ['G2', 'G3', 'G4', 'G5'])
  })

  it('fills a gap with SequenceReset-GapFill and rejects one that would lower the number', async function () {
    this.timeout(20000)
    const { peer, acc } = await session()
    peer.nextSeq = 4
    peer.sendBody('D', nos('F4')) // 4, gap 2-3
    await peer.waitFor('2')
    peer.send('4', `123=Y${SOH}36=4${SOH}`, { seq: 2, possDup: true, orig: new Date() })
    await eventually(() => acc.messages.length === 1)
    assert.strictEqual(acc.messages[0].body.ClOrdID, 'F4')
    peer.nextSeq = 5
    peer.send('4', `123=Y${SOH}36=3${SOH}`) // 5, NewSeqNo lower
    const rej = await peer.waitFor('3', m => m.get(45) === '5')
    assert.deepStrictEqual([rej.get(373), rej.get(371)], ['5', '36'])
    await alive(peer, 'after-gapfill')
  })

  it('applies SequenceReset-Reset whatever its MsgSeqNum, and rejects a lowering one', async function () {
    this.timeout(20000)
    const { peer, acc } = await session()
    peer.send('4', `36=20${SOH}`, { seq: 999 })
    await acc.waitEvent('sequence-reset', e => e.newSeqNo === 20)
    peer.nextSeq = 20
    peer.sendBody('D', nos('S20'))
    await eventually(() => acc.messages.length === 1)
    assert.strictEqual(acc.messages[0].seq, 20)
    peer.send('4', `36=5${SOH}`, { seq: 1 })
    const rej = await peer.waitFor('3', m => m.get(371) === '36')
    assert.strictEqual(rej.get(373), '5')
    peer.nextSeq = 21
    await alive(peer, 'after-reset')
  })

  it('drops PossDup repeats it has seen, and logs out on a low MsgSeqNum without PossDup', async function () {
    this.timeout(20000)
    const { peer, acc } = await session()
    peer.sendBody('D', nos('P2'))
    await eventually(() => acc.messages.length === 1)
    peer.sendBody('D', nos('P2'), { seq: 2, possDup: true, orig: new Date() })
    await acc.waitEvent('duplicate-dropped', e => e.seq === 2)
    peer.nextSeq = 3
    await alive(peer, 'after-dup')
    peer.sendBody('D', nos('LOW'), { seq: 2 })
    const logout = await peer.waitFor('5')
    assert.match(logout.get(58)!, /MsgSeqNum too low, expecting 4 but received 2/)
    assert.strictEqual(acc.messages.length, 1)
  })

  it('survives 600 randomly damaged frames without throwing, then accepts a clean logon', async function () {
    this.timeout(60000)
    const { peer, acc, tag } = await session()
    let seed = 0x5eed
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const templates = [
      (q: number) =>
        frameText(
          `35=D|49=CLI${tag}|56=BRK${tag}|34=${q}|52=${now()}|` +
            f.codec.encodeBody('D', nos(`Z${q}`)).replace(/\x01/g, '|')
        ),
      (q: number) => frameText(`35=1|49=CLI${tag}|56=BRK${tag}|34=${q}|52=${now()}|112=fz|`),
      (q: number) => frameText(`35=2|49=CLI${tag}|56=BRK${tag}|34=${q}|52=${now()}|7=1|16=0|`),
      (q: number) => frameText(`35=4|49=CLI${tag}|56=BRK${tag}|34=${q}|52=${now()}|123=Y|36=${q + 1}|`),
      (q: number) => frameText(`35=0|49=CLI${tag}|56=BRK${tag}|34=${q}|52=${now()}|`)
    ]
    for (let i = 0; i < 600; i++) {
      const buf = Buffer.from(templates[rnd(templates.length)](peer.nextSeq++), 'latin1')
      const damage = rnd(5)
      const at = rnd(buf.length)
      let out: Buffer
      if (damage === 0) { // flip one byte
        out = Buffer.from(buf)
        out[at] = rnd(256)
      } else if (damage === 1) { // truncate
        out = buf.subarray(0, at)
      } else if (damage === 2) { // insert
        out = Buffer.concat([buf.subarray(0, at), Buffer.from([rnd(256), rnd(256)]), buf.subarray(at)])
      } else if (damage === 3) { // delete
        out = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + 1 + rnd(8)))])
      } else { // intact
        out = buf
      }
      if (peer.closed) break
      peer.sendRaw(out)
      if (i % 50 === 0) await new Promise(resolve => setTimeout(resolve, 10))
    }
    await new Promise(resolve => setTimeout(resolve, 500))
    peer.close()
    await eventually(() => !acc.runtime.session.connected, 10000, 'the fuzzed connection to close')
    const fresh = await RawPeer.connect(acc.runtime.port!, f.codec, `CLI${tag}`, `BRK${tag}`)
    peers.push(fresh)
    fresh.logon({ reset: true })
    const answer = await fresh.waitFor('A')
    assert.strictEqual(answer.get(141), 'Y')
    await alive(fresh, 'after-fuzz')
    assert.ok(
      !acc.has('error', e => !/transport/.test(e.text)),
      `no internal error: ${JSON.stringify(acc.events.filter(e => e.type === 'error'))}`
    )
  })

  describe('malformed input, answered per protocol with the session kept up', () => {
    let unknownTag = 0
    before(() => {
      for (let t = 5000; t < 10000; t++) if (f.codec.definitions.tagToSimple[t] === undefined) { unknownTag = t; break }
    })
    const H = (
      tag: string,
      seq: number | string | undefined,
      type = '1',
      o: { sender?: string; target?: string; time?: string } = {}
    ): string =>
      `35=${type}|` +
      (o.sender === '' ? '' : `49=${o.sender ?? `CLI${tag}`}|`) +
      (o.target === '' ? '' : `56=${o.target ?? `BRK${tag}`}|`) +
      (seq === undefined ? '' : `34=${seq}|`) +
      (o.time === '' ? '' : `52=${o.time ?? now()}|`)
    const nosBody = (): string => f.codec.encodeBody('D', nos('M1')).replace(/\x01/g, '|')
    /** The frame with BodyLength changed and the CheckSum recomputed over the bytes as sent. */
    const refit = (f: string, len: (n: number) => number): string => {
      const head = f.slice(0, -7).replace(/\x019=(\d+)\x01/, (_m, n) => `\x019=${len(Number(n))}\x01`)
      let sum = 0
      for (const b of Buffer.from(head, 'latin1')) sum += b
      return `${head}10=${String(sum % 256).padStart(3, '0')}\x01`
    }
    const spoilChecksum = (f: string): string =>
      f.replace(/10=(\d{3})\x01$/, (_m, d) => `10=${String((Number(d) + 1) % 256).padStart(3, '0')}\x01`)

    interface Case {
      name: string
      frame: (tag: string, seq: number) => string
      reject?: { reason?: string; refTag?: string; refSeq?: 'seq' | '0'; text?: RegExp }
      consumes: boolean
    }
    const cases: Case[] = [
      // Garbled frames are ignored, as FIX says (the gap they leave is recovered by a resend: see
      // session-rejects.spec).
      { name: 'wrong CheckSum', frame: (t, s) => spoilChecksum(frameText(H(t, s) + '112=x|')), consumes: false },
      {
        name: 'CheckSum not three digits',
        frame: (t, s) => frameText(H(t, s) + '112=x|').replace(/10=\d{3}\x01$/, '10=7\x01'),
        consumes: false
      },
      // A sender whose BodyLength is wrong still sums the bytes it sends: the CheckSum fits them.
      {
        name: 'BodyLength too short',
        frame: (t, s) => refit(frameText(H(t, s) + '112=x|'), n => n - 3),
        consumes: false
      },
      {
        name: 'BodyLength too long',
        frame: (t, s) => refit(frameText(H(t, s) + '112=x|'), n => n + 5),
        consumes: false
      },
      {
        name: 'BodyLength not a number',
        frame: (t, s) => frameText(H(t, s) + '112=x|').replace(/\x019=(\d+)\x01/, '\x019=abc\x01'),
        consumes: false
      },
      {
        name: 'BodyLength and CheckSum both wrong',
        frame: (t, s) => spoilChecksum(refit(frameText(H(t, s) + '112=x|'), n => n - 2)),
        consumes: false
      },
      {
        name: 'BodyLength wrong and no trailer before the next frame',
        frame: (t, s) =>
          frameText(H(t, s) + '112=x|')
            .replace(/\x019=(\d+)\x01/, (_m, n) => `\x019=${Number(n) - 3}\x01`)
            .replace(/10=\d{3}\x01$/, ''),
        consumes: false
      },
      { name: 'garbage between frames', frame: () => 'hello, this is not FIX\r\n', consumes: false },
      {
        name: 'MsgType not the third field',
        frame: (t, s) => frameText(`49=CLI${t}|35=1|56=BRK${t}|34=${s}|52=${now()}|112=x|`),
        consumes: false
      },
      {
        name: 'not SOH-delimited at all',
        frame: (t, s) => frameText(H(t, s) + '112=x|').replace(/\x01/g, ';'),
        consumes: false
      },
      {
        name: 'MsgSeqNum missing',
        frame: t => frameText(H(t, undefined) + '112=x|'),
        reject: { reason: '1', refTag: '34', refSeq: '0' },
        consumes: false
      },
      {
        name: 'MsgSeqNum not a number',
        frame: t => frameText(H(t, 'abc') + '112=x|'),
        reject: { reason: '6', refTag: '34', refSeq: '0' },
        consumes: false
      },
      {
        name: 'SenderCompID missing',
        frame: (t, s) => frameText(H(t, s, '1', { sender: '' }) + '112=x|'),
        reject: { reason: '1', refTag: '49', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'TargetCompID missing',
        frame: (t, s) => frameText(H(t, s, '1', { target: '' }) + '112=x|'),
        reject: { reason: '1', refTag: '56', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'SendingTime missing',
        frame: (t, s) => frameText(H(t, s, '1', { time: '' }) + '112=x|'),
        reject: { reason: '1', refTag: '52', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'SendingTime malformed',
        frame: (t, s) => frameText(H(t, s, '1', { time: '2024-01-01T00:00:00Z' }) + '112=x|'),
        reject: { reason: '6', refTag: '52', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'unknown MsgType',
        frame: (t, s) => frameText(H(t, s, 'ZZ') + '58=x|'),
        reject: { reason: '11', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'tag unknown to the dictionary',
        frame: (t, s) => frameText(H(t, s) + `112=x|${unknownTag}=1|`),
        reject: { reason: '0', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'tag not defined for the message type',
        frame: (t, s) => frameText(H(t, s) + '112=x|44=1|'),
        reject: { reason: '2', refTag: '44', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'tag without a value',
        frame: (t, s) => frameText(H(t, s) + '112=|'),
        reject: { reason: '4', refTag: '112', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'incorrect data format (OrderQty=abc)',
        frame: (t, s) => frameText(H(t, s, 'D') + nosBody().replace('38=100', '38=abc')),
        reject: { reason: '6', refTag: '38', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'value out of range (Side=Z)',
        frame: (t, s) => frameText(H(t, s, 'D') + nosBody().replace('54=1', '54=Z')),
        reject: { reason: '5', refTag: '54', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'required body field missing (ClOrdID)',
        frame: (t, s) => frameText(H(t, s, 'D') + nosBody().replace('11=M1|', '')),
        reject: { reason: '1', refTag: '11', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'tag repeated',
        frame: (t, s) => frameText(H(t, s, 'D') + nosBody().replace('11=M1|', '11=M1|11=M2|')),
        reject: { reason: '13', refTag: '11', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'SequenceReset without NewSeqNo',
        frame: (t, s) => frameText(H(t, s, '4') + '123=Y|'),
        reject: { reason: '1', refTag: '36', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'Logon while logged on',
        frame: (t, s) => frameText(H(t, s, 'A') + '98=0|108=30|'),
        reject: { refSeq: 'seq', text: /already logged on/ },
        consumes: true
      },
      {
        name: 'expected seq with PossDup but no OrigSendingTime',
        frame: (t, s) => frameText(H(t, s).replace('|52=', '|43=Y|52=') + '112=x|'),
        reject: { reason: '1', refTag: '122', refSeq: 'seq' },
        consumes: true
      },
      {
        name: 'PossDup repeat without OrigSendingTime',
        frame: (t, s) => frameText(H(t, Math.max(1, s - 1)).replace('|52=', '|43=Y|52=') + '112=x|'),
        reject: { reason: '1', refTag: '122', refSeq: 'seq' },
        consumes: false
      }
    ]

    it(`answers ${cases.length} kinds of malformed frames per ` +
      'protocol, in one session that stays up', async function () {
      this.timeout(60000)
      const { peer, acc, tag } = await session()
      const results: string[] = []
      for (const [i, c] of cases.entries()) {
        const seq = peer.nextSeq
        const before = peer.ofType('3').length
        peer.sendRaw(Buffer.from(c.frame(tag, seq).replace(/\|/g, SOH), 'latin1'))
        if (c.reject !== undefined) {
          const rej = await peer.waitFor('3', m => peer.ofType('3').indexOf(m) >= before, 5000).catch(() => undefined)
          if (rej === undefined) {
            results.push(`${c.name}: no Reject`)
            continue
          }
          const want = c.reject
          const refSeq = want.refSeq === '0' ? '0' : c.name.startsWith('PossDup') ? String(seq - 1) : String(seq)
          const got = `373=${rej.get(373)} 371=${rej.get(371)} 45=${rej.get(45)}`
          if (
            (want.reason !== undefined && rej.get(373) !== want.reason) ||
            (want.refTag !== undefined && rej.get(371) !== want.refTag) ||
            rej.get(45) !== refSeq ||
            (want.text !== undefined && !want.text.test(rej.get(58) ?? ''))
          ) {
            results.push(`${c.name}: got ${got} "${rej.get(58) ?? ''}"`)
          }
          if (rej.get(58) === undefined) results.push(`${c.name}: Reject without text`)
        }
        if (c.consumes) peer.nextSeq++
        try {
          await alive(peer, `after-${i}`)
        } catch (err) {
          results.push(`${c.name}: session not in step afterwards: ${(err as Error).message}`)
          break
        }
        if (c.reject === undefined && peer.ofType('3').length !== before) results.push(`${c.name}: unexpected Reject`)
      }
      assert.deepStrictEqual(results, [])
      assert.strictEqual(acc.runtime.session.phase, 'logged-on')
      assert.strictEqual(acc.messages.length, 0, 'nothing malformed reached the flow')
      assert.ok(cases.length >= 20)
    })

    it('logs out on a wrong BeginString', async function () {
      this.timeout(20000)
      const { peer, tag } = await session()
      peer.sendRaw(refit(frameText(H(tag, peer.nextSeq) + '112=x|').replace('8=FIX.4.4', '8=FIX.4.2'), n => n))
      const logout = await peer.waitFor('5')
      assert.match(logout.get(58)!, /Incorrect BeginString/)
    })

    it('rejects and logs out on a wrong CompID after logon', async function () {
      this.timeout(20000)
      const { peer, tag } = await session()
      peer.sendRaw(frameText(H(tag, peer.nextSeq, '1', { sender: 'EVIL' }) + '112=x|'))
      const rej = await peer.waitFor('3')
      assert.strictEqual(rej.get(373), '9')
      const logout = await peer.waitFor('5')
      assert.match(logout.get(58)!, /Incorrect CompIDs/)
    })

    it('closes a connection whose first message is not a Logon', async function () {
      this.timeout(20000)
      const tag = uniqueTag()
      const rt = acceptorRuntime({ db: f.db, schema: f.schema, codec: f.codec, tag }, 0)
      running.push(rt)
      const acc = record(rt)
      await rt.start()
      const peer = await RawPeer.connect(rt.port!, f.codec, `CLI${tag}`, `BRK${tag}`)
      peers.push(peer)
      peer.sendBody('D', nos('NOLOGON'))
      await eventually(() => peer.closed)
      assert.strictEqual(peer.received.length, 0, 'closed without a word')
      assert.ok(acc.statuses.some(s => /not a valid Logon/.test(s)), acc.statuses.join('; '))
      assert.strictEqual(acc.messages.length, 0)
    })
  })
})
