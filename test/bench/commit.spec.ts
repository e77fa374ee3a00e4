import * as assert from 'assert'
import { Client } from 'pg'
import { commitLatency, commitLine } from '../../bench/_commit'
import { besideLines, besideRate, chainBeside, chainLine, commitChain, floorOf } from '../../bench/_commit-chain'

describe("the bench's measures of commits on its server: one alone, and chains in series", () => {
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

  const chainTables = async (): Promise<string[]> => (await db.query<{ t: string }>(
    "SELECT relname AS t FROM pg_class WHERE relname LIKE 'e2e_bench_chain_%'")).rows.map(r => r.t)

  it('commits every row once in each stage, counts those due after the first second, drops its tables', async () => {
    const before = await chainTables()
    const t0 = Date.now()
    const c = await commitChain(url!, 3, { rate: 500, seconds: 2 })
    const took = Date.now() - t0
    // 500 a second for 2 s, what came due in the first second left out.
    assert.ok(c.count >= 480 && c.count <= 510, `${c.count} rows counted`)
    assert.ok(c.p50 > 0 && c.p50 <= c.p99 && c.p99 <= c.max, JSON.stringify(c))
    assert.ok(took >= 1900, `2 s of rows took ${took} ms`)
    // Each of the three stages committed every row offered (500 a second for 2 s, the last tick's
    // rows short of it), as the server answered its INSERTs; a row committed twice would break its
    // table's primary key. Not pg_stat_database.tup_inserted: it also counts the catalogue's rows of
    // CREATE TABLE, and a backend's counts not yet handed over when its table is dropped go with it.
    assert.ok(c.offered >= 990 && c.offered <= 1000, `${c.offered} rows offered`)
    assert.deepStrictEqual(c.committed, [c.offered, c.offered, c.offered])
    assert.deepStrictEqual(await chainTables(), before, 'the stage tables were dropped')
  })

  it('takes longer through five stages than through one: each stage commits after the one before it', async () => {
    // Twice each, alternating: a burst of other work on the machine during one run raises its p50
    // alone, so each length is taken at its lower p50.
    const p50s: Record<1 | 5, number[]> = { 1: [], 5: [] }
    for (const stages of [1, 5, 1, 5] as const) {
      p50s[stages].push((await commitChain(url!, stages, { rate: 500, seconds: 2 })).p50)
    }
    const one = Math.min(...p50s[1])
    const five = Math.min(...p50s[5])
    assert.ok(five > one, `p50 through 5 stages ${p50s[5].join(', ')} ms, through 1 ${p50s[1].join(', ')}`)
  })

  it('gives up on a stage whose commit never answers once the drain time is over, and drops its tables', async () => {
    const before = await chainTables()
    const chain = commitChain(url!, 2, { rate: 200, seconds: 2, drainMs: 1000 }).then(() => undefined, (e: Error) => e)
    let mine: string[] = []
    while (mine.length < 2) {
      mine = (await chainTables()).filter(t => !before.includes(t) && !t.endsWith('_pkey')).sort()
    }
    // The second stage's table locked: its INSERT waits, and so does every row that reached it.
    await db.query('BEGIN')
    await db.query(`LOCK TABLE "${mine[1]}" IN ACCESS EXCLUSIVE MODE`)
    try {
      // The chain gives up, then drops its tables: the first stage's goes at once, the second's once unlocked.
      while ((await chainTables()).includes(mine[0])) await new Promise(resolve => setTimeout(resolve, 50))
    } finally {
      await db.query('ROLLBACK')
    }
    const err = await chain
    assert.match(String(err), /the chain still had \d+ rows in flight 1 s after the last was due/)
    assert.deepStrictEqual(await chainTables(), before, 'the stage tables were dropped')
  })

  it('refuses a chain without a stage', async () => {
    await assert.rejects(commitChain(url!, 0, { rate: 100, seconds: 2 }), /1 or more stages, not 0/)
  })

  it('prints each chain, and gives each pass the chain of the commits it waits for, by counterparty', () => {
    const l = (p50: number): { count: number, p50: number, p99: number, max: number } =>
      ({ count: 5000, p50, p99: p50 * 3, max: p50 * 6 })
    const chains = [{ stages: 2, latency: l(2.5) }, { stages: 5, latency: l(5.25) }]
    const line = chainLine(chains, { rate: 1000, seconds: 6 })
    assert.match(line, /1,000 rows\/s for 6 s/)
    assert.match(line, /2 in series p50 2\.50 \/ p99 7\.50 \/ max 15\.00 ms; 5 in series p50 5\.25 \/ p99 15\.75/)
    const floors = { one: l(1), chains: new Map([[2, l(2)], [3, l(3)], [5, l(5)]]) }
    assert.strictEqual(floorOf(floors, 'pack', true)?.chain?.latency.p50, 5)
    assert.strictEqual(floorOf(floors, 'pack', false)?.chain?.latency.p50, 2)
    // QuickFIX's executor commits nothing to PostgreSQL: three commits are left in a round trip.
    assert.strictEqual(floorOf(floors, 'quickfix', true)?.inSeries, 3)
    assert.strictEqual(floorOf(floors, 'quickfix', true)?.chain?.latency.p50, 3)
    assert.strictEqual(floorOf(undefined, 'pack', true), undefined)
  })

  it('runs the chain of a pass beside a phase only when asked, and gives a failure as text, not a rejection',
    async () => {
      assert.strictEqual(besideRate({}), undefined)
      assert.strictEqual(besideRate({ BENCH_E2E_CHAIN_BESIDE: '200' }), 200)
      assert.throws(() => besideRate({ BENCH_E2E_CHAIN_BESIDE: 'abc' }), /CHAIN_BESIDE must be a whole number/)
      assert.strictEqual(chainBeside(url, undefined, 'pack', true, 2), undefined)
      assert.strictEqual(chainBeside(undefined, 200, 'pack', true, 2), undefined)
      // The outbound pass waits for 2 commits, a round trip against QuickFIX's executor for 3.
      assert.match(await chainBeside(url, 200, 'pack', false, 2)!, /^2 in series p50 [\d.]+ \/ p99 [\d.]+ \/ max/)
      assert.match(await chainBeside(url, 200, 'quickfix', true, 2)!, /^3 in series p50 /)
      const refused = chainBeside('postgres://nobody@127.0.0.1:1/none', 200, 'pack', true, 2)!
      assert.match(await refused, /^5 in series failed: .*ECONNREFUSED/)
      assert.deepStrictEqual(besideLines(200, []), [])
      assert.deepStrictEqual(besideLines(undefined, ['1,000/s x']), [])
      const line = besideLines(200, ['100/s a', '1,000/s b'])[0]
      assert.match(line, /BENCH_E2E_CHAIN_BESIDE: 200 rows\/s.*: 100\/s a; 1,000\/s b$/)
    })
})
