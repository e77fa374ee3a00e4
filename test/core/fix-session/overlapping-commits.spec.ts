import * as assert from 'assert'
import { LeaseLostError, LeaseStore, quoteIdent, resourceOf } from '../../../core'
import { DatabaseMessageStore, SendResult, SessionOwnershipError } from '../../../core/fix-session'
import type { OutboundRecord } from '../../../core/fix-session/message-store'
import { receivedReport, sentOrder } from '../../support/journal-records'
import { databaseTargets, describeEachDatabase, eventually, serverOptions } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { schemaFixture } from '../../support/schema-fixture'
import { er, loggedOnPeer } from './support'

const out = (seq: number, position: string): OutboundRecord => sentOrder(seq, position, position)
const inb = receivedReport

/** A promise and its resolve, to hold something open. */
function gate (): { open: () => void, wait: Promise<void> } {
  let open!: () => void
  const wait = new Promise<void>(resolve => { open = resolve })
  return { open, wait }
}

/**
 * Issue 21, proposal 1: a commit of inbound application messages (fix_in and the target seq) runs
 * while a commit of outbound ones (fix_out and the sender seq) is in flight, so the database
 * flushes them together; neither is acknowledged, handed on or written before its own commit.
 */
describe('FIX session: an inbound commit does not wait for an outbound one [postgres]', () => {
  const target = databaseTargets().find(t => t.name === 'postgres')
  if (target === undefined || serverOptions() === undefined) {
    it.skip('needs a PostgreSQL server: set DATABASE_URL', () => {})
    return
  }
  const f = fixFixture(target, 'fixlane')

  it('commits and hands on an ExecutionReport while an outbound commit holds its sequence row, and writes the ' +
    'outbound message only after its own commit', async function () {
    this.timeout(30000)
    const { acc, peer, rt } = await loggedOnPeer(f)

    // Whatever table holds the sender seq, its update is held (row lock taken) until the test lets go.
    const s = quoteIdent(f.schema)
    const key = 1 + Math.floor(Math.random() * 1e9)
    const table = (await f.db.query<{ table_name: string }>(
      `SELECT c.table_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
       WHERE c.table_schema = $1 AND c.column_name = 'next_sender_seq' AND t.table_type = 'BASE TABLE'`,
      [f.schema])).rows[0].table_name
    await f.db.query(`CREATE FUNCTION ${s}.hold_sender() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_advisory_xact_lock(${key}); RETURN NEW; END $$`)
    await f.db.query(`CREATE TRIGGER hold_sender AFTER UPDATE OF next_sender_seq ON ${s}.${quoteIdent(table)}
      FOR EACH ROW EXECUTE FUNCTION ${s}.hold_sender()`)
    const release = gate()
    const locked = gate()
    const holder = f.db.transaction(async tx => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [key])
      locked.open()
      await release.wait
    })
    try {
      await locked.wait
      let sent: SendResult | undefined
      const sending = rt.send({ msgType: '8', body: er('OUT-1', 1) }).then(r => { sent = r; return r })
      await eventually(async () => Number((await f.db.query<{ n: string }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event = \'advisory\'')).rows[0].n) > 0,
      10000, 'the outbound commit waiting with its sequence row updated')

      const inSeq = peer.sendBody('8', er('IN-1', 1))
      await eventually(() => acc.messages.length === 1, 5000, 'the inbound ExecutionReport committed and handed on')
      const rows = await f.db.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${s}.fix_in WHERE session_name = $1 AND msg_seq_num = $2`, [rt.session.name, inSeq])
      assert.strictEqual(Number(rows.rows[0].n), 1, 'the inbound message is in fix_in')
      assert.strictEqual(sent, undefined, 'the send waits for its own commit')
      assert.strictEqual(peer.ofType('8').length, 0, 'nothing is written before its commit')

      release.open()
      await holder
      const r = await sending
      assert.strictEqual(r.status, 'sent')
      const got = await peer.waitFor('8')
      assert.strictEqual(got.get(34), String(r.seq), 'written under its journaled number')
      const state = await f.db.query<{ s: string, t: string }>(
        `SELECT next_sender_seq AS s, next_target_seq AS t FROM ${s}.fix_session_state WHERE session_name = $1`,
        [rt.session.name])
      assert.deepStrictEqual([Number(state.rows[0].s), Number(state.rows[0].t)], [r.seq + 1, inSeq + 1])
    } finally {
      release.open()
      await holder.catch(() => {})
      await f.db.query(`DROP TRIGGER hold_sender ON ${s}.${quoteIdent(table)}`)
    }
  })
})

describeEachDatabase('session store: a second writer is refused on each side of the sequence numbers', target => {
  let leases: LeaseStore
  const f = schemaFixture(target, {
    prefix: 'fixsides',
    migrate: true,
    setup: async (db, schema) => { leases = new LeaseStore(db, schema) }
  })

  it('refuses, without writing, a second process sending or receiving from numbers the first moved', async () => {
    const a = new DatabaseMessageStore(f.db, f.schema, 'W1')
    const b = new DatabaseMessageStore(f.db, f.schema, 'W1')
    await a.load()
    await b.load()
    await a.recordSentBatch([out(1, 'A1')])
    await assert.rejects(b.recordSentBatch([out(1, 'B1')]), SessionOwnershipError)
    await assert.rejects(b.advanceSender(2), SessionOwnershipError)
    await a.recordReceived([inb(1)], 2)
    await assert.rejects(b.recordReceived([inb(1)], 2), SessionOwnershipError)
    await assert.rejects(b.advanceTarget(2), SessionOwnershipError)
    // A reset by the first moves the epoch of both rows: the second's numbers are refused on both sides.
    const c = new DatabaseMessageStore(f.db, f.schema, 'W1')
    await c.load()
    await a.reset()
    await assert.rejects(c.recordSentBatch([out(2, 'C2')]), SessionOwnershipError)
    await assert.rejects(c.recordReceived([inb(2)], 3), SessionOwnershipError)
    const s = quoteIdent(f.schema)
    const sent = await f.db.query<{ cl_ord_id: string }>(`SELECT cl_ord_id FROM ${s}.fix_out ORDER BY msg_seq_num`)
    assert.deepStrictEqual(sent.rows.map(r => r.cl_ord_id), ['A1'])
    const received = await f.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.fix_in`)
    assert.strictEqual(Number(received.rows[0].n), 1)
    const state = await f.db.query<{ s: string, t: string, e: number }>(
      `SELECT next_sender_seq AS s, next_target_seq AS t, epoch AS e FROM ${s}.fix_session_state`)
    assert.deepStrictEqual([Number(state.rows[0].s), Number(state.rows[0].t), state.rows[0].e], [1, 1, 2])
  })

  it('refuses every write of an old lease holder on both sides once a newer one loaded (LeaseLostError)',
    async function () {
      this.timeout(30000)
      // A holds the lease and writes on both sides; its lease runs out; B takes it over (a newer token).
      const a = await leases.acquire(resourceOf.session('W2'), 'a', 1500)
      assert.ok(a !== undefined)
      const told: LeaseLostError[] = []
      const stA = new DatabaseMessageStore(f.db, f.schema, 'W2', { ...a, onLost: err => told.push(err) })
      await stA.load()
      await stA.recordSentBatch([out(1, 'A1')])
      await stA.recordReceived([inb(1)], 2)
      await new Promise(resolve => setTimeout(resolve, 1600))
      const b = await leases.acquire(resourceOf.session('W2'), 'b', 60000)
      assert.ok(b !== undefined)
      const stB = new DatabaseMessageStore(f.db, f.schema, 'W2', b)
      const loaded = await stB.load()
      assert.deepStrictEqual([loaded.nextSenderSeq, loaded.nextTargetSeq], [2, 2])
      await assert.rejects(stA.recordSentBatch([out(2, 'A2')]), LeaseLostError)
      await assert.rejects(stA.recordReceived([inb(2)], 3), LeaseLostError)
      await assert.rejects(stA.advanceSender(3), LeaseLostError)
      await assert.rejects(stA.advanceTarget(3), LeaseLostError)
      await assert.rejects(stA.reset(), LeaseLostError)
      assert.ok(told.length >= 5, `the old holder was told (${told.length})`)
      // The new holder goes on from the numbers both rows hold.
      await stB.recordSentBatch([out(2, 'B2')])
      await stB.recordReceived([inb(2)], 3)
      const s = quoteIdent(f.schema)
      const state = await f.db.query<{ s: string, t: string }>(
      `SELECT next_sender_seq AS s, next_target_seq AS t FROM ${s}.fix_session_state WHERE session_name = 'W2'`)
      assert.deepStrictEqual([Number(state.rows[0].s), Number(state.rows[0].t)], [3, 3])
    })
})
