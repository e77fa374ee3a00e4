/**
 * The acceptor phase of `npm run test:ha`: two Node-RED instances (A and B) with the same flow, an
 * *acceptor* fix-session of one name on one address and port, on one PostgreSQL with leases. A FIX
 * initiator (this process, the pack's own session layer with its own schema) connects to that
 * port, retrying, and sends a NewOrderSingle every 20 ms. Checks: only the active instance listens
 * (the standby does not bind the port); after the active one's SIGKILL the standby takes the
 * lease, binds, and the initiator reconnects and logs on with the next sequence numbers (no reset,
 * no "too low"); twice, alternating; every order sent is in the acceptor's fix_in once.
 * Closing line: "acceptor: N passed, N failed". Knobs: HA_ACCEPTOR_KILLS (2).
 */
import 'reflect-metadata'
import * as fs from 'fs'
import * as path from 'path'
import { Database, migrate, PgDatabase } from '../../core'
import { FixCodec, FrameSplitter } from '../../core/fix/codec'
import { NotLoggedOnError, SessionEvent, SessionRuntime } from '../../core/fix-session'
import {
  Check, Child, freePort, nodeRedReady, reportChecks, sleep, startNodeRed, tempDir, waitFor
} from '../support/e2e/harness'
import { listenerPids } from './listeners'

const KILLS = Number(process.env.HA_ACCEPTOR_KILLS ?? 2)
const LEASE_MS = 4000
const RENEW_MS = 1000
const SESSION = 'FIX.4.4:EXCH->NRED'

function flows (schema: string, fixPort: number): unknown[] {
  return [
    { id: 'acc-tab', type: 'tab', label: 'acceptor' },
    {
      id: 'acc-db',
      type: 'streamer-database',
      name: 'db',
      mode: 'server',
      urlEnv: 'DATABASE_URL',
      poolSize: 4,
      ssl: 'disable',
      schema,
      setupSql: ''
    },
    {
      id: 'acc-session',
      type: 'fix-session',
      name: 'from brokers',
      role: 'acceptor',
      host: '',
      port: fixPort,
      bindAddress: '127.0.0.1',
      beginString: 'FIX.4.4',
      dictionary: 'FIX.4.4',
      senderCompID: 'EXCH',
      targetCompID: 'NRED',
      heartBtInt: 30,
      resetPolicy: 'never',
      scheduled: false,
      weekdays: '0,1,2,3,4,5,6',
      backoffInitial: 0.2,
      backoffMax: 1,
      database: 'acc-db',
      storeDecoded: false
    },
    { id: 'acc-gateway', type: 'fix-gateway', z: 'acc-tab', name: 'orders in', session: 'acc-session', wires: [[], []] }
  ]
}

const SOH = '\x01'
const field = (raw: string, tag: number): string | undefined => new RegExp(`${SOH}${tag}=([^${SOH}]*)`).exec(raw)?.[1]

