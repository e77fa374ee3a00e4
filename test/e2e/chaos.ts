/**
 * `npm run test:chaos`: the crash test of the whole product. Node-RED (child process) runs the
 * outbound and inbound flows against the counterparty process while 10,000 orders are inserted
 * into the audited `orders` table, and is SIGKILLed at 5 random moments and restarted. At the end
 * it checks and prints: every order reached the counterparty exactly once (repeats only as
 * PossDup resends of the same MsgSeqNum), in order, with sequence numbers continuous across the
 * restarts; every fill is in fix_in once and applied once to `orders`.
 * Closing line: "chaos: N passed, N failed". Then it runs the crash test of the *02 Trading demo*
 * flows themselves (demo-chaos.ts, closing line "demo: N passed, N failed"; CHAOS_DEMO=0 skips it,
 * `node dist/test/e2e/demo-chaos.js` runs it alone).
 *
 * Real PostgreSQL when DATABASE_URL is set (unique schemas, dropped afterwards), else embedded
 * PGlite. Knobs: CHAOS_ORDERS (10000), CHAOS_KILLS (5), CHAOS_RATE (orders/s offered, 250),
 * CHAOS_SEED, CHAOS_KEEP=1 keeps the folder with the logs.
 */
import { nodeRedLabel, reportChecks, seededRandom, sleep, waitFor } from '../support/e2e/harness'
import { evaluate } from '../support/e2e/checks'
import { Counts, E2eSystem } from '../support/e2e/system'
import { runDemoChaos } from './demo-chaos'

const N = Number(process.env.CHAOS_ORDERS ?? 10000)
const KILLS = Number(process.env.CHAOS_KILLS ?? 5)
const RATE = Number(process.env.CHAOS_RATE ?? 250)
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 1e9))

async function main (): Promise<void> {
  const t0 = Date.now()
  const rnd = seededRandom(SEED)
  const sys = new E2eSystem({ label: 'chaos' })
  console.log(`chaos: ${N} orders at ${RATE}/s, ${KILLS} SIGKILLs of ${nodeRedLabel()}, seed ${SEED}, ` +
    `${sys.describe()}; logs in ${sys.dir}`)
  let failed = true
  try {
    await sys.start()
    console.log(`  Node-RED pid ${sys.nodeRed!.pid} on port ${sys.port}, counterparty ` +
      `pid ${sys.counterparty!.child.pid} on FIX port ${sys.counterparty!.fixPort}`)
    const deadline = Date.now() + 8 * 60_000

    let inserted = 0
    const producing = sys.insertAtRate(N, RATE, deadline, last => { inserted = last })

    const kills: string[] = []
    let logonsBefore = 0 // the counterparty's logon count before the current Node-RED started
    const killing = (async () => {
      for (let k = 1; k <= KILLS; k++) {
        // A random moment: mostly while orders stream (after the session logged on again, and once
        // the counterparty has seen a random share of the orders within the k-th part of the run,
        // so the kills fall across the whole stream however fast the database takes inserts), one
        // time in five while Node-RED is still starting (database open, replay, logon).
        if (rnd() >= 0.2) {
          const share = Math.floor(N * 0.9 * ((k - 1) + rnd()) / KILLS)
          await waitFor(
            async () => (await sys.counterparty!.stats()).logons > logonsBefore,
            60000,
            'the session to log on again',
            50
          ).catch(() => {})
          await waitFor(
            async () => (await sys.counterparty!.stats()).orders >= share,
            Math.max(1000, deadline - Date.now() - 60000),
            `${share} orders at the counterparty`,
            100
          ).catch(() => {})
          await sleep(200 + rnd() * 2000)
        } else {
          await sleep(rnd() * 3000)
        }
        const stats = await sys.counterparty!.stats()
        const pid = sys.nodeRed!.pid
        await sys.killNodeRed()
        kills.push(`kill ${k}: pid ${pid} at ${((Date.now() - t0) / 1000).toFixed(1)} s, ${inserted} ` +
          `inserted, ${stats.orders} orders at the counterparty`)
        console.log(`  ${kills[kills.length - 1]}`)
        logonsBefore = (await sys.counterparty!.stats()).logons
        await sys.startNodeRed()
        console.log(`  restarted: pid ${sys.nodeRed!.pid}`)
      }
    })()
    await Promise.all([producing, killing])
    console.log(`  all ${N} orders inserted at ${((Date.now() - t0) / 1000).toFixed(1)} s; waiting for the ` +
      'counterparty and the fills')

    let last: Counts | undefined
    let lastLog = 0
    await waitFor(async () => {
      const st = await sys.counterparty!.stats()
      last = await sys.counts()
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now()
        console.log(`  counterparty ${st.orders}/${N} orders, ${st.ersSent} reports sent; ` +
          `Node-RED ${last.fix_in_reports} reports in fix_in, ${last.filled} orders filled`)
      }
      return st.orders >= N && st.ersPending === 0 && last.execs >= 2 * N && last.filled >= N
    }, Math.max(10_000, Math.min(deadline, Date.now() + Number(process.env.CHAOS_WAIT_S ?? 300) * 1000) - Date.now()),
    'every order at the counterparty and every fill applied', 500)
      .catch(err => console.log(`  ${(err as Error).message}: checking what arrived`))
    await sleep(1500) // anything late (a duplicate) would show now
    const counts = await sys.counts()
    const stats = await sys.counterparty!.stats()
    const records = await sys.counterparty!.records()

    const checks = evaluate(records, counts, stats, N)
    console.log('\nchaos results')
    console.log(
      `  Node-RED starts ${sys.starts} (${KILLS} SIGKILLs), elapsed ${((Date.now() - t0) / 1000).toFixed(1)} s`
    )
    console.log(`  counterparty: ${records.length} frames received, ${records.filter(r => r.t === 'D').length} ` +
      `NewOrderSingle frames, ${stats.possDup} PossDup frames, ${stats.logons} logons, ${stats.resendRequestsSent} ` +
        `ResendRequests sent, ${stats.resendsAnswered} resends answered, next seq in ${stats.nextTargetSeq} ` +
          `out ${stats.nextSenderSeq}`)
    console.log(`  Node-RED database: ${counts.orders} orders, ${counts.audit_rows} audit ` +
      `rows, ${counts.fix_out_orders} orders journaled in fix_out, ${counts.fix_in_reports} ExecutionReports in ` +
        `fix_in, ${counts.exec_deliveries} report deliveries to the handler for ${counts.execs} distinct exec ids ` +
          `(${counts.exec_deliveries - counts.execs} repeats ignored), ${counts.execs_applied} ` +
            `applied, ${counts.filled} orders filled`)
    failed = !reportChecks('chaos', checks)
  } catch (err) {
    console.log(`\nerror: ${(err as Error).stack ?? String(err)}`)
    console.log(`Node-RED log tail:\n${sys.nodeRed?.lines.slice(-30).join('\n') ?? ''}`)
    console.log('\nchaos: 0 passed, 1 failed')
  } finally {
    await sys.stop(failed || process.env.CHAOS_KEEP === '1')
    if (failed) console.log(`logs kept in ${sys.dir}`)
  }
  process.exitCode = failed ? 1 : 0
}

main().catch(err => {
  console.error(err)
  console.log('\nchaos: 0 passed, 1 failed')
  process.exitCode = 1
}).then(async () => {
  if (process.env.CHAOS_DEMO === '0') return
  if (!await runDemoChaos()) process.exitCode = 1
}).catch(err => {
  console.error(err)
  console.log('\ndemo: 0 passed, 1 failed')
  process.exitCode = 1
})
