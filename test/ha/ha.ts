/**
 * `npm run test:ha`: two Node-RED instances (A and B) with the same outbound and inbound flows on
 * one PostgreSQL, with leases (settings.js fixStreamers.ha, 4 s lease, 1 s renewal). 10,000
 * orders stream while the active instance is SIGKILLed 5 times (alternating: each kill hits the
 * instance that took over last time) and restarted as a standby. Checks and prints: every order
 * at the counterparty exactly once (repeats only as PossDup resends), sequence numbers continuous
 * with no reset, never two logons at once, every ExecutionReport in fix_in once and applied once,
 * and the takeover times (kill to the counterparty's next logon) against the lease time.
 * Then runs test/ha/acceptor.js (an acceptor session under HA: only the active instance listens) and
 * test/ha/failover.js (PostgreSQL primary failover).
 * Closing line: "ha: N passed, N failed".
 *
 * Needs a PostgreSQL server (DATABASE_URL): two processes cannot share an embedded PGlite.
 * Knobs: HA_ORDERS (10000), HA_KILLS (5), HA_RATE (250 orders/s), HA_KEEP=1 keeps the logs.
 */
import * as fs from 'fs'
import * as path from 'path'
import { spawnSync } from 'child_process'
import { Pool } from 'pg'
import {
  Child, freePort, nodeRedLabel, nodeRedReady, reportChecks, sleep, startNodeRed, waitFor
} from '../support/e2e/harness'
import { evaluate } from '../support/e2e/checks'
import { E2eSystem } from '../support/e2e/system'
import { describeTrace, LeaseTrace } from './lease-trace'

const N = Number(process.env.HA_ORDERS ?? 10000)
const KILLS = Number(process.env.HA_KILLS ?? 5)
const RATE = Number(process.env.HA_RATE ?? 250)
const LEASE_MS = 4000
const RENEW_MS = 1000
const RESOURCE = 'fix-session:FIX.4.4:NRED->EXCH'

const haSettings = (instance: string): Record<string, unknown> =>
  ({ fixStreamers: { ha: { instance, leaseTime: LEASE_MS, renewInterval: RENEW_MS } } })

function percentile (xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]
}

