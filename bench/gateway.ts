/**
 * Gateway benchmark: orders per second through an initiator/acceptor pair of this pack
 * (NewOrderSingle out, ExecutionReport back; every message committed: journal, fix_in and both
 * sessions' sequence numbers) against jspurefix's plain in-process round trip (memory store,
 * nothing durable) in the same run, on loopback TCP.
 */
import 'reflect-metadata'
import { Database, migrate, PgDatabase, PgliteDatabase } from '../core/db'
import { FixCodec, FrameSplitter } from '../core/fix'
import { InboundMessage, SessionRuntime, SessionSettings } from '../core/fix-session'
import { jsDescription, JsPeer } from '../test/support/jspurefix-peer'
import { er, nos } from '../test/support/fix-messages'
import { freePort } from '../test/support/ports'
import { countOr } from './_knobs'

const ORDERS = countOr('BENCH_GATEWAY_ORDERS', 2000)

async function packRoundTrip (db: Database, schema: string, orders: number): Promise<number> {
  const codec = await FixCodec.create('FIX.4.4')
  const tag = `B${Date.now().toString(36)}`
  const base = { beginString: 'FIX.4.4', heartBtInt: 30 } as const
  const common = {
    db,
    schema,
    codec,
    makeFrameReader: (onGarbled: (b: Buffer, r: string) => void) => new FrameSplitter({ onGarbled })
  }
  const acc = new SessionRuntime({
    ...common,
    settings: { ...base, role: 'acceptor', senderCompID: `BRK${tag}`, targetCompID: `CLI${tag}` } as SessionSettings,
    bindAddress: '127.0.0.1',
    port: 0
  })
  let n = 0
  acc.on('message', (m: InboundMessage) => {
    if (m.msgType === 'D') {
      acc.send({ msgType: '8', body: er(String(m.body.ClOrdID), ++n) }).catch(err => console.error(err))
    }
  })
  await acc.start()
  const ini = new SessionRuntime({
    ...common,
    settings: { ...base, role: 'initiator', senderCompID: `CLI${tag}`, targetCompID: `BRK${tag}` } as SessionSettings,
    host: '127.0.0.1',
    port: acc.port!
  })
  let received = 0
  let done: () => void = () => {}
  const all = new Promise<void>(resolve => { done = resolve })
  const loggedOn = new Promise<void>(resolve => ini.on('event', e => { if (e.type === 'logon') resolve() }))
  ini.on('message', () => { if (++received === orders) done() })
  await ini.start()
  await loggedOn
  const t0 = process.hrtime.bigint()
  const sends: Array<Promise<unknown>> = []
  for (let i = 0; i < orders; i++) {
    sends.push(ini.send({ msgType: 'D', body: nos(`B${i}`), origin: { client: 'bench', position: `["${tag}",${i}]` } }))
  }
  await Promise.all(sends)
  await all
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  await ini.stop()
  await acc.stop()
  return orders / secs
}

async function jspurefixRoundTrip (orders: number): Promise<number> {
  const port = await freePort()
  const acceptor = new JsPeer(jsDescription('acceptor', port, 'BRK', 'CLI'), true)
  void acceptor.start()
  const initiator = new JsPeer(jsDescription('initiator', port, 'CLI', 'BRK'))
  void initiator.start()
  const until = Date.now() + 15000
  while (initiator.rec.session === undefined || !initiator.rec.ready) {
    if (Date.now() > until) throw new Error('jspurefix did not log on')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < orders; i++) initiator.rec.session.sendApp('D', nos(`J${i}`))
  while (initiator.rec.received.length < orders) await new Promise(resolve => setImmediate(resolve))
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  initiator.stop()
  acceptor.stop()
  return orders / secs
}

export async function run (): Promise<void> {
  const targets: Array<{ name: string; open: () => Promise<Database> }> = [
    { name: 'PGlite (embedded)', open: async () => await PgliteDatabase.open() }
  ]
  if (process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '') {
    targets.push({
      name: 'PostgreSQL',
      open: async () => await PgDatabase.open({ connectionString: process.env.DATABASE_URL })
    })
  }
  await jspurefixRoundTrip(Math.min(500, ORDERS)) // warm-up (JIT), not counted
  const baseline = await jspurefixRoundTrip(ORDERS)
  console.log(`gateway: jspurefix plain round trip (memory store, not durable): ${baseline.toFixed(0)} orders/s ` +
    `(${ORDERS} orders)`)
  for (const t of targets) {
    const db = await t.open()
    const schema = `bench_gateway_${process.pid}`
    try {
      await migrate(db, schema)
      await packRoundTrip(db, schema, Math.min(500, ORDERS)) // warm-up, not counted
      const rate = await packRoundTrip(db, schema, ORDERS)
      console.log(`gateway: fix-gateway pair on ${t.name}, every message journaled/committed: ${rate.toFixed(0)} ` +
        `orders/s, ${(rate / baseline).toFixed(2)}x jspurefix`)
    } finally {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {})
      await db.close()
    }
  }
}

if (require.main === module) {
  run().then(() => process.exit(0), err => { console.error(err); process.exit(1) })
}
