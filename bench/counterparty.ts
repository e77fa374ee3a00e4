/**
 * The e2e bench's counterparty alone (issue 21): the pack's session layer as an acceptor with its own
 * journal (test/support/e2e/counterparty.ts, the process `npm run bench -- e2e` runs), answering
 * bursts of NewOrderSingles from an initiator in this process with two ExecutionReports each. Every
 * burst is the same (BENCH_CP_BURST orders, 200, sent together; the next once all reports are in), so
 * the batches, and the CPU per order, depend on the code more than on the load of a shared machine.
 * Prints the CPU of the counterparty process (all its threads) and of its PostgreSQL backends per
 * order, and its statements per order when pg_stat_statements is loaded, after BENCH_CP_WARM bursts
 * (40) of warm-up (V8 compiles for the first seconds), over BENCH_CP_BURSTS bursts (150).
 * Needs DATABASE_URL (a PostgreSQL server); prints a skip line otherwise.
 */
import * as path from 'path'
import * as os from 'os'
import * as fs from 'fs'
import { Client } from 'pg'
import { migrate, PgDatabase } from '../core/db'
import { FixCodec, FrameSplitter } from '../core/fix'
import { InboundMessage, SessionRuntime, SessionSettings } from '../core/fix-session'
import { nos } from '../test/support/fix-messages'
import { startCounterparty } from '../test/support/e2e/harness'
import { cpuMs } from './_cpu'
import { countOr } from './_knobs'

const BURST = countOr('BENCH_CP_BURST', 200)
const WARM = countOr('BENCH_CP_WARM', 40)
const BURSTS = countOr('BENCH_CP_BURSTS', 150)
/** node-postgres's application_name for the counterparty's pool (PgDatabase's default); the initiator's differs. */
const COUNTERPARTY_APP = 'node-red-fix-streamers'

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

export async function run (): Promise<void> {
  const url = process.env.DATABASE_URL
  if (url === undefined || url === '') {
    console.log('counterparty: skipped (needs DATABASE_URL)')
    return
  }
  const tag = `cp${Date.now().toString(36)}`
  const schema = `bench_${tag}`
  const cpSchema = `bench_${tag}_cp`
  const admin = new Client({ connectionString: url })
  await admin.connect()
  const since = (await admin.query<{ t: Date }>('SELECT now() AS t')).rows[0].t
  const db = await PgDatabase.open({ connectionString: url, max: 4, applicationName: 'bench-initiator' })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fix-cp-bench-'))
  await migrate(db, schema)
  const cp = await startCounterparty({ url, schema: cpSchema, senderCompID: 'EXCH', targetCompID: 'NRED' },
    path.join(dir, 'counterparty.log'))
  const ini = new SessionRuntime({
    settings: {
      role: 'initiator', beginString: 'FIX.4.4', senderCompID: 'NRED', targetCompID: 'EXCH', heartBtInt: 30
    } as SessionSettings,
    host: '127.0.0.1',
    port: cp.fixPort,
    db,
    schema,
    codec: await FixCodec.create('FIX.4.4'),
    makeFrameReader: onGarbled => new FrameSplitter({ onGarbled })
  })
  let reports = 0
  let wake: () => void = () => {}
  ini.on('message', (m: InboundMessage) => {
    if (m.msgType === '8') { reports++; wake() }
  })
  try {
    await ini.start()
    for (let i = 0; i < 300 && ini.session.state.phase !== 'logged-on'; i++) await sleep(50)
    let n = 0
    const burst = async (): Promise<void> => {
      const until = reports + 2 * BURST
      await Promise.all(Array.from({ length: BURST }, async () =>
        await ini.send({ msgType: 'D', body: nos(`${tag}-${++n}`) })))
      while (reports < until) await new Promise<void>(resolve => { wake = resolve; setTimeout(resolve, 100) })
    }
    for (let i = 0; i < WARM; i++) await burst()
    // CPU ms of the counterparty and of each of its backends; statements of its schema.
    const snapshot = async (): Promise<Map<string, number | undefined>> => {
      const m = new Map<string, number | undefined>([['process', cpuMs(cp.child.pid)]])
      const r = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = ' +
        'current_database() AND backend_start >= $1 AND application_name = $2', [since, COUNTERPARTY_APP])
      for (const x of r.rows) m.set(`backend ${x.pid}`, cpuMs(x.pid))
      return m
    }
    const statements = async (): Promise<number | undefined> => {
      try {
        const r = await admin.query<{ n: string }>('SELECT coalesce(sum(calls), 0)::text AS n FROM ' +
          'pg_stat_statements WHERE query LIKE $1 OR query LIKE $2', [`%${cpSchema}".%`, `%${cpSchema}.%`])
        return Number(r.rows[0].n)
      } catch {
        return undefined
      }
    }
    const a = await snapshot()
    const s0 = await statements()
    const t0 = Date.now()
    for (let i = 0; i < BURSTS; i++) await burst()
    const seconds = (Date.now() - t0) / 1000
    const b = await snapshot()
    const s1 = await statements()
    const orders = BURSTS * BURST
    let pg = 0
    for (const [key, ms] of b) {
      const before = a.get(key)
      if (key !== 'process' && ms !== undefined && before !== undefined) pg += ms - before
    }
    const proc = (b.get('process') ?? NaN) - (a.get('process') ?? NaN)
    const us = (ms: number): string => (ms * 1000 / orders).toFixed(1)
    console.log(`counterparty alone: ${orders} orders in bursts of ${BURST} (after ${WARM} bursts of warm-up) in ` +
      `${seconds.toFixed(1)} s, load ${os.loadavg()[0].toFixed(1)}; CPU µs per order: counterparty ${us(proc)}, ` +
      `its PostgreSQL ${us(pg)}; statements per order ${s0 !== undefined && s1 !== undefined
        ? ((s1 - s0) / orders).toFixed(4)
        : '? (no pg_stat_statements)'}`)
  } finally {
    await ini.stop('bench done').catch(() => {})
    cp.child.kill('SIGTERM')
    await sleep(1500)
    await db.close().catch(() => {})
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {})
    await admin.query(`DROP SCHEMA IF EXISTS ${cpSchema} CASCADE`).catch(() => {})
    await admin.end()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
