import * as assert from 'assert'
import { Database } from '../../../core'
import {
  JournalEntry,
  JournalQueryError,
  parseJournalFilter,
  readJournal,
  readJournalMessage
} from '../../../core/ops/journal'
import { describeEachDatabase } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'

const SOH = '\x01'
const raw = (...fields: string[]): string => fields.join(SOH) + SOH

/** Writes a small two-way journal: per order a NewOrderSingle out and two ExecutionReports in. */
async function fillJournal (
  db: Database,
  schema: string,
  session: string,
  orders: number,
  start = Date.UTC(2026, 0, 1, 10)
): Promise<void> {
  let seqIn = 1
  let seqOut = 1
  for (let i = 1; i <= orders; i++) {
    const id = `C${i}`
    const t = (k: number): string => new Date(start + i * 1000 + k).toISOString()
    await db.query(
      `INSERT INTO "${schema}".fix_out (session_name, epoch, msg_seq_num, msg_type, cl_ord_id, sent_at, body, raw)
      VALUES ($1, 1, $2, 'D', $3, $4, '', $5)`,
      [session, seqOut, id, t(0), raw('8=FIX.4.4', '35=D', `34=${seqOut}`, `11=${id}`, '54=1')]
    )
    seqOut++
    for (const [k, ordStatus] of [[1, '0'], [2, '2']] as const) {
      await db.query(`INSERT INTO "${schema}".fix_in (session_name, msg_seq_num, msg_type, sender_comp_id,
        target_comp_id, cl_ord_id, received_at, raw)
        VALUES ($1, $2, '8', 'EX', 'GW', $3, $4, $5)`,
      [session, seqIn, id, t(k), raw('8=FIX.4.4', '35=8', `34=${seqIn}`, `11=${id}`, `39=${ordStatus}`)])
      seqIn++
    }
  }
  // A cancel: OrigClOrdID only in the raw text of fix_out (no column there).
  await db.query(
    `INSERT INTO "${schema}".fix_out (session_name, epoch, msg_seq_num, msg_type, cl_ord_id, sent_at, body, raw)
    VALUES ($1, 1, $2, 'F', 'X1', $3, '', $4)`,
    [
      session,
      seqOut,
      new Date(start + (orders + 1) * 1000).toISOString(),
      raw('8=FIX.4.4', '35=F', '11=X1', '41=C2', '141=Y')
    ]
  )
}

