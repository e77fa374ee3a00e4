import * as assert from 'assert'
import { Client } from 'pg'
import { comparePositions, Streamer, StreamerOptions } from '../../../core/stream'
import { describeEachDatabase, eventually } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'
import { Collector, missingAndDuplicates } from '../../support/stream'

type Mode = 'xid8' | 'settled'
const MODES: Mode[] = ['xid8', 'settled']

function range (from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

function assertStrictlyOrdered (c: Collector): void {
  const p = c.positions()
  for (let i = 1; i < p.length; i++) {
    assert.ok(
      comparePositions(p[i - 1], p[i]) < 0,
      `rows ${i - 1} and ${i} out of order: ${JSON.stringify(p[i - 1])} then ${JSON.stringify(p[i])}`
    )
  }
}

describeEachDatabase('streamer', target => {
  const f = schemaFixture(target, { prefix: 'st' })

  let tableNo = 0
  async function table (mode: Mode): Promise<string> {
    const name = `ev${++tableNo}`
    const tx = mode === 'xid8' ? ', tx xid8 NOT NULL DEFAULT pg_current_xact_id()' : ''
    await f.db.query(`CREATE TABLE "${f.schema}".${name} (seq bigserial PRIMARY KEY${tx}, at timestamptz NOT NULL
      DEFAULT clock_timestamp(),
      amount numeric, big bigint, note text)`)
    if (mode === 'xid8') await f.db.query(`CREATE INDEX ON "${f.schema}".${name} (tx, seq)`)
    return name
  }
  async function insert (name: string, n: number): Promise<void> {
    await f.db.query(`INSERT INTO "${f.schema}".${name} (amount, big, note)
      SELECT (g::numeric / 100 + 1000000000000000000)::numeric(30, 2), 9007199254740993, 'row ' || g
        FROM generate_series(1, $1::int) g`, [n])
  }
  function streamer (name: string, mode: Mode, extra: Partial<StreamerOptions> = {}): Streamer {
    const s = new Streamer({
      name: 'orders',
      database: f.db,
      table: `${f.schema}.${name}`,
      positionColumns: mode === 'xid8' ? ['tx', 'seq'] : ['seq'],
      timeColumn: 'at',
      batchSize: 50,
      pollMs: 50,
      retryInitialMs: 50,
      ...extra
    })
    f.closing.push(s)
    return s
  }

  for (const mode of MODES) {
    describe(`${mode} position`, () => {
      it('replays every row in batches, then follows live rows with no gap or duplicate at the seam', async () => {
        const t = await table(mode)
        await insert(t, 230)
        const s = streamer(t, mode)
        // Another session's open transaction on a shared server can hold rows back; wait until
        // all 230 are readable so that they count as replayed.
        await eventually(async () => (await s.head())?.[mode === 'xid8' ? 1 : 0] === '230', 20000, 'rows readable')
        const c = new Collector()
        s.subscribe({ kind: 'beginning' }, c)
        await eventually(() => c.phase === 'live', 10000, 'live')
        assert.ok(
          c.states.some(x => x.phase === 'replaying' && x.remaining === 230),
          'progress counted the rows to replay'
        )
        await insert(t, 120)
        await eventually(() => c.rows.length >= 350, 10000, '350 rows')
        const { missing, duplicates } = missingAndDuplicates(c.seqs(), range(1, 350))
        assert.deepStrictEqual({ missing, duplicates }, { missing: [], duplicates: [] })
        assert.strictEqual(c.rows.length, 350)
        assertStrictlyOrdered(c)
        assert.ok(c.rows.slice(0, 230).every(r => r.replay), 'rows already there are replayed')
        assert.ok(c.rows.slice(230).every(r => !r.replay), 'rows written later arrive live')
        assert.ok(c.deliveries >= 5, 'delivered in batches of at most 50')
        const first = c.rows[0]
        assert.strictEqual(first.stream, 'orders')
        assert.strictEqual(first.row.amount, '1000000000000000000.01', 'numeric keeps its precision')
        assert.strictEqual(first.row.big, '9007199254740993', 'bigint keeps its precision')
        // PostgreSQL prints no fraction for a time on a whole second (PGlite's clock has millisecond steps).
        assert.match(String(first.row.at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
      })

      it('starts strictly after a checkpoint position, as a restarted client does', async () => {
        const t = await table(mode)
        await insert(t, 100)
        const first = new Collector()
        const sub = streamer(t, mode).subscribe({ kind: 'beginning' }, first)
        await eventually(() => first.rows.length === 100)
        const checkpoint = first.rows[39].position
        await sub.close()
        assert.strictEqual(first.phase, 'closed')
        await insert(t, 10)
        // A new streamer, as after a Node-RED restart.
        const again = new Collector()
        const sub2 = streamer(t, mode).subscribe({ kind: 'after', position: checkpoint }, again)
        await eventually(() => again.rows.length >= 70)
        await new Promise(resolve => setTimeout(resolve, 200))
        assert.deepStrictEqual(again.seqs(), range(41, 110))
        assert.deepStrictEqual(sub2.position, again.rows[69].position)
      })

      it('serves two subscribers at different positions, each exactly its own rows in order', async () => {
        const t = await table(mode)
        await insert(t, 300)
        const s = streamer(t, mode)
        const a = new Collector()
        const b = new Collector()
        const probe = new Collector()
        const ps = s.subscribe({ kind: 'beginning' }, probe)
        await eventually(() => probe.rows.length === 300)
        await ps.close()
        s.subscribe({ kind: 'after', position: probe.rows[99].position }, a)
        s.subscribe({ kind: 'after', position: probe.rows[249].position }, b)
        await insert(t, 50)
        await eventually(() => a.rows.length >= 250 && b.rows.length >= 100, 10000, 'both caught up')
        await insert(t, 25)
        await eventually(() => a.rows.length >= 275 && b.rows.length >= 125, 10000, 'live rows')
        assert.deepStrictEqual(a.seqs(), range(101, 375))
        assert.deepStrictEqual(b.seqs(), range(251, 375))
        assertStrictlyOrdered(a)
        assertStrictlyOrdered(b)
        assert.strictEqual(a.phase, 'live')
        assert.strictEqual(b.phase, 'live')
      })

      it('starts a live subscriber at the head: only rows written after it subscribed', async () => {
        const t = await table(mode)
        await insert(t, 40)
        const c = new Collector()
        streamer(t, mode).subscribe({ kind: 'live' }, c)
        await eventually(() => c.phase === 'live')
        await insert(t, 5)
        await eventually(() => c.rows.length >= 5)
        await new Promise(resolve => setTimeout(resolve, 150))
        assert.deepStrictEqual(c.seqs(), range(41, 45))
        assert.ok(c.rows.every(r => !r.replay))
      })

      it('starts from a timestamp: the first row at or after that time', async () => {
        const t = await table(mode)
        await insert(t, 20)
        await new Promise(resolve => setTimeout(resolve, 20))
        const at = (await f.db.query<{ now: string }>('SELECT clock_timestamp()::timestamptz AS now')).rows[0].now
        await insert(t, 7)
        const c = new Collector()
        streamer(t, mode).subscribe({ kind: 'timestamp', at }, c)
        await eventually(() => c.rows.length >= 7)
        await new Promise(resolve => setTimeout(resolve, 150))
        assert.deepStrictEqual(c.seqs(), range(21, 27))
      })

      it('reads nothing more for a subscriber until it has taken its batch, ' +
        'without holding back the others', async () => {
        const t = await table(mode)
        const s = streamer(t, mode, { liveQueueLimit: 100 })
        const slow = new Collector()
        const fast = new Collector()
        s.subscribe({ kind: 'live' }, slow)
        s.subscribe({ kind: 'live' }, fast)
        await eventually(() => slow.phase === 'live' && fast.phase === 'live')
        slow.hold()
        await insert(t, 10)
        await eventually(() => slow.deliveries === 1 && fast.rows.length === 10, 10000, 'first batch')
        for (let i = 0; i < 10; i++) await insert(t, 30)
        await eventually(
          () => fast.rows.length === 310,
          10000,
          'fast subscriber gets live rows while the slow one is stuck'
        )
        assert.strictEqual(slow.deliveries, 1, 'the stuck subscriber was offered nothing more')
        assert.strictEqual(slow.rows.length, 0)
        slow.release()
        await eventually(() => slow.rows.length === 310, 10000, 'slow subscriber catches up')
        assert.deepStrictEqual(slow.seqs(), range(1, 310))
        assertStrictlyOrdered(slow)
        await eventually(() => slow.phase === 'live', 10000, 'slow subscriber back to live')
        await insert(t, 3)
        await eventually(() => slow.rows.length === 313 && fast.rows.length === 313)
      })

      it('redelivers a batch the subscriber refused, and skips nothing', async () => {
        const t = await table(mode)
        await insert(t, 30)
        let refusals = 0
        const got: number[] = []
        streamer(t, mode).subscribe({ kind: 'beginning' }, {
          deliver: async rows => {
            if (refusals < 2) {
              refusals++
              throw new Error('target busy')
            }
            got.push(...rows.map(r => Number(r.row.seq)))
          }
        })
        await eventually(() => got.length === 30)
        assert.deepStrictEqual(got, range(1, 30))
      })

      it('projects and renames columns and applies the filter in the database', async () => {
        const t = await table(mode)
        await insert(t, 20)
        const c = new Collector()
        const position = mode === 'xid8' ? ['tx', 'seq'] : ['seq']
        streamer(t, mode, {
          columns: [{ column: 'seq', as: 'id' }, { column: 'note' }],
          filter: "note LIKE 'row 1%' AND seq <> 12",
          positionColumns: position
        }).subscribe({ kind: 'beginning' }, c)
        await eventually(() => c.phase === 'live')
        assert.deepStrictEqual(
          c.rows.map(r => r.row),
          [1, 10, 11, 13, 14, 15, 16, 17, 18, 19].map(i => ({ id: String(i), note: `row ${i}` }))
        )
        assert.deepStrictEqual(
          c.rows.map(r => r.position[r.position.length - 1]),
          ['1', '10', '11', '13', '14', '15', '16', '17', '18', '19']
        )
      })

      it('tells every subscriber "closed" when the streamer closes', async () => {
        const t = await table(mode)
        const s = streamer(t, mode)
        const a = new Collector()
        const b = new Collector()
        s.subscribe({ kind: 'live' }, a)
        s.subscribe({ kind: 'beginning' }, b)
        await eventually(() => a.phase === 'live' && b.phase === 'live')
        await s.close()
        assert.strictEqual(a.phase, 'closed')
        assert.strictEqual(b.phase, 'closed')
        const late = new Collector()
        s.subscribe({ kind: 'live' }, late)
        assert.strictEqual(late.phase, 'closed')
      })
    })
  }

  describe('bad configuration', () => {
    async function failure (opts: Partial<StreamerOptions>, start: any = { kind: 'beginning' }): Promise<string> {
      const c = new Collector()
      const s = new Streamer({
        name: 'x',
        database: f.db,
        table: `${f.schema}.cfg`,
        positionColumns: ['tx', 'seq'],
        retryInitialMs: 20,
        ...opts
      })
      f.closing.push(s)
      s.subscribe(start, c)
      await eventually(() => c.phase === 'failed', 10000, 'failed')
      return c.lastError as string
    }
    beforeEach(async () => {
      await f.db.query(`CREATE TABLE "${f.schema}".cfg (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT ` +
        'pg_current_xact_id(), at timestamptz DEFAULT now(), note text)')
    })

    it('names a missing table, keeps looking for it, and streams once it is created (no restart)', async () => {
      const c = new Collector()
      const s = new Streamer({
        name: 'late',
        database: f.db,
        table: `${f.schema}.late`,
        positionColumns: ['tx', 'seq'],
        retryInitialMs: 20,
        retryMaxMs: 200
      })
      f.closing.push(s)
      s.subscribe({ kind: 'beginning' }, c)
      const waiting = await eventually(() => c.states.find(x => x.phase === 'retrying'), 10000, 'retrying') as any
      assert.match(waiting.error, /table or view ".*\.late" does not exist/)
      assert.strictEqual(waiting.needsAction, true, 'flagged as needing a person')
      assert.ok(!c.states.some(x => x.phase === 'failed'), 'not failed for good')
      await f.db.query(`CREATE TABLE "${f.schema}".late (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT ` +
        'pg_current_xact_id(), note text)')
      await f.db.query(`INSERT INTO "${f.schema}".late (note) VALUES ('a'), ('b')`)
      await eventually(() => c.rows.length === 2, 10000, 'rows of the new table')
      assert.deepStrictEqual(c.rows.map(r => r.row.note), ['a', 'b'])
      assert.strictEqual(s.failed, undefined)
    })
    it('names a wrong column and lists the right ones', async () => {
      assert.match(
        await failure({ positionColumns: ['tx', 'sequence'] }),
        /position column "sequence" does not exist .*has: seq, tx, at, note/
      )
      assert.match(await failure({ columns: [{ column: 'nothere' }] }), /projected column "nothere" does not exist/)
    })
    it('refuses hostile identifiers before any SQL is built', async () => {
      assert.match(await failure({ table: `${f.schema}.cfg; DROP TABLE x` }), /not allowed/)
      assert.match(await failure({ positionColumns: ['tx', 'seq" --'] }), /position column .* is not allowed/)
      assert.match(await failure({ columns: [{ column: 'note', as: 'a"b' }] }), /output name .* is not allowed/)
    })
    it('refuses a filter that is not one expression, and reports a filter the database rejects', async () => {
      assert.match(await failure({ filter: 'true; DROP TABLE cfg' }), /one SQL expression/)
      assert.match(await failure({ filter: 'true -- x' }), /one SQL expression/)
      assert.match(await failure({ filter: 'no_such_column > 1' }), /column .*no_such_column.* does not exist/)
    })
    it('refuses position columns of the wrong type or shape', async () => {
      assert.match(await failure({ positionColumns: ['note'] }), /position column "note" has type text/)
      assert.match(await failure({ positionColumns: ['tx'] }), /needs a sequence column after it/)
      assert.match(await failure({ positionColumns: ['seq', 'tx'] }), /exactly one integer sequence column/)
    })
    it('refuses a start position that is not a position', async () => {
      assert.match(await failure({}, { kind: 'after', position: ['1'] }), /list of 2 whole numbers/)
      assert.match(await failure({}, { kind: 'after', position: ['1', 'x'] }), /not a whole number/)
      assert.match(await failure({}, { kind: 'timestamp', at: 'yesterday-ish' }), /not a timestamp|time column/)
    })
  })

  describe('transaction ids from another cluster', () => {
    it('refuses a checkpoint whose transaction id this database has not reached', async () => {
      const t = await table('xid8')
      await insert(t, 3)
      const c = new Collector()
      streamer(t, 'xid8').subscribe({ kind: 'after', position: ['900000000000', '2'] }, c)
      await eventually(() => c.phase === 'failed')
      assert.match(c.lastError as string, /ahead of this database .*restored into a new cluster/)
    })
    it('refuses to start on a table whose stored transaction ids are ahead of the database', async () => {
      const t = await table('xid8')
      await insert(t, 3)
      await f.db.query(`INSERT INTO "${f.schema}".${t} (tx, note) VALUES ('900000000000'::xid8, 'restored')`)
      const c = new Collector()
      const s = streamer(t, 'xid8')
      s.subscribe({ kind: 'beginning' }, c)
      await eventually(() => c.phase === 'failed')
      assert.match(c.lastError as string, /holds transaction id 900000000000 .*restored into a new cluster/)
      assert.match(s.failed as string, /restored into a new cluster/)
      assert.strictEqual(c.rows.length, 0)
    })
  })

  for (const mode of MODES) {
    it('counts the rows after a position exactly (client lag), through the ' +
      `filter, stopping at a limit [${mode}]`, async () => {
      const t = await table(mode)
      const s = streamer(t, mode, { filter: 'seq <> 7' })
      assert.strictEqual(await s.rowsAfter(undefined), 0, 'an empty table')
      await insert(t, 100)
      await eventually(
        async () => (await s.rowsAfter(undefined)) === 99,
        20000,
        '99 rows readable (row 7 filtered out)'
      )
      const c = new Collector()
      s.subscribe({ kind: 'beginning' }, c)
      await eventually(() => c.rows.length === 99, 10000, '99 rows')
      const at40 = c.rows[38].position // seq 40 (seq 7 is filtered out)
      assert.strictEqual(c.rows[38].row.seq, '40')
      assert.strictEqual(await s.rowsAfter(at40), 60)
      assert.strictEqual(await s.rowsAfter(at40, 25), 25, 'stops counting at the limit')
      assert.strictEqual(await s.rowsAfter(at40, 1000), 60)
      assert.strictEqual(await s.rowsAfter(c.rows[98].position), 0, 'nothing after the last row')
      await assert.rejects(s.rowsAfter(['1', '2', '3']), /must be a list of/)
    })
  }

  it('counts only rows below the horizon, as the stream will deliver them [xid8]', async function () {
    if (target.pg === undefined) return this.skip() // needs a second session
    const t = await table('xid8')
    const s = streamer(t, 'xid8')
    await insert(t, 3)
    await eventually(async () => await s.rowsAfter(undefined) === 3, 20000, '3 rows readable')
    const early = new Client(target.pg)
    await early.connect()
    try {
      // An older transaction still open holds back rows that later transactions committed.
      await early.query('BEGIN')
      await early.query(`INSERT INTO "${f.schema}".${t} (note) VALUES ('late')`)
      await insert(t, 5)
      assert.strictEqual(await s.rowsAfter(undefined), 3, 'rows above the horizon are not lag yet')
      await early.query('COMMIT')
      await eventually(
        async () => (await s.rowsAfter(undefined)) === 9,
        20000,
        'all 9 rows once the old transaction ended'
      )
    } finally {
      await early.end()
    }
  })

  it('after a NOTIFY, follows a row held back by an older transaction at the busy ' +
    'rate, not the idle poll [xid8]', async function () {
    if (target.pg === undefined) return this.skip() // needs a second session
    this.timeout(30000)
    const t = await table('xid8')
    const channel = `held_${tableNo}`
    // Idle polling every 60 s: anything that arrives sooner came through the NOTIFY path.
    const s = streamer(t, 'xid8', { listenChannel: channel, pollMs: 60000, busyPollMs: 20 })
    const c = new Collector()
    s.subscribe({ kind: 'live' }, c)
    await eventually(() => c.phase === 'live', 10000, 'live')
    await insert(t, 1)
    await f.db.query('SELECT pg_notify($1, \'\')', [channel])
    await eventually(() => c.rows.length === 1, 10000, 'the first row, woken by its NOTIFY')
    // Quiet for a while: the tail's idle nap grows towards the poll interval (past 5 s).
    await new Promise(resolve => setTimeout(resolve, 6000))
    const early = new Client(target.pg)
    await early.connect()
    try {
      await early.query('BEGIN')
      await early.query(`INSERT INTO "${f.schema}".${t} (note) VALUES ('early')`)
      // Committed and announced, but behind the horizon while the early transaction runs.
      await insert(t, 2)
      await f.db.query('SELECT pg_notify($1, \'\')', [channel])
      await new Promise(resolve => setTimeout(resolve, 300))
      assert.strictEqual(c.rows.length, 1, 'held back while the older transaction runs')
      // Its end sends no NOTIFY: the tail must see it by itself, well before its next idle poll.
      await early.query('COMMIT')
      await eventually(() => c.rows.length === 4, 4000, 'the held rows, soon after the older transaction ended')
      assert.deepStrictEqual(c.rows.map(r => r.row.note), ['row 1', 'early', 'row 1', 'row 2'])
    } finally {
      await early.end().catch(() => {})
    }
  })

  it('says where a subscriber with no checkpoint starts (the start setting)', () => {
    const t = 'unused'
    assert.deepStrictEqual(streamer(t, 'settled').initialStart, { kind: 'live' }, 'live by default')
    assert.deepStrictEqual(streamer(t, 'settled', { initialStart: { kind: 'beginning' } }).initialStart, {
      kind: 'beginning'
    })
  })

  it('reports the head position for lag', async () => {
    const t = await table('xid8')
    const s = streamer(t, 'xid8')
    assert.strictEqual(await s.head(), undefined)
    await insert(t, 4)
    const head = await s.head()
    assert.strictEqual(head?.[1], '4')
  })
})
