import * as assert from 'assert'
import type { Queryable } from '../../../core/db/database'
import { migrate } from '../../../core/db/migrate'
import type { Horizon } from '../../../core/stream/horizon'
import { describeEachDatabase } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'
import { executionReportsHorizon } from '../../support/stream'

/** The names of every index a plan (EXPLAIN's JSON) reads. */
function indexesOf (node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const n of node) indexesOf(n, into)
  } else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'Index Name' && typeof v === 'string') into.add(v)
      else indexesOf(v, into)
    }
  }
  return into
}

describeEachDatabase('stream horizon plans', target => {
  // A new inbound journal as the gateway makes it (migrations), streamed as the e2e flows stream
  // it (ExecutionReports only), with no statistics yet: never analysed, and autovacuum off so none
  // arrive during the test. Its indexes include (session_name, msg_type, received_at, receive_seq).
  const f = schemaFixture(target, {
    prefix: 'hzp',
    setup: async (db, schema) => {
      await migrate(db, schema)
      await db.query(`ALTER TABLE "${schema}".fix_in SET (autovacuum_enabled = false)`)
      for (let i = 0; i < 40; i++) {
        await db.query(`INSERT INTO "${schema}".fix_in (session_name, msg_seq_num, msg_type, sender_comp_id, ` +
          `target_comp_id, raw) SELECT 'GW', ${i * 100} + g, '8', 'B', 'A', repeat('r', 150) ` +
          'FROM generate_series(1, 100) AS g')
      }
    }
  })

  /** Runs `call` against the database, then EXPLAINs (same parameters) every statement it ran. */
  async function indexesUsed (call: (db: Queryable) => Promise<unknown>): Promise<Set<string>> {
    const ran: Array<{ text: string, params?: readonly unknown[] }> = []
    const recording: Queryable = {
      query: async (text, params) => {
        ran.push({ text, params })
        return await f.db.query(text, params)
      }
    }
    await call(recording)
    assert.ok(ran.length > 0)
    const used = new Set<string>()
    for (const { text, params } of ran) {
      const r = await f.db.query<Record<string, unknown>>(`EXPLAIN (FORMAT JSON) ${text}`, params)
      const plan = Object.values(r.rows[0])[0]
      indexesOf(typeof plan === 'string' ? JSON.parse(plan) : plan, used)
    }
    return used
  }

  it('reads, counts and checks for held-back rows through the stream\'s index on a table never analysed, ' +
    'not through an index of the filter\'s column', async () => {
    const h: Horizon = await executionReportsHorizon(f.db, f.schema)
    // A position near the end, as a stream that keeps up has.
    const near = (await f.db.query<{ tx: string, seq: string }>(
      `SELECT tx::text AS tx, receive_seq::text AS seq FROM "${f.schema}".fix_in ORDER BY receive_seq DESC ` +
      'OFFSET 50 LIMIT 1')).rows[0]
    const after = [near.tx, near.seq]
    const calls: Array<[string, (db: Queryable) => Promise<unknown>]> = [
      ['read after', async db => await h.read(db, after, 500)],
      ['count after', async db => await h.count(db, after, 10000)],
      ['held back after', async db => await h.heldBack(db, after)],
      ['held back first', async db => await h.heldBack(db, undefined)]
    ]
    const wrong: string[] = []
    for (const [name, call] of calls) {
      const used = await indexesUsed(call)
      if (used.size !== 1 || !used.has('fix_in_tx_receive_seq')) wrong.push(`${name}: ${[...used].join(', ')}`)
    }
    assert.deepStrictEqual(wrong, [], 'statements not served by fix_in_tx_receive_seq alone')
    // The statements still find what they did.
    assert.strictEqual((await h.read(f.db, after, 500)).rows.length, 50)
    assert.strictEqual(await h.count(f.db, after), 50)
    // The held-back check counts every committed row after the position, readable or not: the tail
    // asks it from where its last read ended, so any it finds is one that read could not return.
    assert.strictEqual(await h.heldBack(f.db, after), true)
    const last = await f.db.query<{ tx: string, seq: string }>(
      `SELECT tx::text AS tx, receive_seq::text AS seq FROM "${f.schema}".fix_in ORDER BY receive_seq DESC LIMIT 1`)
    assert.strictEqual(await h.heldBack(f.db, [last.rows[0].tx, last.rows[0].seq]), false)
    assert.strictEqual(await h.heldBack(f.db, undefined), true)
  })
})
