import * as net from 'net'
import * as assert from 'assert'
import { describeEachDatabase, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import {
  acceptorRuntime,
  er,
  freePort,
  initiatorRuntime,
  nos,
  PairOptions,
  record,
  Recorded,
  uniqueTag
} from './support'

describeEachDatabase('FIX session: two sessions of this pack', target => {
  const f = fixFixture(target, 'fixpair')
  const { running } = f

  async function pair (
    over: Partial<PairOptions> = {}
  ): Promise<{ acc: Recorded; ini: Recorded; o: PairOptions; port: number }> {
    const o: PairOptions = { db: f.db, schema: f.schema, codec: f.codec, tag: uniqueTag(), ...over }
    const acc = acceptorRuntime(o, 0)
    running.push(acc)
    const a = record(acc)
    await acc.start()
    const ini = initiatorRuntime(o, acc.port!)
    running.push(ini)
    const i = record(ini)
    await ini.start()
    return { acc: a, ini: i, o, port: acc.port! }
  }

  it('logs on, sends an order and gets an execution report, both in fix_in ' +
    'and the journal, and logs out', async function () {
    this.timeout(20000)
    const out: string[] = []
    const { acc, ini } = await pair({
      initiatorRuntime: {
        log: {
          outgoing: r => out.push(r.replace(/\x01/g, '|')),
          incoming: r => out.push('IN ' + r.replace(/\x01/g, '|')),
          event: t => out.push(t)
        }
      }
    })
    await ini.waitEvent('logon')
    await acc.waitEvent('logon')
    const sent = await ini.runtime.send({
      msgType: 'D',
      body: nos('C1'),
      origin: { client: 'orders', position: '["1"]' }
    })
    assert.deepStrictEqual(sent, { status: 'sent', seq: 2 })
    await eventually(() => acc.messages.length === 1)
    assert.strictEqual(acc.messages[0].msgType, 'D')
    assert.strictEqual(acc.messages[0].body.ClOrdID, 'C1')
    await acc.runtime.send({ msgType: '8', body: er('C1', 1) })
    await eventually(() => ini.messages.length === 1)
    assert.strictEqual(ini.messages[0].body.ExecType, 'F')
    const fixIn = await f.db.query<{ session_name: string, msg_type: string, cl_ord_id: string, msg_seq_num: string }>(
      `SELECT session_name, msg_type, cl_ord_id, msg_seq_num FROM "${f.schema}".fix_in WHERE receive_seq IN ($1, $2) ` +
        'ORDER BY receive_seq',
      [acc.messages[0].receiveSeq, ini.messages[0].receiveSeq])
    assert.deepStrictEqual(
      fixIn.rows.map(r => [r.msg_type, r.cl_ord_id, r.msg_seq_num]),
      [
        ['D', 'C1', '2'],
        ['8', 'C1', '2']
      ]
    )
    // The same stream position again: confirmed as a duplicate, nothing sent.
    const again = await ini.runtime.send({
      msgType: 'D',
      body: nos('C1'),
      origin: { client: 'orders', position: '["1"]' }
    })
    assert.deepStrictEqual(again, { status: 'duplicate', seq: 2 })
    await ini.runtime.stop()
    await acc.waitEvent('logout')
    assert.strictEqual(acc.messages.length, 1, 'no duplicate order reached the acceptor')
    assert.strictEqual(ini.runtime.session.state.nextSenderSeq, 4, 'Logon 1, order 2, Logout 3: ' + out.join('\n'))
  })

  it('stores the decoded copy in fix_in.message by default, and raw only when told, decoding then ' +
    'only what the application reads', async function () {
    this.timeout(20000)
    const { acc, ini } = await pair({ acceptor: { storeDecoded: false } })
    await ini.waitEvent('logon')
    await ini.runtime.send({ msgType: 'D', body: nos('R1') })
    await eventually(() => acc.messages.length === 1)
    await acc.runtime.send({ msgType: '8', body: er('R1', 1) })
    await eventually(() => ini.messages.length === 1)
    const rows = await f.db.query<{ receive_seq: string, message: Record<string, unknown> | null, raw: string }>(
      `SELECT receive_seq::text, message, raw FROM "${f.schema}".fix_in WHERE receive_seq IN ($1, $2) ORDER BY ` +
        'receive_seq',
      [acc.messages[0].receiveSeq, ini.messages[0].receiveSeq])
    const [order, report] = rows.rows
    assert.strictEqual(order.message, null, 'raw only on the acceptor')
    assert.match(order.raw, /\x0111=R1\x01/)
    assert.strictEqual((report.message as any)?.ExecType, 'F', 'decoded copy on the initiator (default)')
    // The application still gets the body: decoded when read, once.
    const m = acc.messages[0]
    assert.strictEqual(m.body.ClOrdID, 'R1')
    assert.strictEqual(m.body, m.body)
    assert.strictEqual(m.header.SenderCompID, ini.runtime.session.settings.senderCompID)
  })

  it('journals a batch with repeats in it: repeats are confirmed with their old ' +
    'seq, the rest sent with no gap', async function () {
    this.timeout(20000)
    const { acc, ini } = await pair()
    await ini.waitEvent('logon')
    // A client of its own: the suite's sessions share one journal.
    const o = (p: number): { client: string, position: string } => ({ client: 'batch-orders', position: `["${p}"]` })
    assert.deepStrictEqual(await ini.runtime.send({ msgType: 'D', body: nos('B1'), origin: o(1) }), {
      status: 'sent',
      seq: 2
    })
    assert.deepStrictEqual(await ini.runtime.send({ msgType: 'D', body: nos('B2'), origin: o(2) }), {
      status: 'sent',
      seq: 3
    })
    // Issued together, so journaled as one batch: the store refuses the batch for its repeats,
    // and the session sends only the new rows, under the next numbers.
    const results = await Promise.all([
      ini.runtime.send({ msgType: 'D', body: nos('B1'), origin: o(1) }),
      ini.runtime.send({ msgType: 'D', body: nos('B3'), origin: o(3) }),
      ini.runtime.send({ msgType: 'D', body: nos('B2'), origin: o(2) }),
      ini.runtime.send({ msgType: 'D', body: nos('B3'), origin: o(3) }),
      ini.runtime.send({ msgType: 'D', body: nos('B4'), origin: o(4) })
    ])
    assert.deepStrictEqual(results, [
      { status: 'duplicate', seq: 2 },
      { status: 'sent', seq: 4 },
      { status: 'duplicate', seq: 3 },
      { status: 'duplicate', seq: 4 },
      { status: 'sent', seq: 5 }
    ])
    await eventually(() => acc.messages.length === 4)
    assert.deepStrictEqual(acc.messages.map(m => [m.seq, m.body.ClOrdID]), [[2, 'B1'], [3, 'B2'], [4, 'B3'], [5, 'B4']])
    const journal = await f.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM "${f.schema}".fix_out WHERE client_name = 'batch-orders'`
    )
    assert.strictEqual(journal.rows[0].n, '4')
    assert.ok(!acc.has('resend-request-sent'), 'no gap was seen')
    assert.strictEqual(ini.runtime.session.state.nextSenderSeq, 6)
  })

  it('journals sends that arrive one per immediate callback, as Node-RED hands a stream batch to the ' +
    'gateway, in one statement (one commit for the burst, not one for its first send and one for the rest)',
  async function () {
    this.timeout(20000)
    const { acc, ini } = await pair()
    await ini.waitEvent('logon')
    await acc.waitEvent('logon')
    await ini.runtime.session.idle()
    const o = (p: number): { client: string, position: string } => ({ client: 'burst', position: `["burst-${p}"]` })
    const sends = await new Promise<Array<Promise<unknown>>>(resolve => {
      const started: Array<Promise<unknown>> = []
      for (let i = 1; i <= 10; i++) {
        setImmediate(() => {
          started.push(ini.runtime.send({ msgType: 'D', body: nos(`U${i}`), origin: o(i) }))
          if (started.length === 10) resolve(started)
        })
      }
    })
    const results = await Promise.all(sends)
    assert.deepStrictEqual(results.map(r => (r as { status: string }).status), new Array(10).fill('sent'))
    // Rows written by one statement share its transaction id.
    const tx = await f.db.query<{ n: number, rows: number }>(
      `SELECT count(DISTINCT xmin::text)::int AS n, count(*)::int AS rows FROM "${f.schema}".fix_out ` +
        "WHERE client_name = 'burst'"
    )
    assert.deepStrictEqual(tx.rows[0], { n: 1, rows: 10 }, 'the ten sends were journaled by one statement')
    await eventually(() => acc.messages.length === 10)
    assert.deepStrictEqual(acc.messages.map(m => m.body.ClOrdID), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(i => `U${i}`))
  })

  it('continues the sequence numbers after logout and a new logon (no reset)', async function () {
    this.timeout(20000)
    const { acc, ini, o, port } = await pair()
    await ini.waitEvent('logon')
    await ini.runtime.send({ msgType: 'D', body: nos('A1') })
    await eventually(() => acc.messages.length === 1)
    await ini.runtime.stop()
    await acc.waitEvent('disconnected')
    const ini2 = initiatorRuntime(o, port)
    running.push(ini2)
    const i2 = record(ini2)
    await ini2.start()
    await i2.waitEvent('logon')
    assert.strictEqual(ini2.session.state.nextSenderSeq, 5, 'Logon 1, order 2, Logout 3, new Logon 4')
    await ini2.send({ msgType: 'D', body: nos('A2') })
    await eventually(() => acc.messages.length === 2)
    assert.strictEqual(acc.messages[1].seq, 5)
    assert.ok(!acc.has('resend-request-sent'), 'no gap was seen')
  })

  it('closes a logon with the wrong CompID without a word: no Logout, nothing learnt', async function () {
    this.timeout(20000)
    const { acc, ini } = await pair({ initiator: { targetCompID: 'SOMEONE' } })
    await ini.waitEvent('disconnected')
    assert.ok(!ini.has('logon'))
    assert.ok(!ini.has('logout', e => e.initiatedBy === 'peer'), 'no Logout came back')
    assert.ok(!acc.has('connected'), 'the connection was never bound to the session')
    assert.ok(acc.statuses.some(s => /unknown session/.test(s)), acc.statuses.join('; '))
  })

  it('refuses wrong credentials and accepts right ones', async function () {
    this.timeout(20000)
    const bad = await pair({
      acceptor: { expectUsername: 'u', expectPassword: 'secret' },
      initiator: { username: 'u', password: 'wrong' }
    })
    const refused = await bad.acc.waitEvent('logon-refused')
    assert.match(refused.text, /Invalid username or password/)
    await bad.ini.waitEvent('disconnected')
    assert.ok(
      !bad.ini.has('logout', e => e.initiatedBy === 'peer'),
      'a plain disconnect: no Logout to a peer with wrong credentials'
    )
    await bad.ini.runtime.stop()
    const good = await pair({
      acceptor: { expectUsername: 'u', expectPassword: 'secret' },
      initiator: { username: 'u', password: 'secret' }
    })
    await good.acc.waitEvent('logon')
  })

  it('resets both sequence numbers on every logon when told to', async function () {
    this.timeout(20000)
    const { acc, ini, o, port } = await pair({ initiator: { resetPolicy: 'logon' } })
    await ini.waitEvent('logon')
    await ini.runtime.send({ msgType: 'D', body: nos('R1') })
    await eventually(() => acc.messages.length === 1)
    await ini.runtime.stop()
    await acc.waitEvent('disconnected')
    const ini2 = initiatorRuntime({ ...o, initiator: { resetPolicy: 'logon' } }, port)
    running.push(ini2)
    const i2 = record(ini2)
    await ini2.start()
    const logon = await i2.waitEvent('logon')
    assert.strictEqual(logon.resetSeqNum, true)
    await ini2.send({ msgType: 'D', body: nos('R2') })
    await eventually(() => acc.messages.length === 2)
    assert.strictEqual(acc.messages[1].seq, 2, 'numbers started again at 1 (Logon) and 2 (order)')
  })

  it('does not send (and does not confirm) while not logged on', async function () {
    this.timeout(20000)
    const o: PairOptions = { db: f.db, schema: f.schema, codec: f.codec, tag: uniqueTag() }
    const ini = initiatorRuntime(o, await freePort())
    running.push(ini)
    await ini.start()
    await assert.rejects(
      ini.send({ msgType: 'D', body: nos('X1'), origin: { client: 'c', position: '["9"]' } }),
      /not logged on/
    )
    const journaled = await f.db.query(`SELECT 1 FROM "${f.schema}".fix_out WHERE stream_position = '["9"]'`)
    assert.strictEqual(journaled.rowCount, 0)
  })

  it('refuses an unencodable message without ending the session', async function () {
    this.timeout(20000)
    const { acc, ini } = await pair()
    await ini.waitEvent('logon')
    await assert.rejects(ini.runtime.send({ msgType: 'ZZ', body: { Foo: 1 } }), /cannot encode|not in the dictionary/)
    await assert.rejects(
      ini.runtime.send({ msgType: 'D', body: { Parties: { NoPartyIDs: 'not an array' } } }),
      /cannot encode|invalid D/
    )
    await assert.rejects(ini.runtime.send({ msgType: 'D', body: { ...nos('x'), Side: 'Z' } }), /invalid D.*54/)
    await assert.rejects(
      ini.runtime.send({ msgType: 'D', body: { ...nos('x'), Text: 'a\x0158=evil' } }),
      /invalid D|repeated|more than once/
    )
    await assert.rejects(ini.runtime.send({ msgType: 'D', rawBody: '11=R|49=EVIL|\x01' }), /header|tag/)
    await ini.runtime.send({ msgType: 'D', body: nos('OK1') })
    await eventually(() => acc.messages.length === 1)
    assert.strictEqual(ini.runtime.session.phase, 'logged-on')
  })

  it('without the translator\'s validator, still refuses what jspurefix would encode wrongly', async function () {
    this.timeout(20000)
    const noValidator = { validator: () => ({ ok: true, problems: [] }) }
    const { acc, ini } = await pair({ initiatorRuntime: noValidator })
    await ini.waitEvent('logon')
    // jspurefix writes a number given for a string field without the delimiter after it (11=21=1).
    await assert.rejects(ini.runtime.send({ msgType: 'D', body: { ...nos('x'), ClOrdID: 123 } }), /contains a field/)
    await assert.rejects(ini.runtime.send({ msgType: 'D', body: { ...nos('x'), Side: 'Z' } }), /invalid D.*54/)
    await ini.runtime.send({ msgType: 'D', body: nos('FINE') })
    await eventually(() => acc.messages.length === 1)
  })

  it('group-commits concurrent sends: each resolves or fails on its own, ' +
    'repeats inside a batch are sent once', async function () {
    this.timeout(20000)
    const { acc, ini } = await pair()
    await ini.waitEvent('logon')
    const o = (p: string): { client: string, position: string } => ({ client: 'batch', position: `["${p}"]` })
    const results = await Promise.allSettled([
      ini.runtime.send({ msgType: 'D', body: nos('B1'), origin: o('1') }),
      ini.runtime.send({ msgType: 'D', body: { ...nos('B2'), Side: 'Z' }, origin: o('2') }),
      ini.runtime.send({ msgType: 'D', body: nos('B3'), origin: o('3') }),
      ini.runtime.send({ msgType: 'D', body: nos('B1'), origin: o('1') }),
      ini.runtime.send({ msgType: 'D', body: nos('B4') })
    ])
    assert.deepStrictEqual(results.map(r => r.status === 'fulfilled' ? `${r.value.status}:${r.value.seq}` : 'rejected'),
      ['sent:2', 'rejected', 'sent:3', 'duplicate:2', 'sent:4'])
    await eventually(() => acc.messages.length === 3)
    assert.deepStrictEqual(acc.messages.map(m => [m.seq, m.body.ClOrdID]), [[2, 'B1'], [3, 'B3'], [4, 'B4']])
    assert.ok(!acc.has('resend-request-sent'), 'the refused one used no sequence number')
  })

  it('reports a port in use and throws nothing', async function () {
    this.timeout(20000)
    // Held by something that is not a fix-session (another fix-session acceptor would share it).
    const other = net.createServer()
    await new Promise<void>(resolve => other.listen(0, '127.0.0.1', resolve))
    const port = (other.address() as net.AddressInfo).port
    try {
      const second = acceptorRuntime({ db: f.db, schema: f.schema, codec: f.codec, tag: uniqueTag() }, port)
      running.push(second)
      const r = record(second)
      await assert.rejects(
        second.start(),
        (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE' && /in use/.test(err.message)
      )
      assert.ok(r.statuses.some(s => /in use/.test(s)))
    } finally {
      other.close()
    }
  })
})
