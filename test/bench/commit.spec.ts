import * as assert from 'assert'
import { Client } from 'pg'
import { commitLatency, commitLine } from '../../bench/_commit'

describe("the bench's measure of one commit on its server", () => {
  const url = process.env.DATABASE_URL
  let db: Client

  before(async function () {
    if (url === undefined) return this.skip() // needs DATABASE_URL
    db = new Client({ connectionString: url })
    await db.connect()
  })

  after(async () => { await db?.end() })

  const probeTables = async (): Promise<string[]> => (await db.query<{ t: string }>(
    "SELECT relname AS t FROM pg_class WHERE relname LIKE 'e2e_bench_commit_%'")).rows.map(r => r.t)

  it('times each one-row INSERT alone, one per tick, each a commit of its own, and drops its table', async () => {
    const before = await probeTables()
    const commitsBefore = Number((await db.query<{ n: string }>(
      'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0].n)
    const t0 = Date.now()
    const c = await commitLatency(url!, 40, 20)
    const took = Date.now() - t0
    assert.strictEqual(c.count, 40)
    assert.ok(c.p50 > 0 && c.p50 <= c.p99 && c.p99 <= c.max, JSON.stringify(c))
    // One every 20 ms: 40 of them take at least 39 gaps, unless they ran back to back.
    assert.ok(took >= 39 * 20, `40 commits 20 ms apart took ${took} ms`)
    // Each INSERT is its own transaction: the statistics count a commit for each. The probe's backend
    // hands its counts over as it exits, a moment after its client closed.
    let counted = 0
    for (let i = 0; i < 50 && counted < 40; i++) {
      await new Promise(resolve => setTimeout(resolve, 100))
      counted = Number((await db.query<{ n: string }>(
        'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0].n) - commitsBefore
    }
    assert.ok(counted >= 40, `${counted} commits counted for 40 INSERTs`)
    assert.deepStrictEqual(await probeTables(), before, 'the probe table was dropped')
  })

  it("prints the commit's percentiles with the commits each pass's latency waits for, by counterparty", () => {
    const c = { count: 500, p50: 1.126, p99: 4.461, max: 13.367 }
    const pack = commitLine(c, 'pack')
    assert.match(pack, /a one-row INSERT every 10 ms, 500 of them/)
    assert.match(pack, /p50 1\.13 \/ p99 4\.46 \/ max 13\.37 ms/)
    assert.match(pack, /waits for 2 commits in series before the counterparty reads it/)
    assert.match(pack, /each round trip for 5 before the apply stamps its fill \(also the counterparty's fix_in and /)
    // QuickFIX's executor commits nothing to PostgreSQL: the gateway's own commits are left.
    const quickfix = commitLine(c, 'quickfix')
    assert.match(quickfix, /each round trip for 3 before the apply stamps its fill \(also the gateway's fix_in;/)
  })
})
