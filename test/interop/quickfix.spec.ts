import * as assert from 'assert'
import * as fs from 'fs'
import { Database, migrate } from '../../core'
import { FixCodec } from '../../core/fix/codec'
import { SessionRuntime } from '../../core/fix-session'
import { describeEachDatabase, dropSchema, eventually, tempDir, uniqueSchema } from '../support/databases'
import { acceptorRuntime, er, freePort, initiatorRuntime, nos, record, Recorded, uniqueTag } from '../core/fix-session/support'
import { counterpartyBinary, describeWithQuickfix, QuickfixCounterparty } from './quickfix'

/**
 * The pack's session layer against QuickFIX/C++ 1.15 (another engine, with its own session layer,
 * FileStore and dictionary validation on), over real sockets on 127.0.0.1.
 */
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
      if (this.currentTest?.state === 'failed') {
        for (const q of counterparties) console.log(`--- QuickFIX transcript ---\n${q.transcript()}\n${q.stderr}`)
      }
      for (const r of running.splice(0)) await r.stop().catch(() => {})
      for (const q of counterparties.splice(0)) {
        await q.stop()
        q.kill()
        fs.rmSync(q.o.dir, { recursive: true, force: true })
      }
    })
    after(async () => {
      await dropSchema(db, schema)
      await db.close()
    })

    /** Our initiator (CLI<tag>) against a QuickFIX acceptor (BRK<tag>). */
    async function toQuickfixAcceptor (heartBtInt = 30, dir = tempDir('fix-qf-')): Promise<{ qf: QuickfixCounterparty, rt: SessionRuntime, us: Recorded, tag: string, port: number }> {
      const tag = uniqueTag()
      const port = await freePort()
      const qf = new QuickfixCounterparty({ role: 'acceptor', port, senderCompID: `BRK${tag}`, targetCompID: `CLI${tag}`, dir })
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
    async function fromQuickfixInitiator (heartBtInt = 30): Promise<{ qf: QuickfixCounterparty, rt: SessionRuntime, us: Recorded, tag: string }> {
      const tag = uniqueTag()
      const rt = acceptorRuntime({ db, schema, codec, tag }, 0)
      running.push(rt)
      const us = record(rt)
      await rt.start()
      const qf = new QuickfixCounterparty({ role: 'initiator', port: rt.port!, senderCompID: `CLI${tag}`, targetCompID: `BRK${tag}`, heartBtInt, dir: tempDir('fix-qf-') })
      counterparties.push(qf)
      await qf.start()
      await us.waitEvent('logon', undefined, 15000)
      await qf.waitFor('logon', () => qf.lines.some(l => l.ev === 'logon'))
      return { qf, rt, us, tag }
    }

    function assertNoRejects (qf: QuickfixCounterparty, us: Recorded): void {
      assert.deepStrictEqual(qf.rejectsSent.map(m => m.raw), [], 'QuickFIX rejected nothing we sent')
      assert.deepStrictEqual(us.events.filter(e => e.type === 'reject-sent'), [], 'we rejected nothing QuickFIX sent')
      assert.ok(!qf.received.some(m => m.get(141) === 'Y') && !qf.sent.some(m => m.get(141) === 'Y'), 'no sequence reset')
    }

    it('our initiator logs on to a QuickFIX acceptor (bound to 127.0.0.1), orders out, execution reports back, logout', async function () {
      this.timeout(30000)
      const { qf, rt, us } = await toQuickfixAcceptor()
      const listening = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').filter(l => / 0A /.test(l) && l.includes(`:${qf.o.port.toString(16).toUpperCase().padStart(4, '0')} `))
      assert.ok(listening.length > 0 && listening.every(l => l.trim().split(/\s+/)[1].startsWith('0100007F:')), `QuickFIX listens on 127.0.0.1 only: ${listening.join('; ')}`)
      for (const id of ['Q1', 'Q2', 'Q3']) await rt.send({ msgType: 'D', body: nos(id) })
      await eventually(() => us.messages.length === 6, 10000, 'six execution reports')
      assert.deepStrictEqual(us.messages.map(m => `${m.body.ClOrdID as string}:${m.body.ExecType as string}`), ['Q1:0', 'Q1:F', 'Q2:0', 'Q2:F', 'Q3:0', 'Q3:F'])
      assert.deepStrictEqual(qf.app.map(m => m.get(11)), ['Q1', 'Q2', 'Q3'], 'the orders passed QuickFIX validation')
      assertNoRejects(qf, us)
      await rt.stop()
      await us.waitEvent('logout', e => e.initiatedBy === 'us')
      await qf.waitFor('logout', () => qf.lines.some(l => l.ev === 'logout'))
      assert.strictEqual(qf.receivedOfType('5').length, 1)
      assert.strictEqual(qf.sentOfType('5').length, 1, 'QuickFIX confirmed our Logout')
    })
  })
})