async function main (): Promise<boolean> {
  if (process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === '') {
    console.log('ha: needs a PostgreSQL server (DATABASE_URL): two processes cannot share an embedded PGlite')
    console.log('\nha: 0 passed, 1 failed')
    return false
  }
  const t0 = Date.now()
  const sys = new E2eSystem({ label: 'ha', nodeRedSettings: haSettings('A') })
  console.log(`ha: ${N} orders at ${RATE}/s, ${KILLS} SIGKILLs of the active instance (${nodeRedLabel()}), ` +
    `lease ${LEASE_MS} ms (renewed every ${RENEW_MS} ms), ${sys.describe()}; logs in ${sys.dir}`)
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 2 })
  pool.on('error', () => {})
  let ok = false
  const b = { userDir: path.join(sys.dir, 'node-red-b'), log: path.join(sys.dir, 'node-red-b.log'), port: 0 }
  let childB: Child | undefined
  const startB = async (): Promise<void> => {
    childB = startNodeRed({ userDir: b.userDir, flows: [], port: b.port, logFile: b.log, settings: haSettings('B') })
    await nodeRedReady(childB, b.port)
  }
  try {
    await sys.start() // A, then the flows' tables exist; B starts with the same flows
    b.port = await freePort()
    fs.mkdirSync(b.userDir, { recursive: true })
    fs.copyFileSync(path.join(sys.userDir, 'flows.json'), path.join(b.userDir, 'flows.json'))
    await startB()
    const cp = sys.counterparty!
    const holder = async (): Promise<string | undefined> => (await pool.query(
      `SELECT holder FROM "${sys.schema}".leases WHERE resource = $1 AND expires_at > now()`, [RESOURCE]))
      .rows[0]?.holder as string | undefined
    await waitFor(async () => (await cp.stats()).logons > 0, 60000, 'the first logon', 50)
    console.log(`  A pid ${sys.nodeRed!.pid}, B pid ${childB!.pid}; active: ${await holder() ?? '?'}`)
    const deadline = Date.now() + 10 * 60_000

    let inserted = 0
    const producing = sys.insertAtRate(N, RATE, deadline, last => { inserted = last })

    const takeovers: number[] = []
    const killed: string[] = []
    const killing = (async () => {
      for (let k = 1; k <= KILLS; k++) {
        const share = Math.floor(N * 0.9 * k / (KILLS + 1))
        await waitFor(async () => (await cp.stats()).orders >= share, Math.max(1000, deadline - Date.now() - 60000),
          `${share} orders at the counterparty`, 100).catch(() => {})
        await waitFor(async () => (await cp.stats()).phase === 'logged-on', 30000, 'a logged-on session', 50)
          .catch(() => {})
        const active = await holder()
        const before = await cp.stats()
        const trace = new LeaseTrace(pool, `"${sys.schema}".leases`, RESOURCE)
        await trace.start()
        const killAt = Date.now()
        if (active === 'A') await sys.killNodeRed()
        else { childB?.kill('SIGKILL'); await childB?.exited }
        await waitFor(async () => (await cp.stats()).logons > before.logons, 60000, 'the takeover logon', 20)
        const took = Date.now() - killAt
        takeovers.push(took)
        const now = await holder()
        killed.push(active ?? '?')
        console.log(`  kill ${k}: ${active ?? '?'} at ${((killAt - t0) / 1000).toFixed(1)} s, ${inserted} inserted, ` +
          `${before.orders} orders at the counterparty; ${now ?? '?'} logged on ${took} ms later; ` +
          describeTrace(await trace.stop()))
        if (active === 'A') await sys.startNodeRed()
        else await startB()
      }
    })()
    await Promise.all([producing, killing])
    console.log(`  all ${N} orders inserted at ${((Date.now() - t0) / 1000).toFixed(1)} s; waiting for the ` +
      'counterparty and the fills')
    await waitFor(async () => {
      const st = await cp.stats()
      const c = await sys.counts()
      return st.orders >= N && st.ersPending === 0 && c.execs >= 2 * N && c.filled >= N
    }, 300_000, 'every order at the counterparty and every fill applied', 500)
      .catch(err => console.log(`  ${(err as Error).message}: checking what arrived`))
    await sleep(1500)
    const counts = await sys.counts()
    const stats = await cp.stats()
    const records = await cp.records()
    const checks = evaluate(records, counts, stats, N)
    const refused = stats.events['logon-refused'] ?? 0
    checks.push({
      name: 'never two logons at once',
      ok: refused === 0 && stats.logons === KILLS + 1,
      detail: `${stats.logons} logons for ${KILLS} takeovers, ${refused} refused (a second logon while one was on)`
    })
    // The client that feeds the gateway runs under the session's lease, never one of its own: split,
    // its rows would reach a gateway whose session is standing by on that instance.
    const resources = (await pool.query(`SELECT resource FROM "${sys.schema}".leases ORDER BY 1`)).rows
      .map(r => String(r.resource))
    checks.push({
      name: 'the outbound client shares the session\'s lease',
      ok: resources.includes(RESOURCE) && !resources.some(r => r.includes('orders-to-fix')),
      detail: `leases: ${resources.join(', ')}`
    })
    const alternating = killed.every((x, i) => i === 0 || x !== killed[i - 1])
    checks.push({
      name: 'the kills alternated between the instances',
      ok: alternating && killed.length === KILLS,
      detail: `killed in turn: ${killed.join(', ')}`
    })
    const p50 = percentile(takeovers, 0.5)
    const max = Math.max(...takeovers)
    checks.push({
      name: 'takeover within the lease time and a reconnect',
      ok: takeovers.length === KILLS && max <= LEASE_MS + RENEW_MS + 1500,
      detail: `kill to next logon: p50 ${p50} ms, max ${max} ms (lease ${LEASE_MS} ms, renewal ${RENEW_MS} ms)`
    })
    console.log('\nha results')
    console.log(`  counterparty: ${records.length} frames, ${stats.possDup} PossDup, ${stats.logons} logons, ` +
      `${stats.resendRequestsSent} ResendRequests sent, ${stats.resendsAnswered} resends answered`)
    console.log(`  database: ${counts.fix_out_orders} orders in fix_out, ${counts.fix_in_reports} reports in fix_in, ` +
      `${counts.execs_applied} applied, ${counts.filled} filled; elapsed ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    ok = reportChecks('ha', checks)
  } catch (err) {
    console.log(`\nerror: ${(err as Error).stack ?? String(err)}`)
    console.log(`A log tail:\n${sys.nodeRed?.lines.slice(-20).join('\n') ?? ''}`)
    console.log(`B log tail:\n${childB?.lines.slice(-20).join('\n') ?? ''}`)
    console.log('\nha: 0 passed, 1 failed')
  } finally {
    await childB?.stop(15000)
    await sys.stop(!ok || process.env.HA_KEEP === '1')
    await pool.end()
    if (!ok) console.log(`logs kept in ${sys.dir}`)
  }
  return ok
}

/** A further phase, run as its own process: the acceptor role (acceptor.js), PostgreSQL failover (failover.js). */
function phase (name: string): boolean {
  const file = path.join(__dirname, name)
  if (!fs.existsSync(file)) return true
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit' })
  return r.status === 0
}

main().then(ok => {
  const acceptor = phase('acceptor.js')
  const failover = phase('failover.js')
  process.exitCode = ok && acceptor && failover ? 0 : 1
}).catch(err => {
  console.error(err)
  console.log('\nha: 0 passed, 1 failed')
  process.exitCode = 1
})
