/**
 * `npm run test:faults`: the database fault test of the whole product (issue 17, point 6).
 * Node-RED (a child process, the crash test's harness and flows) runs the outbound and inbound
 * flows against the counterparty process while orders are inserted into the audited `orders`
 * table. Its PostgreSQL server is the test's own, reached through a TCP proxy; meanwhile the server
 * is restarted (fast and immediate, alternately) and every connection through the proxy is cut, at
 * spread-out moments. The counterparty keeps its own embedded database, untouched by the faults.
 * At the end it checks and prints: Node-RED never exited; every order at the counterparty exactly
 * once (repeats only as PossDup resends), in order, sequence numbers continuous; every
 * ExecutionReport in fix_in once and applied once; no row left unconfirmed (both checkpoints at
 * the head of their streams); repeats per client within the bound; recovery time from the database
 * coming back to the first order flowing again (p50, max).
 * Closing line: "faults: N passed, N failed".
 *
 * Knobs: FAULTS_ORDERS (10000), FAULTS_RESTARTS (6), FAULTS_CUTS (6), FAULTS_RATE (orders/s
 * offered, 250), FAULTS_SEED, FAULTS_KEEP=1 keeps the folder with the logs.
 */
import * as fs from 'fs'
import { Pool } from 'pg'
import { Check, FrameRecord, reportChecks, seededRandom, sleep, tempDir, waitFor } from '../support/e2e/harness'
import { countsSql, insertOrdersSql } from '../support/e2e/flows'
import {
  crashLines, nodeRedLog, reportRunError, ServerRun, startServerRun, stopServerRun
} from '../support/e2e/server-run'
import { Counts, order } from '../support/e2e/system'
import { serverBinaries, ThrowawayPostgres } from '../support/throwaway-postgres'
import { CuttingProxy } from '../support/cutting-proxy'

const N = Number(process.env.FAULTS_ORDERS ?? 10000)
const RESTARTS = Number(process.env.FAULTS_RESTARTS ?? 6)
const CUTS = Number(process.env.FAULTS_CUTS ?? 6)
const RATE = Number(process.env.FAULTS_RATE ?? 250)
const SEED = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 1e9))
/** The clients' in-flight windows (flows.ts defaults) and the checkpoint flush window (rows). */
const IN_FLIGHT = { out: 200, in: 50 }
const FLUSH_ROWS = 500

async function again<T> (fn: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn()
    } catch (err) {
      if (i >= tries) throw err
      await sleep(200)
    }
  }
}

