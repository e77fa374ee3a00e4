import * as assert from 'assert'
import * as fs from 'fs'
import { Database, migrate } from '../../core'
import { FixCodec } from '../../core/fix/codec'
import { SessionRuntime } from '../../core/fix-session'
import { describeEachDatabase, dropSchema, eventually, tempDir, uniqueSchema } from '../support/databases'
import {
  acceptorRuntime,
  er,
  freePort,
  initiatorRuntime,
  nos,
  record,
  Recorded,
  uniqueTag
} from '../core/fix-session/support'
import { counterpartyBinary, describeWithQuickfix, QuickfixCounterparty } from '../support/quickfix'

/**
 * The pack's session layer against QuickFIX/C++ 1.15 (another engine, with its own session layer,
 * FileStore and dictionary validation on), over real sockets on 127.0.0.1.
 */
/** Stops our sessions and the QuickFIX processes of a test; prints QuickFIX's transcript when it failed. */
async function cleanUp (
  failed: boolean,
  running: SessionRuntime[],
  counterparties: QuickfixCounterparty[]
): Promise<void> {
  if (failed || process.env.QF_TRACE === '1') {
    for (const q of counterparties) console.log(`--- QuickFIX transcript ---\n${q.transcript()}\n${q.stderr}`)
  }
  for (const r of running.splice(0)) await r.stop().catch(() => {})
  for (const q of counterparties.splice(0)) {
    await q.stop()
    q.kill()
    fs.rmSync(q.o.dir, { recursive: true, force: true })
  }
}

