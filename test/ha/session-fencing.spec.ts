import * as assert from 'assert'
import { LeaseGrant, LeaseLostError, LeaseStore, resourceOf } from '../../core'
import { DatabaseMessageStore, SessionOwnershipError } from '../../core/fix-session'
import type { OutboundRecord } from '../../core/fix-session/message-store'
import { receivedReport, sentOrder } from '../support/journal-records'
import { describeEachDatabase } from '../support/databases'
import { schemaFixture } from '../support/schema-fixture'

const out = (seq: number, cl: string): OutboundRecord => sentOrder(seq, cl, String(seq))
const inb = receivedReport

/**
 * Point 1 of issue 18 on the session's store: the sequence numbers, the outbound journal
 * (fix_out) and fix_in are written only by the holder whose token the state row carries. A new
 * holder claims the row when it loads; from then on every write of the old holder is refused
 * with LeaseLostError and changes nothing.
 */
describeEachDatabase('session store fencing', target => {
  let leases: LeaseStore
  const f = schemaFixture(target, {
    prefix: 'hafence',
    migrate: true,
    setup: async (db, schema) => { leases = new LeaseStore(db, schema) }
  })

  /** A takes the lease; it runs out; B takes it over (token 2). */
  async function takeover (session: string): Promise<{ a: LeaseGrant, b: LeaseGrant }> {
    const a = await leases.acquire(resourceOf.session(session), 'a', 150)
    assert.ok(a !== undefined)
    await new Promise(resolve => setTimeout(resolve, 250))
    const b = await leases.acquire(resourceOf.session(session), 'b', 60000)
    assert.ok(b !== undefined)
    return { a, b }
  }

  it('refuses every write of a holder once a newer holder loaded, and the newer one continues the numbers',
    async () => {
      const a = await leases.acquire(resourceOf.session('S1'), 'a', 60000)
      assert.ok(a !== undefined)
      const told: LeaseLostError[] = []
      const stA = new DatabaseMessageStore(f.db, f.schema, 'S1', { ...a, onLost: err => told.push(err) })
      await stA.load()
      assert.strictEqual(await stA.recordSent(out(1, 'C1')), true)
      await stA.recordSentBatch([out(2, 'C2'), out(3, 'C3')])
      await stA.recordReceived([inb(1), inb(2)], 3)
      await stA.advanceSender(5)
      // A's lease is taken over (released here, as if it ran out) and B loads: the row is B's now.
      await leases.release(a)
      const b = await leases.acquire(resourceOf.session('S1'), 'b', 60000)
      assert.ok(b !== undefined)
      const stB = new DatabaseMessageStore(f.db, f.schema, 'S1', b)
      const s = await stB.load()
      assert.deepStrictEqual([s.nextSenderSeq, s.nextTargetSeq, s.epoch], [5, 3, 1], 'no reset: A\'s numbers go on')
      const before = await counts()
      await assert.rejects(stA.recordSent(out(5, 'C5')), LeaseLostError)
      await assert.rejects(stA.recordSentBatch([out(5, 'C5'), out(6, 'C6')]), LeaseLostError)
      await assert.rejects(stA.recordReceived([inb(3)], 4), LeaseLostError)
      await assert.rejects(stA.advanceSender(6), LeaseLostError)
      await assert.rejects(stA.advanceTarget(4), LeaseLostError)
      await assert.rejects(stA.reset(), LeaseLostError)
      await assert.rejects(stA.setNext(9, 9), LeaseLostError)
      assert.strictEqual(told.length, 7, 'A was told at every refused write')
      assert.deepStrictEqual(await counts(), before, 'nothing A tried was written')
      // B writes on from where A stopped.
      assert.strictEqual(await stB.recordSent(out(5, 'C5')), true)
      await stB.recordReceived([inb(3)], 4)
      const after = await new DatabaseMessageStore(f.db, f.schema, 'S1').load()
      assert.deepStrictEqual([after.nextSenderSeq, after.nextTargetSeq], [6, 4])
    })

  it('refuses to load for a holder whose lease ran out or was taken over', async () => {
    const { a, b } = await takeover('S2')
    await assert.rejects(new DatabaseMessageStore(f.db, f.schema, 'S2', a).load(), LeaseLostError)
    await new DatabaseMessageStore(f.db, f.schema, 'S2', b).load()
    await assert.rejects(new DatabaseMessageStore(f.db, f.schema, 'S2', a).load(), LeaseLostError)
  })

  it('keeps the ownership error for a second unfenced writer (no lease in use)', async () => {
    const x = new DatabaseMessageStore(f.db, f.schema, 'S3')
    const y = new DatabaseMessageStore(f.db, f.schema, 'S3')
    await x.load()
    await y.load()
    await x.advanceSender(2)
    await assert.rejects(y.advanceSender(2), SessionOwnershipError)
  })

  async function counts (): Promise<unknown> {
    const r = await f.db.query(`SELECT (SELECT count(*) FROM "${f.schema}".fix_out) AS out,
      (SELECT count(*) FROM "${f.schema}".fix_in) AS inb,
      (SELECT next_sender_seq || '/' || next_target_seq || '/' || epoch FROM "${f.schema}".fix_session_state) AS state`)
    return r.rows[0]
  }
})