async function main (): Promise<void> {
  const t0 = Date.now()
  const rnd = seededRandom(SEED)
  const bin = serverBinaries()
  if (bin === undefined) {
    throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (scripts/test-postgres.sh installs them)')
  }
  const dir = tempDir('fix-faults-')
  const schema = 'faults'
  const server = await ThrowawayPostgres.start(bin)
  const proxy = await CuttingProxy.start(server.port)
  const proxyUrl = `postgres://postgres@127.0.0.1:${proxy.port}/postgres`
  const pool = new Pool({ connectionString: server.url, max: 3 })
  pool.on('error', () => {})
  const run: ServerRun = {}
  let failed = true
  console.log(`faults: ${N} orders at ${RATE}/s, ${RESTARTS} PostgreSQL restarts (fast and immediate) and ${CUTS} ` +
    `proxy cuts, seed ${SEED}; logs in ${dir}`)
  try {
    const query = async (sql: string, params: unknown[] = []): Promise<any[]> => (await pool.query(sql, params)).rows
    const { counterparty, nodeRed: red, port } = await startServerRun(run, {
      dir, schema, databaseUrl: proxyUrl, query, exec: async sql => await pool.query(sql)
    })
    console.log(`  Node-RED pid ${red.pid} on port ${port} through proxy ${proxy.port} to PostgreSQL ${server.port}; ` +
      `counterparty pid ${counterparty.child.pid}`)
    // The counterparty's HTTP answers over a keep-alive socket that its server may close just as a
    // request goes out (ECONNRESET): ask again rather than end the run.
    const cpRaw = counterparty
    const cp = {
      stats: async () => await again(async () => await cpRaw.stats()),
      records: async () => await again(async () => await cpRaw.records())
    }

    // Orders: batches every 100 ms, retried while the server is down (the driver's own connection).
    let inserted = 0
    const deadline = Date.now() + 4 * 60_000
    const batch = Math.max(1, Math.round(RATE / 10))
    const producing = (async () => {
      for (let from = 1; from <= N; from += batch) {
        const started = Date.now()
        const ids: number[] = []
        for (let id = from; id < from + batch && id <= N; id++) ids.push(id)
        for (;;) {
          try {
            await pool.query(insertOrdersSql(schema), [JSON.stringify(ids.map(order))])
            break
          } catch (err) {
            if (Date.now() > deadline) throw err
            await sleep(100)
          }
        }
        inserted = ids[ids.length - 1]
        await sleep(Math.max(0, 100 - (Date.now() - started)))
      }
    })()

    // Faults, spread over the insert period; recovery = database back -> next new order at the counterparty.
    const faults: Array<{ kind: string, at: number, recoveryMs?: number }> = []
    const kinds: string[] = []
    for (let i = 0; i < Math.max(RESTARTS, CUTS); i++) {
      if (i < RESTARTS) kinds.push(i % 2 === 0 ? 'restart-fast' : 'restart-immediate')
      if (i < CUTS) kinds.push('cut')
    }
    const insertSeconds = N / RATE
    const faulting = (async () => {
      for (const kind of kinds) {
        await sleep((insertSeconds * 1000 * 0.85) / kinds.length * (0.5 + rnd()))
        // Counted once the fault has landed: until then orders go on reaching the counterparty.
        let before: number
        if (kind === 'cut') {
          proxy.cut()
          before = (await cp.stats()).orders
        } else {
          server.down(kind === 'restart-fast' ? 'fast' : 'immediate')
          before = (await cp.stats()).orders
          await sleep(300 + rnd() * 1700)
          server.up()
        }
        const back = Date.now()
        const f: { kind: string, at: number, recoveryMs?: number } = { kind, at: (back - t0) / 1000 }
        faults.push(f)
        // The first order after the fault that was not already at the counterparty before it
        // (measured while orders are still to come: after the last one nothing can flow).
        const measured = before + 2 <= N
        if (measured) {
          await waitFor(async () => (await cp.stats()).orders > before + 1, 60000, `orders flowing after ${kind}`, 25)
            .then(() => { f.recoveryMs = Date.now() - back })
            .catch(() => { f.recoveryMs = undefined })
        } else {
          f.recoveryMs = -1
        }
        const recovery = f.recoveryMs === undefined
          ? 'NEVER (60 s)'
          : f.recoveryMs < 0 ? '(none left to send)' : `${f.recoveryMs} ms`
        console.log(`  ${kind} at ${f.at.toFixed(1)} s, ${inserted} inserted, ${before} orders at the counterparty; ` +
          `orders flowing again after ${recovery}`)
      }
    })()
    await Promise.all([producing, faulting])
    console.log(`  all ${N} orders inserted at ${((Date.now() - t0) / 1000).toFixed(1)} s; waiting for the ` +
      'counterparty and the fills')

    let last: Counts | undefined
    let lastLog = 0
    await waitFor(async () => {
      const st = await cp.stats()
      last = (await query(countsSql(schema)))[0] as Counts
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now()
        console.log(`  counterparty ${st.orders}/${N} orders, ${st.ersSent} reports sent; ` +
          `Node-RED ${last.fix_in_reports} reports in fix_in, ${last.filled} orders filled`)
      }
      return st.orders >= N && st.ersPending === 0 && last.execs >= 2 * N && last.filled >= N
    }, Number(process.env.FAULTS_WAIT_S ?? 90) * 1000, 'every order at the counterparty and every fill applied', 500)
      .catch(err => console.log(`  ${(err as Error).message}: checking what arrived`))
    await sleep(1500)
    const counts = (await query(countsSql(schema)))[0] as Counts
    const stats = await cp.stats()
    const records = await cp.records()
    // The checkpoints at the head of their streams (written within the flush window).
    const unconfirmed = async (): Promise<{ out: boolean, in: boolean, detail: string }> => {
      const r = (await query(`SELECT
        (SELECT position FROM "${schema}".checkpoints WHERE client_name = 'orders-to-fix') AS out_cp,
        (SELECT jsonb_build_array(audit_tx::text, audit_seq::text) FROM "${schema}".orders_audit WHERE
          audit_event_type = 'INSERT' ORDER BY audit_tx DESC, audit_seq DESC LIMIT 1) AS out_head,
        (SELECT position FROM "${schema}".checkpoints WHERE client_name = 'fills') AS in_cp,
        (SELECT jsonb_build_array(tx::text, receive_seq::text) FROM "${schema}".fix_in WHERE msg_type = '8'
          ORDER BY tx DESC, receive_seq DESC LIMIT 1) AS in_head`))[0]
      const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)
      return {
        out: same(r.out_cp, r.out_head),
        in: same(r.in_cp, r.in_head),
        detail: 'orders-to-fix ' +
        `checkpoint ${JSON.stringify(r.out_cp)} head ${JSON.stringify(r.out_head)}; fills ` +
          `checkpoint ${JSON.stringify(r.in_cp)} head ${JSON.stringify(r.in_head)}`
      }
    }
    const cps = (await waitFor(
      async () => {
        const u = await unconfirmed()
        return u.out && u.in ? u : undefined
      },
      5000,
      'checkpoints at the heads',
      250
    ).catch(async () => await unconfirmed())) as { out: boolean; in: boolean; detail: string }
    const crashes = crashLines(nodeRedLog(dir))

    const checks: Check[] = []
    const check = (name: string, ok: boolean, detail: string): void => { checks.push({ name, ok, detail }) }
    check('Node-RED never exited', run.exitedAt === undefined && red.alive() && crashes.length === 0,
      `pid ${red.pid} ${red.alive() ? 'running' : 'gone'}; ${crashes.length} uncaught errors in its ` +
        `log${crashes.length > 0 ? `: ${crashes[0].slice(0, 160)}` : ''}`)
    orderChecks(records, stats, check)
    check(
      'every ExecutionReport in fix_in once',
      counts.fix_in_reports === 2 * N &&
        counts.fix_in_distinct_reports === 2 * N &&
        counts.fix_in_distinct_seqs === 2 * N,
      `${counts.fix_in_reports} reports for ${N} orders, ${counts.fix_in_distinct_reports} ` +
        `distinct, ${counts.fix_in_distinct_seqs} distinct MsgSeqNums`
    )
    check(
      'every report applied once',
      counts.execs === 2 * N &&
        counts.execs_applied === 2 * N &&
        counts.applied_twice_exactly === N &&
        counts.filled === N,
      `${counts.execs} exec ids, ${counts.execs_applied} applications, ${counts.filled} orders filled ` +
        `of ${counts.orders}`
    )
    check(
      'every order journaled once in fix_out',
      counts.fix_out_orders === N && counts.fix_out_distinct_orders === N,
      `${counts.fix_out_orders} rows, ${counts.fix_out_distinct_orders} distinct ClOrdIDs`
    )
    check('one audit row per order (inserts only)', counts.audit_rows === N,
      `${counts.audit_rows} rows in orders_audit for ${N} orders`)
    check('no row left unconfirmed (checkpoints at the heads)', cps.out && cps.in, cps.detail)
    // Repeats of the inbound client (a report handed to the apply node again) per fault: at most
    // the rows in flight plus one flush window.
    const bound = faults.length * (IN_FLIGHT.in + FLUSH_ROWS)
    const repeats = counts.exec_deliveries - counts.execs
    check('repeats per client within in flight + one flush window per fault', repeats <= bound, 'fills ' +
      `client: ${repeats} reports handed on again (bound ${bound} for ${faults.length} faults); orders client: ` +
        `repeats are absorbed by the gateway's journal (${stats.possDup} PossDup frames at the counterparty)`)
    const rec = faults
      .map(f => f.recoveryMs)
      .filter((x): x is number => x !== undefined && x >= 0)
      .sort((a, b) => a - b)
    const unmeasured = faults.filter(f => f.recoveryMs === -1).length
    const p50 = rec.length === 0 ? NaN : rec[Math.floor(rec.length / 2)]
    check(
      'orders flow again after every fault',
      rec.length + unmeasured === faults.length && faults.filter(f => f.kind !== 'cut').length >= RESTARTS,
      `${faults.length} faults (${faults.filter(f => f.kind !== 'cut').length} ` +
        `restarts, ${faults.filter(f => f.kind === 'cut').length} cuts), ` +
        `recovered ${rec.length}${unmeasured > 0 ? ` (${unmeasured} after the last order, not measured)` : ''}; ` +
        `recovery p50 ${p50} ms, max ${rec.length === 0 ? NaN : rec[rec.length - 1]} ms`
    )

    console.log('\nfaults results')
    console.log(
      `  elapsed ${((Date.now() - t0) / 1000).toFixed(1)} s; proxy: ${proxy.connections} connections, ${proxy.cuts} cut`
    )
    console.log(`  Node-RED database: ${counts.orders} orders, ${counts.audit_rows} audit ` +
      `rows, ${counts.fix_out_orders} in fix_out, ${counts.fix_in_reports} reports in ` +
        `fix_in, ${counts.exec_deliveries} deliveries for ${counts.execs} exec ids, ${counts.filled} filled`)
    failed = !reportChecks('faults', checks)
  } catch (err) {
    reportRunError('faults', run, err)
  } finally {
    await stopServerRun(run)
    await pool.end().catch(() => {})
    await proxy.close()
    server.destroy()
    if (!failed && process.env.FAULTS_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true })
    else console.log(`logs kept in ${dir}`)
  }
  process.exitCode = failed ? 1 : 0
}

