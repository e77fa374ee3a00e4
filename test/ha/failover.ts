/**
 * `npm run test:ha`, PostgreSQL failover phase (issue 18, points 4 and 5): Node-RED (a child
 * process, the crash test's harness and flows) runs the outbound and inbound flows against the
 * counterparty process on a primary and its synchronous streaming replica
 * (scripts/test-postgres-replica.sh), its database node given both hosts. While orders are inserted
 * the primary is stopped and the replica promoted. Checks and prints: Node-RED never exited; every
 * order at the counterparty exactly once (repeats only as PossDup resends), in order, sequence
 * numbers continuous; every ExecutionReport in fix_in once and applied once; every order once in
 * fix_out; Node-RED logged its move to the new primary; the outage (primary stopped -> the next
 * new order at the counterparty). Closing line: "failover: N passed, N failed".
 *
 * Knobs: FAILOVER_ORDERS (10000), FAILOVER_RATE (orders/s offered, 500), FAILOVER_KEEP=1 keeps the logs.
 */
import * as fs from 'fs'
import { PgDatabase } from '../../core'
import { retryTransient } from '../../core/db/retry'
import { reportChecks, sleep, tempDir, waitFor } from '../support/e2e/harness'
import { countsSql, insertOrdersSql } from '../support/e2e/flows'
import {
  crashLines, nodeRedLog, reportRunError, ServerRun, startServerRun, stopServerRun
} from '../support/e2e/server-run'
import { evaluate } from '../support/e2e/checks'
import { Counts, order } from '../support/e2e/system'
import { ReplicaPair } from './failover-servers'

const N = Number(process.env.FAILOVER_ORDERS ?? 10000)
const RATE = Number(process.env.FAILOVER_RATE ?? 500)

async function main (): Promise<boolean> {
  const t0 = Date.now()
  const dir = tempDir('fix-failover-')
  const schema = 'failover'
  const pair = await ReplicaPair.start()
  const primary = `127.0.0.1:${pair.primaryPort}`
  const replica = `127.0.0.1:${pair.replicaPort}`
  // The test's own connection follows the primary the same way (the pack's PgDatabase).
  const db = await PgDatabase.open({
    connectionString: pair.url(), max: 3, connectionTimeoutMillis: 2000, onError: () => {}
  })
  const query = async (sql: string, params: unknown[] = []): Promise<any[]> =>
    (await retryTransient(async () => await db.query(sql, params), { initialMs: 100, maxMs: 1000 })).rows
  const run: ServerRun = {}
  let ok = false
  console.log(`failover: ${N} orders at ${RATE}/s; primary ${primary}, synchronous replica ${replica}; logs in ${dir}`)
  try {
    const { counterparty: cp, nodeRed: red } = await startServerRun(run, {
      dir,
      schema,
      databaseUrl: `${pair.url()}?target_session_attrs=read-write`,
      query,
      exec: async sql => await db.exec(sql)
    })

    let inserted = 0
    const batch = Math.max(1, Math.round(RATE / 10))
    const producing = (async () => {
      for (let from = 1; from <= N; from += batch) {
        const started = Date.now()
        const ids: number[] = []
        for (let id = from; id < from + batch && id <= N; id++) ids.push(id)
        await query(insertOrdersSql(schema), [JSON.stringify(ids.map(order))])
        inserted = ids[ids.length - 1]
        await sleep(Math.max(0, 100 - (Date.now() - started)))
      }
    })()

    // The failover at 40% of the inserts: the primary stopped (fast shutdown, by PID), the replica promoted.
    await waitFor(() => inserted >= N * 0.4, 120000, 'orders before the failover', 50)
    const stoppedAt = Date.now()
    await pair.stop('primary')
    // Counted once the primary is gone: until then orders go on reaching the counterparty.
    const before = (await cp.stats()).orders
    await sleep(500)
    await pair.promote()
    const promotedMs = Date.now() - stoppedAt
    let outageMs: number | undefined
    await waitFor(async () => (await cp.stats()).orders > before + 1, 60000, 'orders flowing after the failover', 25)
      .then(() => { outageMs = Date.now() - stoppedAt })
      .catch(() => {})
    console.log(`  primary stopped at ${((stoppedAt - t0) / 1000).toFixed(1)} s with ${inserted} inserted and ` +
      `${before} orders at the counterparty; replica promoted after ${promotedMs} ms; orders flowing again after ` +
      `${outageMs === undefined ? 'NEVER (60 s)' : `${outageMs} ms`}`)
    await producing

    let last: Counts | undefined
    await waitFor(async () => {
      const st = await cp.stats()
      last = (await query(countsSql(schema)))[0] as Counts
      return st.orders >= N && st.ersPending === 0 && last.execs >= 2 * N && last.filled >= N
    }, Math.max(90000, N * 20), 'every order at the counterparty and every fill applied', 500)
      .catch(err => console.log(`  ${(err as Error).message}: checking what arrived`))
    await sleep(1500)
    const counts = (await query(countsSql(schema)))[0] as Counts
    const stats = await cp.stats()
    const records = await cp.records()
    const log = nodeRedLog(dir)
    const crashes = crashLines(log)

    // The crash tests' checks (orders once, in order, sequence continuous, fix_out, fix_in, applied once).
    const checks = evaluate(records, counts, stats, N)
    const check = (name: string, ok: boolean, detail: string): void => { checks.push({ name, ok, detail }) }
    check('Node-RED never exited', run.exitedAt === undefined && red.alive() && crashes.length === 0,
      `pid ${red.pid} ${red.alive() ? 'running' : 'gone'}; ${crashes.length} uncaught errors in its log`)
    const moved = log.includes(`PostgreSQL primary is now ${replica}`)
    check('Node-RED moved to the promoted replica and said so', moved && db.server === replica,
      `log line ${moved ? 'found' : 'missing'}; the test's own connection on ${db.server}`)
    check('orders flow again after the failover', outageMs !== undefined,
      `outage ${outageMs ?? 'unbounded'} ms from the primary's stop (promotion after ${promotedMs} ms)`)

    console.log('\nfailover results')
    console.log(`  elapsed ${((Date.now() - t0) / 1000).toFixed(1)} s; ${counts.orders} orders, ` +
      `${counts.fix_out_orders} in fix_out, ${counts.fix_in_reports} reports in fix_in, ${counts.filled} filled; ` +
      `${stats.possDup} PossDup frames`)
    ok = reportChecks('failover', checks)
  } catch (err) {
    reportRunError('failover', run, err)
  } finally {
    await stopServerRun(run)
    await db.close().catch(() => {})
    await pair.stop()
    if (ok && process.env.FAILOVER_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true })
    else console.log(`logs kept in ${dir}`)
  }
  return ok
}

// Exit once the result is printed: after an error the order loop may still be waiting.
main().then(ok => { process.exitCode = ok ? 0 : 1 }, err => {
  console.error(err)
  console.log('\nfailover: 0 passed, 1 failed')
  process.exitCode = 1
}).finally(() => process.exit())