describeWithQuickfix('FIX session interop with QuickFIX/C++', () => {
  describeEachDatabase('FIX.4.4', target => {
    let db: Database
    let schema: string
    let codec: FixCodec
    const running: SessionRuntime[] = []
    const counterparties: QuickfixCounterparty[] = []

    before(async function () {
      this.timeout(120000)
      counterpartyBinary() // builds it on the first run (a few seconds)
      db = await target.open()
      schema = uniqueSchema('fixqf')
      await migrate(db, schema)
      codec = await FixCodec.create('FIX.4.4')
    })
    afterEach(async function () {
      await cleanUp(this.currentTest?.state === 'failed', running, counterparties)
    })
    after(async () => {
      await dropSchema(db, schema)
      await db.close()
    })

    /** Our initiator (CLI<tag>) against a QuickFIX acceptor (BRK<tag>). */
    async function toQuickfixAcceptor (
      heartBtInt = 30,
      dir = tempDir('fix-qf-')
    ): Promise<{ qf: QuickfixCounterparty; rt: SessionRuntime; us: Recorded; tag: string; port: number }> {
      const tag = uniqueTag()
      const port = await freePort()
      const qf = new QuickfixCounterparty({
        role: 'acceptor',
        port,
        senderCompID: `BRK${tag}`,
        targetCompID: `CLI${tag}`,
        dir
      })
      counterparties.push(qf)
      await qf.start()
      const rt = initiatorRuntime({ db, schema, codec, tag, initiator: { heartBtInt } }, port)
      running.push(rt)
      const us = record(rt)
      await rt.start()
      await us.waitEvent('logon')
      await qf.waitFor('logon', () => qf.lines.some(l => l.ev === 'logon'))
      return { qf, rt, us, tag, port }
    }

    /** A QuickFIX initiator (CLI<tag>) against our acceptor (BRK<tag>). */
    async function fromQuickfixInitiator (
      heartBtInt = 30
    ): Promise<{ qf: QuickfixCounterparty; rt: SessionRuntime; us: Recorded; tag: string }> {
      const tag = uniqueTag()
      const rt = acceptorRuntime({ db, schema, codec, tag }, 0)
      running.push(rt)
      const us = record(rt)
      await rt.start()
      const qf = new QuickfixCounterparty({
        role: 'initiator',
        port: rt.port!,
        senderCompID: `CLI${tag}`,
        targetCompID: `BRK${tag}`,
        heartBtInt,
        dir: tempDir('fix-qf-')
      })
      counterparties.push(qf)
      await qf.start()
      await us.waitEvent('logon', undefined, 15000)
      await qf.waitFor('logon', () => qf.lines.some(l => l.ev === 'logon'))
      return { qf, rt, us, tag }
    }

    function assertNoRejects (qf: QuickfixCounterparty, us: Recorded): void {
      assert.deepStrictEqual(qf.rejectsSent.map(m => m.raw), [], 'QuickFIX rejected nothing we sent')
      assert.deepStrictEqual(us.events.filter(e => e.type === 'reject-sent'), [], 'we rejected nothing QuickFIX sent')
      assert.ok(
        !qf.received.some(m => m.get(141) === 'Y') && !qf.sent.some(m => m.get(141) === 'Y'),
        'no sequence reset'
      )
    }

    it('our initiator logs on to a QuickFIX acceptor (bound to 127.0.0.1), orders out, ' +
      'execution reports back, logout', async function () {
      this.timeout(30000)
      const { qf, rt, us } = await toQuickfixAcceptor()
      const listening = fs
        .readFileSync('/proc/net/tcp', 'utf8')
        .split('\n')
        .filter(l => / 0A /.test(l) && l.includes(`:${qf.o.port.toString(16).toUpperCase().padStart(4, '0')} `))
      assert.ok(
        listening.length > 0 && listening.every(l => l.trim().split(/\s+/)[1].startsWith('0100007F:')),
        `QuickFIX listens on 127.0.0.1 only: ${listening.join('; ')}`
      )
      // With a repeating group (Parties) on one order: QuickFIX checks its structure.
      const parties = {
        NoPartyIDs: [
          { PartyID: 'US-1', PartyIDSource: 'D', PartyRole: '3' },
          { PartyID: 'US-2', PartyIDSource: 'D', PartyRole: '11' }
        ]
      }
      for (const id of ['Q1', 'Q2', 'Q3']) {
        await rt.send({ msgType: 'D', body: id === 'Q2' ? { ...nos(id), Parties: parties } : nos(id) })
      }
      await eventually(() => us.messages.length === 6, 10000, 'six execution reports')
      assert.deepStrictEqual(
        us.messages.map(m => `${m.body.ClOrdID as string}:${m.body.ExecType as string}`),
        ['Q1:0', 'Q1:F', 'Q2:0', 'Q2:F', 'Q3:0', 'Q3:F']
      )
      assert.deepStrictEqual(
        qf.app.map(m => m.get(11)),
        ['Q1', 'Q2', 'Q3'],
        'the orders passed QuickFIX validation'
      )
      assert.match(qf.app[1].raw, /\|453=2\|448=US-1\|447=D\|452=3\|448=US-2\|447=D\|452=11\|/)
      // QuickFIX's fills carry two Parties entries: parsed as a group.
      assert.deepStrictEqual(
        (us.messages[1].body.Parties as any).NoPartyIDs.map((p: any) => p.PartyID),
        ['QF-BROKER', 'QF-DESK']
      )
      assertNoRejects(qf, us)
      await rt.stop()
      await us.waitEvent('logout', e => e.initiatedBy === 'us')
      await qf.waitFor('logout', () => qf.lines.some(l => l.ev === 'logout'))
      assert.strictEqual(qf.receivedOfType('5').length, 1)
      assert.strictEqual(qf.sentOfType('5').length, 1, 'QuickFIX confirmed our Logout')
    })

    it('a QuickFIX initiator logs on to our acceptor, orders in, execution ' +
      'reports out, QuickFIX logs out', async function () {
      this.timeout(30000)
      const { qf, rt, us } = await fromQuickfixInitiator()
      for (const id of ['R1', 'R2']) await qf.command(`order ${id}`)
      await eventually(() => us.messages.length === 2, 10000, 'two orders')
      assert.deepStrictEqual(us.messages.map(m => m.body.ClOrdID), ['R1', 'R2'])
      for (const m of us.messages) {
        await rt.send({
          msgType: '8',
          body: {
            ...er(m.body.ClOrdID as string, 1),
            ExecType: '0',
            OrdStatus: '0',
            LeavesQty: 100,
            CumQty: 0,
            AvgPx: 0,
            LastQty: 0,
            LastPx: 0
          }
        })
        await rt.send({ msgType: '8', body: er(m.body.ClOrdID as string, 2) })
      }
      await qf.waitFor('four execution reports', () => qf.app.length === 4)
      assert.deepStrictEqual(qf.app.map(m => `${m.get(11)!}:${m.get(150)!}`), ['R1:0', 'R1:F', 'R2:0', 'R2:F'])
      assertNoRejects(qf, us)
      await qf.command('logout bye')
      await us.waitEvent('logout', e => e.initiatedBy === 'peer')
      await qf.waitFor('logout', () => qf.lines.some(l => l.ev === 'logout'))
      assert.strictEqual(qf.receivedOfType('5').length, 1, 'we confirmed the Logout')
      const st = await qf.status()
      assert.strictEqual(st.nextTarget, rt.session.state.nextSenderSeq, 'QuickFIX expects the number we send next')
      assert.strictEqual(st.nextSender, rt.session.state.nextTargetSeq, 'we expect the number QuickFIX sends next')
    })

    it('heartbeats both ways, answers QuickFIX\'s TestRequest, and QuickFIX ' +
      'answers ours when it fell silent', async function () {
      this.timeout(40000)
      const { qf, rt, us } = await fromQuickfixInitiator(2)
      await qf.waitFor(
        'heartbeats both ways',
        () => qf.receivedOfType('0').length >= 2 && qf.sentOfType('0').length >= 2,
        15000
      )
      await qf.command('testrequest QF-TR-1')
      await qf.waitFor('our Heartbeat answering the TestRequest', () =>
        qf.receivedOfType('0').some(m => m.get(112) === 'QF-TR-1')
      )
      // QuickFIX frozen: we hear nothing for 1.2 x HeartBtInt and send a TestRequest; thawed, it answers.
      qf.pause()
      let thawed = false
      try {
        const sent = await us.waitEvent('test-request-sent', undefined, 10000)
        qf.resume()
        thawed = true
        await qf.waitFor("QuickFIX's Heartbeat answering our TestRequest", () =>
          qf.sentOfType('0').some(m => m.get(112) === sent.id)
        )
      } finally {
        if (!thawed) qf.resume()
      }
      await new Promise(resolve => setTimeout(resolve, 2500))
      assert.strictEqual(rt.session.phase, 'logged-on')
      assert.ok((await qf.status()).loggedOn)
      assertNoRejects(qf, us)
      assert.strictEqual(qf.sentOfType('5').length + qf.receivedOfType('5').length, 0, 'no Logout')
    })

    it('answers QuickFIX\'s ResendRequest with the original orders (PossDupFlag=Y, ' +
      'OrigSendingTime) and gap fills, no reset', async function () {
      this.timeout(40000)
      const dir = tempDir('fix-qf-')
      const first = await toQuickfixAcceptor(30, dir)
      const seqs: number[] = []
      for (const id of ['G1', 'G2', 'G3']) seqs.push((await first.rt.send({ msgType: 'D', body: nos(id) })).seq)
      await eventually(() => first.us.messages.length === 6, 10000, 'six execution reports')
      const original = first.qf.receivedOfType('D').map(m => ({ seq: m.get(34), time: m.get(52) }))
      await first.rt.stop()
      await first.qf.waitFor('logout', () => first.qf.lines.some(l => l.ev === 'logout'))
      // QuickFIX "lost" everything from our first order on: it must ask for it again.
      await first.qf.command(`seq - ${seqs[0]}`)
      const rt = initiatorRuntime({ db, schema, codec, tag: first.tag }, first.port)
      running.push(rt)
      const us = record(rt)
      const lastSent = (await first.rt.store.load()).nextSenderSeq - 1
      await rt.start()
      await us.waitEvent('resend', e => e.begin === seqs[0], 15000)
      const qf = first.qf
      await qf.waitFor('the resent orders', () => qf.receivedOfType('D').length === 6)
      const resent = qf.receivedOfType('D').slice(3)
      assert.deepStrictEqual(
        resent.map(m => [m.get(34), m.get(11), m.get(43)]),
        seqs.map((s, i) => [String(s), `G${i + 1}`, 'Y'])
      )
      assert.deepStrictEqual(
        resent.map(m => m.get(122)),
        original.map(o => o.time),
        'OrigSendingTime is the first SendingTime'
      )
      const gapFills = qf.receivedOfType('4')
      assert.ok(
        gapFills.length >= 1 && gapFills.every(m => m.get(123) === 'Y' && m.get(43) === 'Y'),
        'admin messages are gap-filled'
      )
      // Our Logout (lastSent) and the new Logon after it are session messages: one gap fill past both.
      assert.deepStrictEqual(gapFills.map(m => [Number(m.get(34)), Number(m.get(36))]), [[lastSent, lastSent + 2]])
      assert.strictEqual(qf.sentOfType('2').length, 1, 'one ResendRequest')
      const st = await qf.status()
      assert.strictEqual(st.nextTarget, rt.session.state.nextSenderSeq, 'QuickFIX is in step with us')
      assert.ok(qf.app.filter(m => m.get(43) === 'Y').length === 3, 'the resent orders passed QuickFIX validation')
      assertNoRejects(qf, us)
      // And the session goes on: a new order is answered.
      await rt.send({ msgType: 'D', body: nos('G4') })
      await eventually(() => us.messages.filter(m => m.body.ClOrdID === 'G4').length === 2, 10000, 'G4 answered')
    })

    it('asks QuickFIX to resend what it sent while we were down, and gets the ' +
      'real messages in order, no reset', async function () {
      this.timeout(40000)
      const first = await toQuickfixAcceptor()
      await first.rt.send({ msgType: 'D', body: nos('H1') })
      await eventually(() => first.us.messages.length === 2, 10000, 'H1 answered')
      await first.rt.stop()
      const qf = first.qf
      await qf.waitFor('logout', () => qf.lines.some(l => l.ev === 'logout'))
      // QuickFIX stores messages sent while logged out (under their numbers) and sends them on request.
      await qf.command('exec H2')
      await qf.command('exec H3')
      const rt = initiatorRuntime({ db, schema, codec, tag: first.tag }, first.port)
      running.push(rt)
      const us = record(rt)
      await rt.start()
      await us.waitEvent('gap-filled', undefined, 15000)
      await eventually(() => us.messages.length === 2, 10000, 'the two resent execution reports')
      assert.deepStrictEqual(
        us.messages.map(m => [m.body.ClOrdID, m.possDup]),
        [
          ['H2', true],
          ['H3', true]
        ]
      )
      assert.ok(us.has('resend-request-sent'))
      assert.strictEqual(qf.receivedOfType('2').length, 1, 'one ResendRequest')
      const resent = qf.sentOfType('8').filter(m => m.get(43) === 'Y')
      assert.deepStrictEqual(
        resent.map(m => m.get(11)),
        ['H2', 'H3']
      )
      const rows = await db.query(
        `SELECT cl_ord_id, poss_dup FROM "${schema}".fix_in WHERE session_name = $1 ORDER BY msg_seq_num`,
        [rt.session.name]
      )
      assert.deepStrictEqual(
        rows.rows.map((r: any) => r.cl_ord_id),
        ['H1', 'H1', 'H2', 'H3'],
        'fix_in holds each execution report once, in order'
      )
      const st = await qf.status()
      assert.strictEqual(st.nextSender, rt.session.state.nextTargetSeq)
      assert.strictEqual(st.nextTarget, rt.session.state.nextSenderSeq)
      assertNoRejects(qf, us)
    })

    it('continues both sequence numbers across a restart of our side: no reset, no resend', async function () {
      this.timeout(40000)
      const first = await toQuickfixAcceptor()
      await first.rt.send({ msgType: 'D', body: nos('S1') })
      await eventually(() => first.us.messages.length === 2, 10000, 'S1 answered')
      const before = { sender: first.rt.session.state.nextSenderSeq, target: first.rt.session.state.nextTargetSeq }
      await first.rt.stop()
      const qf = first.qf
      await qf.waitFor('logout', () => qf.lines.some(l => l.ev === 'logout'))
      const logons = qf.receivedOfType('A').length
      const rt = initiatorRuntime({ db, schema, codec, tag: first.tag }, first.port)
      running.push(rt)
      const us = record(rt)
      await rt.start()
      await us.waitEvent('logon', undefined, 15000)
      await qf.waitFor('second logon', () => qf.receivedOfType('A').length === logons + 1)
      const logon = qf.receivedOfType('A')[logons]
      // Our Logout took one number, QuickFIX's answer one: the Logon continues after them.
      assert.strictEqual(Number(logon.get(34)), before.sender + 1)
      assert.strictEqual(logon.get(141), undefined)
      await rt.send({ msgType: 'D', body: nos('S2') })
      await eventually(() => us.messages.length === 2, 10000, 'S2 answered')
      assert.strictEqual(Number(us.messages[0].seq), before.target + 2, 'QuickFIX\'s numbers continue too')
      assert.strictEqual(qf.receivedOfType('2').length + qf.sentOfType('2').length, 0, 'no ResendRequest either way')
      assertNoRejects(qf, us)
    })

    it('both sides missed messages: the two ResendRequests cross, both are ' +
      'answered, and both sides end in step', async function () {
      this.timeout(40000)
      const first = await toQuickfixAcceptor()
      const k1 = await first.rt.send({ msgType: 'D', body: nos('K1') })
      await eventually(() => first.us.messages.length === 2, 10000, 'K1 answered')
      await first.rt.stop()
      const qf = first.qf
      await qf.waitFor('logout', () => qf.lines.some(l => l.ev === 'logout'))
      await qf.command('exec K2')
      await qf.command(`seq - ${k1.seq}`)
      const rt = initiatorRuntime({ db, schema, codec, tag: first.tag }, first.port)
      running.push(rt)
      const us = record(rt)
      await rt.start()
      await eventually(() => us.messages.length === 1, 15000, 'K2 resent to us')
      assert.deepStrictEqual([us.messages[0].body.ClOrdID, us.messages[0].possDup], ['K2', true])
      await qf.waitFor('K1 resent to QuickFIX', () =>
        qf.receivedOfType('D').some(m => m.get(11) === 'K1' && m.get(43) === 'Y')
      )
      assert.strictEqual(qf.sentOfType('2').length, 1, 'QuickFIX asked once')
      assert.strictEqual(qf.receivedOfType('2').length, 1, 'we asked once')
      await rt.send({ msgType: 'D', body: nos('K3') })
      await eventually(() => us.messages.filter(m => m.body.ClOrdID === 'K3').length === 2, 10000, 'K3 answered')
      const st = await qf.status()
      assert.strictEqual(st.nextTarget, rt.session.state.nextSenderSeq)
      assert.strictEqual(st.nextSender, rt.session.state.nextTargetSeq)
      assert.ok(
        rt.session.state.held.size === 0 && rt.session.state.resend === undefined,
        'nothing held, no resend pending'
      )
      assertNoRejects(qf, us)
    })

    it('QuickFIX killed (SIGKILL) and restarted on its FileStore: our initiator ' +
      'reconnects and both numbers continue', async function () {
      this.timeout(40000)
      const dir = tempDir('fix-qf-')
      const first = await toQuickfixAcceptor(30, dir)
      await first.rt.send({ msgType: 'D', body: nos('L1') })
      await eventually(() => first.us.messages.length === 2, 10000, 'L1 answered')
      const before = { sender: first.rt.session.state.nextSenderSeq, target: first.rt.session.state.nextTargetSeq }
      first.qf.kill()
      await first.us.waitEvent('disconnected')
      const qf = new QuickfixCounterparty(first.qf.o)
      counterparties.push(qf)
      await qf.start()
      await qf.waitFor('our Logon', () => qf.receivedOfType('A').length === 1, 15000)
      await first.us.waitEvent('logon', e => e !== first.us.events.find(x => x.type === 'logon'), 15000)
      const logon = qf.receivedOfType('A')[0]
      assert.strictEqual(Number(logon.get(34)), before.sender, 'our Logon takes the next number')
      assert.strictEqual(logon.get(141), undefined)
      assert.strictEqual(
        Number(qf.sentOfType('A')[0].get(34)),
        before.target,
        'QuickFIX continues its numbers from its FileStore'
      )
      await first.rt.send({ msgType: 'D', body: nos('L2') })
      await eventually(() => first.us.messages.length === 4, 10000, 'L2 answered')
      assert.strictEqual(
        qf.sentOfType('2').length + qf.receivedOfType('2').length,
        0,
        'nothing was lost: no ResendRequest'
      )
      assertNoRejects(qf, first.us)
    })

    it('QuickFIX refuses our Logon as MsgSeqNum too low: we show its text, never reset on our own, and log on ' +
      'once the operator sets the number', async function () {
      this.timeout(40000)
      const first = await toQuickfixAcceptor()
      await first.rt.stop()
      const qf = first.qf
      await qf.waitFor('logout', () => qf.lines.some(l => l.ev === 'logout'))
      await qf.command('seq - 100')
      const rt = initiatorRuntime({ db, schema, codec, tag: first.tag }, first.port)
      running.push(rt)
      const us = record(rt)
      await rt.start()
      const refused = await us.waitEvent('logout', e => /MsgSeqNum too low/.test(e.text), 15000)
      assert.strictEqual(refused.initiatedBy, 'peer')
      assert.ok(rt.session.state.nextSenderSeq < 100, 'our numbers are not reset or raised on our own')
      assert.ok(!qf.received.some(m => m.get(141) === 'Y'))
      await rt.control({ command: 'set-sequence', nextSenderSeq: 100 })
      await us.waitEvent('logon', undefined, 15000)
      const logon = qf.receivedOfType('A').slice(-1)[0]
      assert.strictEqual(logon.get(34), '100')
      await rt.send({ msgType: 'D', body: nos('M1') })
      await eventually(() => us.messages.length === 2, 10000, 'M1 answered')
      assertNoRejects(qf, us)
    })

    it('QuickFIX rejects an order its application refuses and a message type it does not ' +
      'handle: the session carries on', async function () {
      this.timeout(30000)
      const { qf, rt, us } = await toQuickfixAcceptor()
      // OrdType 3 (stop) is valid FIX; this counterparty's application refuses it (IncorrectTagValue).
      const stop = await rt.send({ msgType: 'D', body: { ...nos('J1'), OrdType: '3', Price: undefined, StopPx: 98 } })
      const rej = await us.waitEvent('reject-received', e => e.refSeqNum === stop.seq)
      assert.strictEqual(rej.reason, '5')
      const reject = qf.sentOfType('3')[0]
      assert.deepStrictEqual(
        [reject.get(45), reject.get(371), reject.get(372), reject.get(373)],
        [String(stop.seq), '40', 'D', '5']
      )
      // OrderCancelRequest: the application does not handle it: a BusinessMessageReject, an application message.
      const cancel = await rt.send({
        msgType: 'F',
        body: {
          OrigClOrdID: 'J1',
          ClOrdID: 'J2',
          Instrument: { Symbol: 'IBM' },
          Side: '1',
          TransactTime: new Date(),
          OrderQtyData: { OrderQty: 100 }
        }
      })
      await eventually(() => us.messages.some(m => m.msgType === 'j'), 10000, 'a BusinessMessageReject')
      const bmr = us.messages.find(m => m.msgType === 'j')!
      assert.strictEqual(String(bmr.body.RefSeqNum), String(cancel.seq))
      assert.strictEqual(bmr.body.RefMsgType, 'F')
      // The other way: QuickFIX sends an ExecutionReport without ExecID (17): we reject it, QuickFIX takes our Reject.
      await qf.command('send 8 37=O9|11=J1|150=0|39=0|55=IBM|54=1|151=100|14=0|6=0')
      const ours = await us.waitEvent('reject-sent')
      assert.strictEqual(ours.refTag, 17)
      await qf.waitFor('our Reject', () => qf.receivedOfType('3').length === 1)
      const got = qf.receivedOfType('3')[0]
      assert.strictEqual(got.get(45), qf.sentOfType('8').slice(-1)[0].get(34))
      assert.strictEqual(got.get(373), '1')
      // Still in step both ways.
      await rt.send({ msgType: 'D', body: nos('J3') })
      await eventually(() => us.messages.filter(m => m.body.ClOrdID === 'J3').length === 2, 10000, 'J3 answered')
      assert.strictEqual(rt.session.phase, 'logged-on')
      assert.strictEqual(qf.sentOfType('3').length, 1, 'QuickFIX rejected only the stop order')
      assert.strictEqual(qf.sentOfType('j').length, 1)
      assert.strictEqual(
        us.messages.filter(m => m.body.ClOrdID === 'J1').length,
        0,
        'the refused order got no execution report'
      )
    })
  })

  describeEachDatabase('FIXT.1.1 with FIX.5.0SP2', target => {
    let db: Database
    let schema: string
    let codec: FixCodec
    const running: SessionRuntime[] = []
    const counterparties: QuickfixCounterparty[] = []
    const fixt = { beginString: 'FIXT.1.1', defaultApplVerID: '9' }

    before(async function () {
      this.timeout(120000)
      counterpartyBinary()
      db = await target.open()
      schema = uniqueSchema('fixqft')
      await migrate(db, schema)
      codec = await FixCodec.create('FIX.5.0SP2')
    })
    afterEach(async function () {
      await cleanUp(this.currentTest?.state === 'failed', running, counterparties)
    })
    after(async () => {
      await dropSchema(db, schema)
      await db.close()
    })

    it('our initiator and a QuickFIX acceptor: logon with DefaultApplVerID, orders out, execution ' +
      'reports back, validated both ways', async function () {
      this.timeout(30000)
      const tag = uniqueTag()
      const port = await freePort()
      const qf = new QuickfixCounterparty({
        role: 'acceptor',
        port,
        senderCompID: `BRK${tag}`,
        targetCompID: `CLI${tag}`,
        beginString: 'FIXT.1.1',
        dir: tempDir('fix-qf-')
      })
      counterparties.push(qf)
      await qf.start()
      const rt = initiatorRuntime({ db, schema, codec, tag, initiator: fixt }, port)
      running.push(rt)
      const us = record(rt)
      await rt.start()
      await us.waitEvent('logon')
      assert.strictEqual(qf.receivedOfType('A')[0].get(1137), '9')
      for (const id of ['T1', 'T2']) await rt.send({ msgType: 'D', body: nos(id) })
      await eventually(() => us.messages.length === 4, 10000, 'four execution reports')
      assert.deepStrictEqual(
        us.messages.map(m => `${m.body.ClOrdID as string}:${m.body.ExecType as string}`),
        ['T1:0', 'T1:F', 'T2:0', 'T2:F']
      )
      assert.deepStrictEqual(
        qf.app.map(m => m.get(11)),
        ['T1', 'T2']
      )
      assert.ok(qf.received.every(m => m.get(8) === 'FIXT.1.1'))
      assert.deepStrictEqual(
        qf.rejectsSent.map(m => m.raw),
        []
      )
      assert.deepStrictEqual(
        us.events.filter(e => e.type === 'reject-sent'),
        []
      )
      await rt.stop()
      await qf.waitFor('logout', () => qf.lines.some(l => l.ev === 'logout'))
    })

    it('a QuickFIX initiator and our acceptor: orders in, execution reports out', async function () {
      this.timeout(30000)
      const tag = uniqueTag()
      const rt = acceptorRuntime({ db, schema, codec, tag, acceptor: fixt }, 0)
      running.push(rt)
      const us = record(rt)
      await rt.start()
      const qf = new QuickfixCounterparty({
        role: 'initiator',
        port: rt.port!,
        senderCompID: `CLI${tag}`,
        targetCompID: `BRK${tag}`,
        beginString: 'FIXT.1.1',
        dir: tempDir('fix-qf-')
      })
      counterparties.push(qf)
      await qf.start()
      await us.waitEvent('logon', undefined, 15000)
      // QuickFIX only journals (does not send) an order it is given before it has read our Logon.
      await qf.waitFor('logon', () => qf.lines.some(l => l.ev === 'logon'))
      await qf.command('order U1')
      await eventually(() => us.messages.length === 1, 10000, 'the order')
      await rt.send({ msgType: '8', body: er('U1', 1) })
      await qf.waitFor('the execution report', () => qf.app.length === 1)
      assert.strictEqual(qf.app[0].get(11), 'U1')
      assert.deepStrictEqual(qf.rejectsSent.map(m => m.raw), [])
      assert.deepStrictEqual(us.events.filter(e => e.type === 'reject-sent'), [])
    })
  })
})