/** Orders at the counterparty: each once (repeats only as PossDup resends), in order, sequence continuous. */
function orderChecks (
  records: FrameRecord[], stats: { problems: string[], nextTargetSeq: number },
  check: (name: string, ok: boolean, detail: string) => void
): void {
  const byOrder = new Map<string, FrameRecord[]>()
  for (const r of records) {
    if (r.t !== 'D' || r.c === undefined) continue
    byOrder.set(r.c, [...(byOrder.get(r.c) ?? []), r])
  }
  const missing: number[] = []
  for (let id = 1; id <= N; id++) if (!byOrder.has(`C${id}`)) missing.push(id)
  const badRepeats = [...byOrder.values()].filter(
    l => l.filter(r => !r.p).length > 1 || new Set(l.map(r => r.s)).size > 1
  ).length
  const missed = missing.length > 0 ? `, missing ${missing.length}: ${missing.slice(0, 8).join(', ')}` : ''
  check('every order at the counterparty exactly once (repeats only as PossDup resends)',
    missing.length === 0 && badRepeats === 0,
    `${byOrder.size} distinct orders of ${N}${missed}; ${badRepeats} sent twice as new or under two MsgSeqNums`)
  const first = [...byOrder]
    .map(([c, l]) => ({ id: Number(c.slice(1)), s: Math.min(...l.map(r => r.s)) }))
    .sort((a, b) => a.s - b.s)
  let outOfOrder = 0
  for (let i = 1; i < first.length; i++) if (first[i].id <= first[i - 1].id) outOfOrder++
  check('orders in stream order', outOfOrder === 0, `${outOfOrder} orders out of insert order by MsgSeqNum`)
  const covered = new Set<number>()
  for (const r of records) {
    covered.add(r.s)
    if (r.t === '4' && r.gf === true && r.n !== undefined) for (let s = r.s; s < r.n; s++) covered.add(s)
  }
  const maxSeq = records.length === 0 ? 0 : Math.max(...records.map(r => r.s))
  let gaps = 0
  for (let s = 1; s <= maxSeq; s++) if (!covered.has(s)) gaps++
  const resets = records.filter(r => (r.t === 'A' && r.r === true) || (r.t === '4' && r.gf !== true)).length
  const problems = stats.problems.length > 0 ? `; problems: ${stats.problems.slice(0, 3).join('; ')}` : ''
  check('sequence numbers continuous (no gap, no reset)',
    gaps === 0 && resets === 0 && stats.nextTargetSeq === maxSeq + 1 && stats.problems.length === 0,
    `1..${maxSeq}: ${gaps} gaps, ${resets} resets, counterparty expects ${stats.nextTargetSeq}${problems}`)
}

// Exit once the result is printed: after an error the order and fault loops may still be waiting.
main().catch(err => {
  console.error(err)
  console.log('\nfaults: 0 passed, 1 failed')
  process.exitCode = 1
}).finally(() => process.exit())
