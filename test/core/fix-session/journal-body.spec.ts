import * as assert from 'assert'
import { migrate, quoteIdent } from '../../../core'
import { migrations } from '../../../core/db/migrations'
import { DatabaseMessageStore } from '../../../core/fix-session'
import { journaledBody, JournalBodyMissingError, storedBody } from '../../../core/fix-session/journal-body'
import type { OutboundRecord } from '../../../core/fix-session/message-store'
import { OutboundEncoder } from '../../../core/fix-session/outbound-encoder'
import type { SessionSettings } from '../../../core/fix-session/settings'
import { validateAndWrite } from '../../../core/fix-session/validate-and-write'
import { describeEachDatabase, dropSchema, uniqueSchema } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { er } from '../../support/fix-messages'

describe('fix_out body: stored as its length in the raw text', () => {
  it('stores a length only when the raw text ends with the body and a CheckSum field', () => {
    assert.deepStrictEqual(storedBody('11=A\x01', '8=FIX.4.4\x019=9\x0135=D\x0111=A\x0110=123\x01'),
      { body: null, bodyLength: 5 })
    assert.deepStrictEqual(storedBody('11=A\x01', 'raw'), { body: '11=A\x01', bodyLength: null })
    assert.deepStrictEqual(storedBody('11=A\x01', '8=FIX.4.4\x0111=A\x0110=12\x01'),
      { body: '11=A\x01', bodyLength: null }, 'a CheckSum of two digits is not a frame this codec wrote')
    assert.deepStrictEqual(storedBody('11=B\x01', '8=FIX.4.4\x0111=A\x0110=123\x01'),
      { body: '11=B\x01', bodyLength: null }, 'another body before the CheckSum')
  })

  it('refuses to make up a body for a row that has neither it nor its length', () => {
    assert.throws(() => journaledBody(7, null, null, '8=FIX.4.4\x0110=000\x01'),
      (err: Error) => err instanceof JournalBodyMissingError && /MsgSeqNum 7/.test(err.message))
  })
})

describeEachDatabase('fix_out keeps an outbound message once', target => {
  const f = fixFixture(target, 'fixbody')
  const settings = { beginString: 'FIX.4.4', senderCompID: 'GW', targetCompID: 'EXEC' } as unknown as SessionSettings

  /** A journal record of a real frame, as the outbox makes it. */
  function framed (seq: number, msgType: string, body: Record<string, unknown> | string): OutboundRecord {
    const encoder = new OutboundEncoder(settings, f.codec, validateAndWrite)
    const text = typeof body === 'string' ? body : encoder.applicationBody({ msgType, body }).text
    const sentAt = new Date(Date.UTC(2026, 11, 7, 9, 30, seq))
    const frame = encoder.frame(msgType, encoder.header(seq, sentAt), text)
    return { seq, msgType, sentAt, body: text, raw: frame.toString('latin1') }
  }

  it('writes a framed message\'s body as its length, and resend reads that body character for character',
    async () => {
      const st = new DatabaseMessageStore(f.db, f.schema, 'B1')
      await st.load()
      const one = framed(1, '8', er('C-1', 1))
      // A text field with latin1 characters past ASCII: the length counts characters on both sides.
      const two = framed(2, 'D', '11=C-2\x0121=1\x0155=IBM\x0154=1\x0160=20261207-09:30:02\x0140=1\x0158=Zürich é\x01')
      const three = framed(3, '8', er('C-3', 2))
      await st.recordSentBatch([one, two])
      assert.strictEqual(await st.recordSent(three), true)
      const rows = await f.db.query<{ n: string, body: string | null, body_length: number | null }>(
        `SELECT msg_seq_num AS n, body, body_length FROM ${quoteIdent(f.schema)}.fix_out
         WHERE session_name = 'B1' ORDER BY msg_seq_num`)
      assert.deepStrictEqual(rows.rows, [one, two, three].map(r => ({
        n: String(r.seq), body: null, body_length: r.body.length
      })))
      const resent = await st.sentRange(1, 3)
      assert.deepStrictEqual(resent.map(e => [e.seq, e.msgType, e.body]),
        [one, two, three].map(r => [r.seq, r.msgType, r.body]))
    })

  it('keeps the body in full when the raw text given does not end with it', async () => {
    const st = new DatabaseMessageStore(f.db, f.schema, 'B2')
    await st.load()
    await st.recordSentBatch([{ seq: 1, msgType: 'D', sentAt: new Date(), body: '11=X\x01', raw: 'not a frame' }])
    const row = await f.db.query(
      `SELECT body, body_length FROM ${quoteIdent(f.schema)}.fix_out WHERE session_name = 'B2'`)
    assert.deepStrictEqual(row.rows, [{ body: '11=X\x01', body_length: null }])
    assert.deepStrictEqual((await st.sentRange(1, 1)).map(e => e.body), ['11=X\x01'])
  })

  it('resends the bodies of rows journaled before migration 33, and journals new ones by length after it',
    async function () {
      this.timeout(60000)
      const schema = uniqueSchema('mig33')
      try {
        await migrate(f.db, schema, migrations.filter(m => m.version < 33))
        const s = quoteIdent(schema)
        const old = framed(1, '8', er('C-OLD', 1))
        await f.db.query(`INSERT INTO ${s}.fix_session_state (session_name, next_sender_seq, next_target_seq, epoch)
          VALUES ('B3', 2, 1, 1)`)
        await f.db.query(`INSERT INTO ${s}.fix_out (session_name, epoch, msg_seq_num, msg_type, sent_at, body, raw)
          VALUES ('B3', 1, 1, '8', $1, $2, $3)`, [old.sentAt.toISOString(), old.body, old.raw])
        assert.ok((await migrate(f.db, schema)).applied.includes(33))
        const st = new DatabaseMessageStore(f.db, schema, 'B3')
        await st.load()
        const next = framed(2, '8', er('C-NEW', 1))
        await st.recordSentBatch([next])
        const rows = await f.db.query<{ body: string | null, body_length: number | null }>(
          `SELECT body, body_length FROM ${s}.fix_out WHERE session_name = 'B3' ORDER BY msg_seq_num`)
        assert.deepStrictEqual(rows.rows, [
          { body: old.body, body_length: null },
          { body: null, body_length: next.body.length }
        ])
        assert.deepStrictEqual((await st.sentRange(1, 2)).map(e => e.body), [old.body, next.body])
        assert.deepStrictEqual((await migrate(f.db, schema)).applied, [], 'a second run changes nothing')
      } finally {
        await dropSchema(f.db, schema).catch(() => {})
      }
    })
})
