import * as assert from 'assert'
import { migrate, quoteIdent } from '../../../core'
import { migrations } from '../../../core/db/migrations'
import { DatabaseMessageStore } from '../../../core/fix-session'
import { describeEachDatabase, dropSchema, uniqueSchema } from '../../support/databases'

describeEachDatabase('migration 72: the sequence numbers in one row per side, upgraded in place', target => {
  it('keeps every session\'s numbers, epoch, start and lease token, and the store goes on from them',
    async function () {
      this.timeout(60000)
      const db = await target.open()
      const schema = uniqueSchema('mig72')
      try {
        await migrate(db, schema, migrations.filter(m => m.version < 72))
        const s = quoteIdent(schema)
        await db.query(`INSERT INTO ${s}.fix_session_state (session_name, next_sender_seq, next_target_seq, epoch,
        lease_token) VALUES ('M1', 41, 17, 3, NULL), ('M2', 5, 9, 1, 7)`)
        const read = async (): Promise<unknown[]> => (await db.query(
        `SELECT session_name, next_sender_seq::text AS s, next_target_seq::text AS t, epoch,
           created_at::text AS c, lease_token::text AS l
         FROM ${s}.fix_session_state ORDER BY session_name`)).rows
        const before = await read()
        const r = await migrate(db, schema)
        assert.deepStrictEqual(r.applied, [72])
        assert.deepStrictEqual(await read(), before, 'fix_session_state reads as before (a view of both rows)')
        const sender = await db.query(
        `SELECT session_name, next_sender_seq::text AS s, epoch, lease_token::text AS l
         FROM ${s}.fix_session_sender ORDER BY session_name`)
        assert.deepStrictEqual(sender.rows, [
          { session_name: 'M1', s: '41', epoch: 3, l: null },
          { session_name: 'M2', s: '5', epoch: 1, l: '7' }
        ])
        const store = new DatabaseMessageStore(db, schema, 'M1')
        const st = await store.load()
        assert.deepStrictEqual([st.nextSenderSeq, st.nextTargetSeq, st.epoch], [41, 17, 3])
        await store.recordSentBatch([{ seq: 41, msgType: 'D', sentAt: new Date(), body: '11=X\x01', raw: 'x' }])
        await store.recordReceived([{
          seq: 17,
          msgType: '8',
          senderCompID: 'B',
          targetCompID: 'A',
          possDup: false,
          raw: '8=FIX.4.4\x01',
          message: null
        }], 18)
        const after = await db.query<{ s: string, t: string }>(
        `SELECT next_sender_seq::text AS s, next_target_seq::text AS t FROM ${s}.fix_session_state
         WHERE session_name = 'M1'`)
        assert.deepStrictEqual(after.rows[0], { s: '42', t: '18' })
        assert.deepStrictEqual((await migrate(db, schema)).applied, [], 'a second run changes nothing')
      } finally {
        await dropSchema(db, schema).catch(() => {})
        await db.close()
      }
    })
})