describeEachDatabase('operator console journal', target => {
  const f = schemaFixture(target, {
    prefix: 'journal',
    migrate: true,
    schemaPer: 'describe', // the tests read the journal filled here (one adds a session of its own)
    setup: async (db, schema) => {
      await fillJournal(db, schema, 'S1', 30)
      await fillJournal(db, schema, 'OTHER', 3)
    }
  })

  const page = async (q: Record<string, unknown>): Promise<{ entries: JournalEntry[], next?: string }> =>
    await readJournal(f.db, f.schema, parseJournalFilter({ session: 'S1', ...q }))

  it('lists one direction newest first and pages through it without gaps or repeats', async () => {
    const seen: string[] = []
    let cursor: string | undefined
    for (let n = 0; n < 10; n++) {
      const p = await page({ direction: 'in', limit: 7, cursor })
      seen.push(...p.entries.map(e => e.seq))
      cursor = p.next
      if (cursor === undefined) break
    }
    assert.deepStrictEqual(seen, Array.from({ length: 60 }, (_, i) => String(60 - i)))
  })

  it('merges both directions by time across pages: every row once, newest first', async () => {
    const all: JournalEntry[] = []
    let cursor: string | undefined
    do {
      const p = await page({ limit: 8, cursor })
      all.push(...p.entries)
      cursor = p.next
    } while (cursor !== undefined)
    assert.strictEqual(all.length, 91)
    assert.strictEqual(new Set(all.map(e => e.direction + e.id)).size, 91)
    const times = all.map(e => Date.parse(e.at))
    assert.deepStrictEqual(times, [...times].sort((a, b) => b - a))
    assert.deepStrictEqual([all[0].msgType, all[0].direction], ['F', 'out'])
  })

  it("finds an order's whole conversation by ClOrdID, both directions, including a cancel's OrigClOrdID", async () => {
    const p = await page({ clOrdId: 'C2' })
    assert.deepStrictEqual(p.entries.map(e => `${e.direction} ${e.msgType} ${e.clOrdId}/${e.origClOrdId ?? ''}`),
      ['out F X1/C2', 'in 8 C2/', 'in 8 C2/', 'out D C2/'])
    assert.strictEqual(p.next, undefined)
  })

  it('filters by MsgType, MsgSeqNum range and time range', async () => {
    assert.deepStrictEqual((await page({ msgType: 'D' })).entries.length, 30)
    assert.deepStrictEqual(
      (await page({ direction: 'in', seqFrom: 10, seqTo: 12 })).entries.map(e => e.seq),
      ['12', '11', '10']
    )
    const t0 = new Date(Date.UTC(2026, 0, 1, 10) + 5000).toISOString()
    const t1 = new Date(Date.UTC(2026, 0, 1, 10) + 7000).toISOString()
    const p = await page({ from: t0, to: t1 })
    assert.deepStrictEqual(p.entries.map(e => e.clOrdId), ['C6', 'C6', 'C6', 'C5', 'C5', 'C5'])
  })

  it('opens one message with its raw text, and only in its own session', async () => {
    const first = (await page({ direction: 'in', limit: 1 })).entries[0]
    const m = await readJournalMessage(f.db, f.schema, 'S1', 'in', first.id)
    assert.ok(m?.raw.includes('11=C30'))
    assert.strictEqual(await readJournalMessage(f.db, f.schema, 'OTHER', 'in', first.id), undefined)
  })

  it('masks passwords and credential data in the message it opens, both directions', async () => {
    // A UserRequest (35=BE) is an application message: journaled, with Password and NewPassword.
    const secret = 'hunter2-s3cret'
    await f.db.query(`INSERT INTO "${f.schema}".fix_in (session_name, msg_seq_num, msg_type, sender_comp_id,
      target_comp_id, received_at, raw) VALUES ('SECRETS', 1, 'BE', 'EX', 'GW', now(), $1)`,
    [raw('8=FIX.4.4', '35=BE', '34=1', '923=R1', '924=3', '553=ops', `554=${secret}`, `925=${secret}`, '95=3',
      `96=${secret}`)])
    await f.db.query(`INSERT INTO "${f.schema}".fix_out (session_name, epoch, msg_seq_num, msg_type, sent_at, body, raw)
      VALUES ('SECRETS', 1, 1, 'BE', now(), '', $1)`,
    [raw('8=FIX.4.4', '35=BE', '34=1', '923=R2', '924=1', '553=ops', `554=${secret}`)])
    for (const direction of ['in', 'out'] as const) {
      const filter = parseJournalFilter({ session: 'SECRETS', direction })
      const entry = (await readJournal(f.db, f.schema, filter)).entries[0]
      const m = await readJournalMessage(f.db, f.schema, 'SECRETS', direction, entry.id)
      assert.ok(m !== undefined)
      assert.ok(!m.raw.includes(secret), `${direction}: ${m.raw}`)
      assert.ok(m.raw.includes(`553=ops${SOH}554=***${SOH}`), `${direction}: ${m.raw}`)
    }
  })

  it('refuses bad input with a JournalQueryError before any query', () => {
    assert.throws(() => parseJournalFilter({}), JournalQueryError)
    assert.throws(() => parseJournalFilter({ session: 'S1', seqFrom: '-3' }), /MsgSeqNum/)
    assert.throws(() => parseJournalFilter({ session: 'S1', from: 'yesterday-ish' }), /not a date/)
    assert.throws(() => parseJournalFilter({ session: 'S1', limit: '100000' }), /limit/)
    assert.throws(() => parseJournalFilter({ session: 'S1', cursor: 'bm9wZQ' }), /cursor/)
    assert.throws(() => parseJournalFilter({ session: 'S1', direction: 'sideways' }), /direction/)
  })
})