async function main (): Promise<boolean> {
  const url = process.env.DATABASE_URL
  if (url === undefined || url === '') {
    console.log('acceptor: needs a PostgreSQL server (DATABASE_URL)\n\nacceptor: 0 passed, 1 failed')
    return false
  }
  const dir = tempDir('fix-streamers-ha-acceptor-')
  const schema = `ha_acc_${process.pid}`
  const fixPort = await freePort()
  const db: Database = await PgDatabase.open({ connectionString: url, max: 4 })
  await migrate(db, schema)
  await migrate(db, `${schema}_ini`)
  const instances: Record<'A' | 'B', { child?: Child, port: number, userDir: string }> = {
    A: { port: await freePort(), userDir: path.join(dir, 'node-red-a') },
    B: { port: await freePort(), userDir: path.join(dir, 'node-red-b') }
  }
  const start = async (name: 'A' | 'B'): Promise<void> => {
    const x = instances[name]
    x.child = startNodeRed({
      userDir: x.userDir,
      flows: flows(schema, fixPort),
      port: x.port,
      logFile: path.join(dir, `node-red-${name.toLowerCase()}.log`),
      settings: { fixStreamers: { ha: { instance: name, leaseTime: LEASE_MS, renewInterval: RENEW_MS } } }
    })
    await nodeRedReady(x.child, x.port)
  }
  const holder = async (): Promise<string | undefined> => (await db.query<{ holder: string }>(
    `SELECT holder FROM "${schema}".leases WHERE resource = $1 AND expires_at > now()`, [`fix-session:${SESSION}`]))
    .rows[0]?.holder

  // The counterparty: an initiator that reconnects every 0.2-1 s, recording every frame it receives.
  const received: Array<{ t: string, s: number, p: boolean, r: boolean }> = []
  const problems: string[] = []
  let logons = 0
  const codec = await FixCodec.create('FIX.4.4')
  const ini = new SessionRuntime({
    settings: {
      role: 'initiator',
      beginString: 'FIX.4.4',
      senderCompID: 'NRED',
      targetCompID: 'EXCH',
      heartBtInt: 30,
      storeDecoded: false
    },
    host: '127.0.0.1',
    port: fixPort,
    backoffInitialMs: 200,
    backoffMaxMs: 1000,
    db,
    schema: `${schema}_ini`,
    codec,
    makeFrameReader: onGarbled => new FrameSplitter({ onGarbled }),
    log: {
      incoming: raw => received.push({
        t: field(raw, 35) ?? '?', s: Number(field(raw, 34)), p: field(raw, 43) === 'Y', r: field(raw, 141) === 'Y'
      }),
      outgoing: () => {},
      event: () => {}
    }
  })
  ini.on('event', (e: SessionEvent) => {
    if (e.type === 'logon') logons++
    if (e.type === 'logout' && /too low|reset/i.test(e.text)) problems.push(`logout: ${e.text}`)
    if (e.type === 'sequence-reset' && !e.gapFill) problems.push(`SequenceReset-Reset to ${e.newSeqNo}`)
  })
  ini.on('error', () => {})

  let ok = false
  let sent = 0
  let stopping = false
  const checks: Check[] = []
  const takeovers: number[] = []
  try {
    await start('A')
    await start('B')
    await ini.start()
    await waitFor(() => logons > 0, 60000, 'the first logon', 50)
    // Orders from the initiator, one every 20 ms; one not sent (not logged on) is tried again.
    const sending = (async () => {
      while (!stopping) {
        try {
          await ini.send({
            msgType: 'D',
            body: {
              ClOrdID: `A${sent + 1}`,
              HandlInst: '1',
              Instrument: { Symbol: 'X' },
              Side: '1',
              TransactTime: new Date(),
              OrderQtyData: { OrderQty: 1 },
              OrdType: '1'
            }
          })
          sent++
        } catch (err) {
          if (!(err instanceof NotLoggedOnError)) problems.push(`send: ${(err as Error).message}`)
        }
        await sleep(20)
      }
    })()
    for (let k = 1; k <= KILLS; k++) {
      await sleep(1500)
      const active = await holder() as 'A' | 'B' | undefined
      const standby = active === 'A' ? 'B' : 'A'
      const before = { active: listenerPids(fixPort), logons }
      const activePid = active === undefined ? undefined : instances[active].child?.pid
      const standbyPid = instances[standby].child?.pid
      checks.push({
        name: `before kill ${k}: only the active instance listens`,
        ok: active !== undefined && before.active.length === 1 && before.active[0] === activePid,
        detail: `active ${active ?? '?'} (pid ${activePid ?? '?'}), standby ${standby} (pid ${standbyPid ?? '?'}); ` +
          `listening on ${fixPort}: pid ${before.active.join(', ') || 'none'}`
      })
      const killAt = Date.now()
      instances[active ?? 'A'].child?.kill('SIGKILL')
      await instances[active ?? 'A'].child?.exited
      await waitFor(() => logons > before.logons, 60000, 'the initiator logged on again', 20)
      takeovers.push(Date.now() - killAt)
      const after = listenerPids(fixPort)
      checks.push({
        name: `after kill ${k}: the standby took the lease, listens, and the initiator logged on to it`,
        ok: await holder() === standby && after.length === 1 && after[0] === standbyPid,
        detail: `${standby} holds the lease, listening: pid ${after.join(', ') || 'none'}; logon ` +
          `${takeovers[k - 1]} ms after the kill`
      })
      await start(active ?? 'A')
    }
    await sleep(1000)
    stopping = true
    await sending
    // The acceptor commits the last orders a little after they were sent: wait for them (a loss shows below).
    await waitFor(async () => (await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".fix_in WHERE msg_type = 'D'`)).rows[0].n >= sent,
    30000, 'the last orders in the acceptor\'s fix_in').catch(() => {})
    const inbound = await db.query<{ n: number, distinct_orders: number, distinct_seqs: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT cl_ord_id)::int AS distinct_orders,
         count(DISTINCT msg_seq_num)::int AS distinct_seqs FROM "${schema}".fix_in WHERE msg_type = 'D'`)
    const r = inbound.rows[0]
    checks.push({
      name: 'every order sent is in the acceptor\'s fix_in once',
      ok: r.n === sent && r.distinct_orders === sent && r.distinct_seqs === sent,
      detail: `${sent} sent, ${r.n} in fix_in (${r.distinct_orders} distinct ClOrdID, ${r.distinct_seqs} distinct seqs)`
    })
    // What the initiator received: each new frame's MsgSeqNum is the last one plus one (PossDup
    // resends aside), every Logon without ResetSeqNumFlag.
    let last = 0
    const jumps: string[] = []
    for (const f of received) {
      if (f.p) continue
      if (f.s !== last + 1 && !(f.t === '4')) jumps.push(`${last} -> ${f.s} (${f.t})`)
      last = Math.max(last, f.s)
    }
    const resets = received.filter(f => f.t === 'A' && f.r).length
    checks.push({
      name: 'sequence numbers continuous across the takeovers, no reset',
      ok: jumps.length === 0 && resets === 0 && problems.length === 0 && logons === KILLS + 1,
      detail: `${logons} logons, ${received.length} frames received up to seq ${last}; jumps: ` +
        `${jumps.join(', ') || 'none'}; resets: ${resets}; problems: ${problems.join('; ') || 'none'}`
    })
    const sorted = [...takeovers].sort((a, b) => a - b)
    console.log(`  takeovers (kill to the initiator's next logon): ${takeovers.join(', ')} ms; ` +
      `p50 ${sorted[Math.floor((sorted.length - 1) / 2)]} ms, max ${Math.max(...takeovers)} ms (lease ${LEASE_MS} ms)`)
    ok = reportChecks('acceptor', checks)
  } catch (err) {
    console.log(`\nerror: ${(err as Error).stack ?? String(err)}`)
    for (const [name, x] of Object.entries(instances)) {
      console.log(`${name} log tail:\n${x.child?.lines.slice(-20).join('\n') ?? ''}`)
    }
    console.log('\nacceptor: 0 passed, 1 failed')
  } finally {
    stopping = true
    await ini.stop('test over').catch(() => {})
    for (const x of Object.values(instances)) await x.child?.stop(15000)
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${schema}_ini" CASCADE`)
      .catch(() => {})
    await db.close()
    if (ok && process.env.HA_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true })
    else console.log(`logs kept in ${dir}`)
  }
  return ok
}

main().then(ok => { process.exitCode = ok ? 0 : 1 }).catch(err => {
  console.error(err)
  console.log('\nacceptor: 0 passed, 1 failed')
  process.exitCode = 1
})
