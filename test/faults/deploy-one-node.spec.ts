import * as assert from 'assert'
import { E2eSystem, order } from '../support/e2e/system'
import { request, waitFor } from '../support/e2e/harness'
import { FRESH_CONNECTION } from '../support/fresh-connection'

/**
 * Issue 17, point 4: deploying only the modified nodes (the editor's "modified nodes" deploy) of
 * a changed database node, FIX session, streamer or client leaves every connected node working,
 * as a full deploy does. Real Node-RED (a child process) with the crash test's flows:
 * audit-streamer -> streamer-client -> fix-gateway/fix-session -> FIX counterparty, and the
 * reports back through fix-session's inbound journal -> audit-streamer -> streamer-client ->
 * streamer-sql. Each deploy goes through the admin API (POST /flows, Node-RED-Deployment-Type:
 * nodes), twice per node, once while orders are flowing; the counts are checked after each node.
 */
const ALONE = [
  { what: 'the database node', pick: (n: any) => n.type === 'streamer-database' },
  { what: 'the FIX session', pick: (n: any) => n.type === 'fix-session' },
  { what: 'the outbound streamer', pick: (n: any) => n.id === 'out-streamer' },
  { what: 'the outbound client', pick: (n: any) => n.id === 'out-client' }
]

for (const database of ['pglite', 'postgres'] as const) {
  describe(`deploying only one node keeps every connected node working [${database}]`, () => {
    const url = process.env.DATABASE_URL
    let sys: E2eSystem | undefined
    let orders = 0
    let deploys = 0
    let refusedBefore = 0

    before(async function () {
      if (database === 'postgres' && (url === undefined || url === '')) return this.skip() // set DATABASE_URL
      this.timeout(180000)
      if (database === 'pglite') delete process.env.DATABASE_URL
      try {
        sys = new E2eSystem({ label: `deploydb_${database}`, pollMs: 50 })
        await sys.start()
      } finally {
        if (url !== undefined) process.env.DATABASE_URL = url
      }
    })
    after(async function () {
      this.timeout(60000)
      await sys?.stop()
    })

    const filled = async (n: number, what: string): Promise<void> => {
      let last: unknown
      await waitFor(async () => {
        const c = await sys!.counts()
        last = c
        return c.filled >= n
      }, 90000, what, 250).catch(async err => {
        const tail = sys!.nodeRed!.lines.slice(-15).join('\n')
        const overview = await request('GET', `http://127.0.0.1:${sys!.port}/fix-streamers/overview`)
        throw new Error(`${String(err)}; counts ${JSON.stringify(last)}; streams ` +
          `${JSON.stringify(overview.body?.clients ?? overview.body).slice(0, 3000)}; Node-RED's last lines:\n${tail}`)
      })
    }

    /** Changes one node's name (nothing else) and deploys the modified nodes only. */
    async function deployOnly (pick: (n: any) => boolean, name: string): Promise<void> {
      const base = `http://127.0.0.1:${sys!.port}`
      const got = await request('GET', `${base}/flows`)
      assert.strictEqual(got.status, 200)
      const flows = (got.body as any[]).map(n => pick(n) ? { ...n, name } : n)
      assert.strictEqual(flows.filter(n => n.name === name).length, 1, 'one node changed')
      const posted = await requestWithHeaders('POST', `${base}/flows`, flows, { 'Node-RED-Deployment-Type': 'nodes' })
      assert.ok([200, 204].includes(posted.status), `deploy: HTTP ${posted.status} ${JSON.stringify(posted.body)}`)
      deploys++
    }

    /** Inserts the next `n` orders, one every 20 ms. */
    async function insertOrders (n: number): Promise<void> {
      for (let i = 0; i < n; i++) {
        await sys!.insertSurely([order(++orders)], Date.now() + 60000)
        await new Promise(resolve => setTimeout(resolve, 20))
      }
    }

    for (const { what, pick } of ALONE) {
      it(`orders flow out and reports flow back after ${what} alone is deployed, ` +
        'each order sent once and each report applied once', async function () {
        this.timeout(300000)
        const s = sys!
        await insertOrders(5)
        await filled(orders, 'the first orders filled')
        await deployOnly(pick, `${what} (edited once)`)
        await insertOrders(5)
        await filled(orders, `orders filled after ${what} was deployed alone`)
        // Again, with orders arriving while the nodes restart.
        const inserting = insertOrders(30)
        await deployOnly(pick, `${what} (edited twice)`)
        await inserting
        await filled(orders, 'orders inserted during the deploy filled')
        const c = await s.counts()
        assert.deepStrictEqual(
          {
            orders: c.orders,
            filled: c.filled,
            sent: c.fix_out_orders,
            sentDistinct: c.fix_out_distinct_orders,
            reports: c.fix_in_distinct_reports,
            appliedTwiceExactly: c.applied_twice_exactly
          },
          {
            orders, filled: orders, sent: orders, sentDistinct: orders, reports: 2 * orders, appliedTwiceExactly: orders
          }
        )
        assert.ok(s.nodeRed!.alive(), 'Node-RED is running')
        const lines = s.nodeRed!.lines
        assert.strictEqual(lines.filter(l => /Started modified nodes/.test(l)).length, deploys,
          'every deploy was of modified nodes')
        // Known, left to the gateway's owner: rows that reach fix-gateway while its session is
        // stopping, or that it holds when it closes, are refused with an error (and sent again after
        // the restart, as the counts show).
        const refusedLine = new RegExp('\\[error\\] \\[fix-gateway[^\\]]*\\] Error: (the FIX session is not running|' +
          'the gateway closed before the session logged on: not sent)')
        const refused = lines.filter(l => refusedLine.test(l))
        const errors = lines.filter(l => /\[error\]/.test(l) && !refused.includes(l))
        assert.deepStrictEqual(errors, [], 'no other error logged')
        console.log(`      ${refused.length - refusedBefore} rows refused by fix-gateway while its session stopped, ` +
          'sent again after')
        refusedBefore = refused.length
      })
    }
  })
}

async function requestWithHeaders (
  method: string, url: string, body: unknown, headers: Record<string, string>
): Promise<{ status: number, body: any }> {
  const r = await fetch(url, {
    method,
    headers: { ...FRESH_CONNECTION, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body)
  })
  const text = await r.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch { /* not JSON */ }
  return { status: r.status, body: parsed }
}
