import * as assert from 'assert'
import { DatabaseMessageStore, SessionOwnershipError } from '../../../core/fix-session'
import { DuplicateOriginError } from '../../../core/fix-session/message-store'
import { describeEachDatabase } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'

describeEachDatabase('FIX message store', target => {
  const f = fixFixture(target, 'fixstore')

  it('creates a session at 1/1 and keeps its numbers across store instances', async () => {
    const a = new DatabaseMessageStore(f.db, f.schema, 'S1')
    const s = await a.load()
    assert.strictEqual(s.nextSenderSeq, 1)
    assert.strictEqual(s.nextTargetSeq, 1)
    await a.advanceSender(2)
    await a.advanceTarget(5)
    const b = new DatabaseMessageStore(f.db, f.schema, 'S1')
    const t = await b.load()
    assert.deepStrictEqual([t.nextSenderSeq, t.nextTargetSeq, t.epoch], [2, 5, 1])
  })

  it('journals a sent message and its sender seq in one commit; a journaled origin is refused', async () => {
    const st = new DatabaseMessageStore(f.db, f.schema, 'S2')
    await st.load()
    const origin = { client: 'orders', position: '["7","1"]' }
    const ok = await st.recordSent({
      seq: 1,
      msgType: 'D',
      clOrdID: 'C1',
      sentAt: new Date(),
      body: '11=C1\x01',
      raw: 'raw',
      origin
    })
    assert.strictEqual(ok, true)
    assert.strictEqual(await st.findSent(origin), 1)
    const again = await st.recordSent({
      seq: 2,
      msgType: 'D',
      sentAt: new Date(),
      body: '11=C1\x01',
      raw: 'raw',
      origin
    })
    assert.strictEqual(again, false)
    const s = await new DatabaseMessageStore(f.db, f.schema, 'S2').load()
    assert.strictEqual(s.nextSenderSeq, 2, 'the refused duplicate used no sequence number')
    const rows = await f.db.query(
      `SELECT msg_seq_num, cl_ord_id, client_name, stream_position FROM "${f.schema}".fix_out WHERE session_name = 'S2'`
    )
    assert.deepStrictEqual(rows.rows, [
      { msg_seq_num: '1', cl_ord_id: 'C1', client_name: 'orders', stream_position: '["7","1"]' }
    ])
  })

  it('refuses a batch holding a journaled origin with DuplicateOriginError, writing nothing', async () => {
    const st = new DatabaseMessageStore(f.db, f.schema, 'S2b')
    await st.load()
    const rec = (seq: number, p: number): any => ({
      seq,
      msgType: 'D',
      sentAt: new Date(),
      body: `11=C${p}\x01`,
      raw: 'raw',
      origin: { client: 'orders', position: `["${p}"]` }
    })
    await st.recordSentBatch([rec(1, 1), rec(2, 2)])
    await assert.rejects(st.recordSentBatch([rec(3, 3), rec(4, 2)]), DuplicateOriginError)
    const s = await new DatabaseMessageStore(f.db, f.schema, 'S2b').load()
    assert.strictEqual(s.nextSenderSeq, 3, 'the refused batch moved no sequence number')
    const rows = await f.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM "${f.schema}".fix_out WHERE session_name = 'S2b'`
    )
    assert.strictEqual(rows.rows[0].n, '2', 'and journaled none of its rows')
    await st.recordSentBatch([rec(3, 3)])
    assert.strictEqual((await new DatabaseMessageStore(f.db, f.schema, 'S2b').load()).nextSenderSeq, 4)
  })

  it('stores every column of an outbound batch exactly as given, in sequence order', async () => {
    const st = new DatabaseMessageStore(f.db, f.schema, 'S2c')
    await st.load()
    // Characters an array literal or a SQL text escapes (see the inbound test below) in every text column.
    const odd = ' "q" \\b\\ {x,y} NULL é\xff\x01 '
    const recs = [
      {
        seq: 1,
        msgType: 'D"',
        clOrdID: odd,
        sentAt: new Date('2024-01-02T03:04:05.678Z'),
        body: `11=${odd}\x01`,
        raw: `8=FIX.4.4\x0111=${odd}\x01`,
        origin: { client: odd, position: '["NULL","{1,2}"]' }
      },
      { seq: 2, msgType: '0', sentAt: new Date('2024-01-02T03:04:06Z'), body: '', raw: 'NULL' }
    ]
    await st.recordSentBatch(recs)
    const r = await f.db.query<Record<string, unknown>>(
      'SELECT epoch, msg_seq_num, msg_type, cl_ord_id, sent_at, body, raw, client_name, stream_position ' +
      `FROM "${f.schema}".fix_out WHERE session_name = 'S2c' ORDER BY id`)
    assert.deepStrictEqual(r.rows, [
      {
        epoch: 1,
        msg_seq_num: '1',
        msg_type: 'D"',
        cl_ord_id: odd,
        sent_at: '2024-01-02T03:04:05.678Z',
        body: recs[0].body,
        raw: recs[0].raw,
        client_name: odd,
        stream_position: '["NULL","{1,2}"]'
      },
      {
        epoch: 1,
        msg_seq_num: '2',
        msg_type: '0',
        cl_ord_id: null,
        sent_at: '2024-01-02T03:04:06Z',
        body: '',
        raw: 'NULL',
        client_name: null,
        stream_position: null
      }
    ])
    assert.strictEqual((await new DatabaseMessageStore(f.db, f.schema, 'S2c').load()).nextSenderSeq, 3)
  })

  it('journals outbound batches of any size under one statement text, so a server prepares it once', async function () {
    const db = f.db as { preparedStatements?: number }
    if (db.preparedStatements === undefined) this.skip() // PGlite: no statement cache
    const st = new DatabaseMessageStore(f.db, f.schema, 'S2d')
    await st.load()
    const before = db.preparedStatements ?? 0
    let seq = 1
    for (let round = 0; round < 3; round++) {
      for (let n = 1; n <= 4; n++) {
        await st.recordSentBatch(Array.from({ length: n }, () => ({
          seq: seq++, msgType: 'D', sentAt: new Date(), body: 'b', raw: 'r'
        })))
      }
    }
    // Earlier tests may have prepared it already; a text per batch size would add one per size.
    assert.ok((db.preparedStatements ?? 0) - before <= 1,
      'at most one more prepared statement for batches of 1 to 4 rows')
  })

  it('finds which of many origins are journaled, per session and client, whatever the positions hold', async () => {
    const st = new DatabaseMessageStore(f.db, f.schema, 'S7')
    await st.load()
    const odd = '["it\'s", "a,b", "{x}", "\\"]'
    const recs = Array.from({ length: 300 }, (_, i) => ({
      seq: i + 1,
      msgType: 'D',
      sentAt: new Date(),
      body: `11=C${i}\x01`,
      raw: 'raw',
      origin: { client: 'orders', position: i === 7 ? odd : `["${i}","1"]` }
    }))
    await st.recordSentBatch(recs)
    await new DatabaseMessageStore(f.db, f.schema, 'S7-other').load()
    const asked = [
      ...Array.from({ length: 600 }, (_, i) => ({ client: 'orders', position: i === 7 ? odd : `["${i}","1"]` })),
      { client: 'someone-else', position: '["1","1"]' }
    ]
    const found = await st.findSentMany(asked)
    assert.strictEqual(found.size, 300, 'the 300 journaled ones, not the 300 unknown ones nor another client\'s')
    assert.strictEqual(found.get(`orders\u0000${odd}`), 8)
    assert.strictEqual(found.get('orders\u0000["299","1"]'), 300)
    assert.strictEqual(found.get('orders\u0000["300","1"]'), undefined)
    assert.strictEqual(
      (await new DatabaseMessageStore(f.db, f.schema, 'S7-other').findSentMany(asked)).size,
      0,
      'another session journaled none of them'
    )
    assert.strictEqual((await st.findSentMany([])).size, 0)
  })

  it('writes fix_in and the target seq together, with a transaction id for gap-free streaming', async () => {
    const st = new DatabaseMessageStore(f.db, f.schema, 'S3')
    await st.load()
    const [id] = await st.recordReceived(
      [
        {
          seq: 1,
          msgType: '8',
          senderCompID: 'B',
          targetCompID: 'A',
          clOrdID: 'C1',
          possDup: false,
          sendingTime: new Date('2024-01-02T03:04:05.678Z'),
          raw: '8=FIX.4.4\x01',
          message: JSON.stringify({ ClOrdID: 'C1' })
        }
      ],
      2
    )
    assert.match(id, /^\d+$/)
    const r = await f.db.query<Record<string, unknown>>('SELECT session_name, msg_seq_num, msg_type, cl_ord_id, ' +
      `sending_time, message, tx::text AS tx FROM "${f.schema}".fix_in WHERE receive_seq = $1`, [id])
    assert.strictEqual(r.rows[0].msg_seq_num, '1')
    assert.strictEqual(r.rows[0].sending_time, '2024-01-02T03:04:05.678Z')
    assert.deepStrictEqual(r.rows[0].message, { ClOrdID: 'C1' })
    assert.match(String(r.rows[0].tx), /^\d+$/)
    assert.strictEqual((await new DatabaseMessageStore(f.db, f.schema, 'S3').load()).nextTargetSeq, 2)
  })

  it('writes a batch of inbound messages in order with one commit, and refuses ' +
    'it whole when the state moved', async () => {
    const st = new DatabaseMessageStore(f.db, f.schema, 'S3b')
    await st.load()
    const rec = (seq: number): any => ({
      seq,
      msgType: 'D',
      senderCompID: 'B',
      targetCompID: 'A',
      clOrdID: `C${seq}`,
      possDup: false,
      raw: `r${seq}`,
      message: '{}'
    })
    const ids = await st.recordReceived([rec(1), rec(2), rec(3)], 4)
    assert.strictEqual(ids.length, 3)
    const rows = await f.db.query<{ cl_ord_id: string }>(
      `SELECT cl_ord_id FROM "${f.schema}".fix_in WHERE session_name = 'S3b' ORDER BY receive_seq`
    )
    assert.deepStrictEqual(
      rows.rows.map(r => r.cl_ord_id),
      ['C1', 'C2', 'C3']
    )
    const other = new DatabaseMessageStore(f.db, f.schema, 'S3b')
    await other.load()
    await other.advanceTarget(9)
    await assert.rejects(st.recordReceived([rec(4)], 5), SessionOwnershipError)
    const after = await f.db.query(`SELECT 1 FROM "${f.schema}".fix_in WHERE session_name = 'S3b'`)
    assert.strictEqual(after.rowCount, 3, 'nothing of the refused batch was written')
  })

  it('stores every column of a journaled batch exactly as given, whatever characters the text holds', async () => {
    const st = new DatabaseMessageStore(f.db, f.schema, 'S3c')
    await st.load()
    // Characters an array literal or a SQL text escapes: quotes, backslashes, braces, commas, the
    // word NULL, spaces at the ends, latin1 bytes above 0x7f, and SOH.
    const odd = ' "q" \\b\\ {x,y} NULL é\xff\x01 '
    const recs = [
      {
        seq: 1,
        msgType: '8',
        senderCompID: 'B"1',
        targetCompID: 'A\\1',
        clOrdID: odd,
        origClOrdID: 'NULL',
        possDup: true,
        sendingTime: new Date('2024-01-02T03:04:05.678Z'),
        raw: `8=FIX.4.4\x0158=${odd}\x01`,
        message: JSON.stringify({ Text: odd })
      },
      { seq: 2, msgType: 'AE', senderCompID: 'B', targetCompID: 'A', possDup: false, raw: '', message: null }
    ]
    await st.recordReceived(recs, 3)
    const r = await f.db.query<Record<string, unknown>>(
      'SELECT msg_seq_num, msg_type, sender_comp_id, target_comp_id, cl_ord_id, orig_cl_ord_id, poss_dup, ' +
      `sending_time, raw, message FROM "${f.schema}".fix_in WHERE session_name = 'S3c' ORDER BY receive_seq`)
    assert.deepStrictEqual(r.rows, [
      {
        msg_seq_num: '1',
        msg_type: '8',
        sender_comp_id: 'B"1',
        target_comp_id: 'A\\1',
        cl_ord_id: odd,
        orig_cl_ord_id: 'NULL',
        poss_dup: true,
        sending_time: '2024-01-02T03:04:05.678Z',
        raw: recs[0].raw,
        message: { Text: odd }
      },
      {
        msg_seq_num: '2',
        msg_type: 'AE',
        sender_comp_id: 'B',
        target_comp_id: 'A',
        cl_ord_id: null,
        orig_cl_ord_id: null,
        poss_dup: false,
        sending_time: null,
        raw: '',
        message: null
      }
    ])
  })

  it('reads the journal of the current epoch only; reset starts a new epoch', async () => {
    const st = new DatabaseMessageStore(f.db, f.schema, 'S4')
    await st.load()
    for (const seq of [1, 2, 4]) {
      if (seq === 4) await st.advanceSender(4)
      await st.recordSent({ seq, msgType: 'D', sentAt: new Date(), body: `11=${seq}\x01`, raw: 'r' })
    }
    assert.deepStrictEqual((await st.sentRange(2, 10)).map(e => e.seq), [2, 4])
    const before = await st.load()
    const s = await st.reset()
    assert.deepStrictEqual([s.nextSenderSeq, s.nextTargetSeq, s.epoch], [1, 1, before.epoch + 1])
    assert.ok(s.createdAt.getTime() >= before.createdAt.getTime())
    assert.deepStrictEqual(await st.sentRange(1, 10), [])
  })

  it('sets next numbers and refuses nonsense', async () => {
    const st = new DatabaseMessageStore(f.db, f.schema, 'S5')
    await st.load()
    const s = await st.setNext(10, undefined)
    assert.deepStrictEqual([s.nextSenderSeq, s.nextTargetSeq], [10, 1])
    await assert.rejects(st.setNext(0), RangeError)
    await assert.rejects(st.setNext(1.5), RangeError)
  })

  it('fails loudly when another process moved the numbers', async () => {
    const a = new DatabaseMessageStore(f.db, f.schema, 'S6')
    const b = new DatabaseMessageStore(f.db, f.schema, 'S6')
    await a.load()
    await b.load()
    await b.advanceSender(2)
    await assert.rejects(a.advanceSender(2), SessionOwnershipError)
  })
})
