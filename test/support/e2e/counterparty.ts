/**
 * The counterparty of the end-to-end tests, run as its own process: a FIX acceptor built on this
 * pack's session layer (core/fix-session) with its own database, so it keeps its sequence
 * numbers and answers a ResendRequest with the original ExecutionReports (jspurefix's session
 * answers with gap fills only, which would lose fills after a crash of Node-RED).
 *
 * It records EVERY frame it receives, before any session check (MsgType, MsgSeqNum, PossDupFlag,
 * ClOrdID, receive time), so PossDup resends and repeats are visible, and answers each new
 * NewOrderSingle with two ExecutionReports (new, then fill), each journaled exactly once per
 * order (origin = ClOrdID + report number) and retried after a disconnect.
 *
 * argv[2]: JSON CounterpartyConfig. stdout: "READY <fixPort> <httpPort>".
 * HTTP on 127.0.0.1: GET /stats, GET /records. SIGTERM: clean logout and exit.
 */
import 'reflect-metadata'
import * as http from 'http'
import { Database, migrate, PgDatabase, PgliteDatabase } from '../../../core'
import { FixCodec, FrameSplitter } from '../../../core/fix/codec'
import { parseUtc } from '../../../core/fix-session/fields'
import { InboundMessage, NotLoggedOnError, SessionEvent, SessionRuntime } from '../../../core/fix-session'
import type { CounterpartyConfig, CounterpartyStats, FrameRecord } from './harness'

const SOH = '\x01'

function field (raw: string, tag: number): string | undefined {
  const key = `${SOH}${tag}=`
  const i = raw.indexOf(key)
  if (i < 0) return undefined
  const from = i + key.length
  const to = raw.indexOf(SOH, from)
  return raw.slice(from, to < 0 ? undefined : to)
}

interface Report { clOrdID: string, n: 0 | 1, order: Record<string, any> }

async function main (): Promise<void> {
  const cfg = JSON.parse(process.argv[2]) as CounterpartyConfig
  const db: Database =
    cfg.url !== undefined
      ? await PgDatabase.open({ connectionString: cfg.url, max: 4 })
      : await PgliteDatabase.open({ dataDir: cfg.dataDir })
  await migrate(db, cfg.schema)
  const codec = await FixCodec.create('FIX.4.4')
  const records: FrameRecord[] = []
  const events: Record<string, number> = {}
  const problems: string[] = []
  let possDup = 0
  const orders = new Set<string>()
  const arrivals = new Map<string, number>()
  const rt = new SessionRuntime({
    // Nothing reads this side's fix_in.message: raw only, and orders are decoded only to answer them.
    settings: {
      role: 'acceptor',
      beginString: 'FIX.4.4',
      senderCompID: cfg.senderCompID,
      targetCompID: cfg.targetCompID,
      heartBtInt: 30,
      storeDecoded: false
    },
    bindAddress: '127.0.0.1',
    port: 0,
    db,
    schema: cfg.schema,
    codec,
    // Frames are stamped as they come off the socket: the session logs a frame only when its
    // turn comes, behind this side's own journal commits, which are not the sender's latency.
    makeFrameReader: onGarbled => {
      const splitter = new FrameSplitter({ onGarbled })
      return {
        push: (chunk: Buffer) => {
          const frames = splitter.push(chunk)
          const at = performance.timeOrigin + performance.now()
          for (const f of frames) arrivals.set(f.toString('latin1'), at)
          return frames
        },
        reset: () => splitter.reset()
      }
    },
    log: {
      incoming: raw => {
        const at = arrivals.get(raw) ?? performance.timeOrigin + performance.now()
        arrivals.delete(raw)
        const t = field(raw, 35) ?? '?'
        const rec: FrameRecord = { t, s: Number(field(raw, 34)), p: field(raw, 43) === 'Y', at }
        if (rec.p) possDup++
        if (t === 'D') {
          rec.c = field(raw, 11)
          rec.tt = parseUtc(field(raw, 60))?.getTime()
          rec.st = parseUtc(field(raw, 52))?.getTime()
          if (rec.c !== undefined) orders.add(rec.c)
        } else if (t === '4') {
          rec.n = Number(field(raw, 36))
          rec.gf = field(raw, 123) === 'Y'
        } else if (t === 'A') {
          rec.r = field(raw, 141) === 'Y'
        }
        records.push(rec)
      },
      outgoing: () => {},
      event: () => {}
    }
  })

  // ExecutionReports waiting to be sent, in order; retried after a disconnect (exactly once by origin).
  const queue: Report[] = []
  let ersQueued = 0
  let ersSent = 0
  let loggedOn = false
  let wake: () => void = () => {}
  rt.on('event', (e: SessionEvent) => {
    events[e.type] = (events[e.type] ?? 0) + 1
    if (e.type === 'logon') { loggedOn = true; wake() }
    if (e.type === 'logout' || e.type === 'disconnected') loggedOn = false
    if (e.type === 'logout' && /too low|reset/i.test(e.text)) problems.push(`logout: ${e.text}`)
    if (e.type === 'sequence-reset' && !e.gapFill) problems.push(`SequenceReset-Reset to ${e.newSeqNo}`)
    // A transport error (ECONNRESET) is what a SIGKILLed peer looks like: expected here.
    if (e.type === 'error' && !/^transport:/.test(e.text)) problems.push(`error: ${e.text}`)
  })
  rt.on('message', (m: InboundMessage) => {
    if (m.msgType !== 'D' || cfg.reports === false) return
    const clOrdID = String(m.body.ClOrdID)
    queue.push({ clOrdID, n: 0, order: m.body }, { clOrdID, n: 1, order: m.body })
    ersQueued += 2
    wake()
  })

  function report (r: Report): Record<string, unknown> {
    const o = r.order
    const qty = o.OrderQtyData?.OrderQty ?? o.OrderQty ?? 100
    const px = o.Price ?? 1
    const fill = r.n === 1
    return {
      OrderID: `X-${r.clOrdID}`,
      ClOrdID: r.clOrdID,
      ExecID: `E-${r.clOrdID}-${r.n}`,
      ExecType: fill ? 'F' : '0',
      OrdStatus: fill ? '2' : '0',
      Instrument: { Symbol: o.Instrument?.Symbol ?? o.Symbol ?? 'X' },
      Side: o.Side ?? '1',
      OrderQtyData: { OrderQty: qty },
      LastQty: fill ? qty : 0,
      LastPx: fill ? px : 0,
      LeavesQty: fill ? 0 : qty,
      CumQty: fill ? qty : 0,
      AvgPx: fill ? px : 0
    }
  }

  let stopping = false
  async function sender (): Promise<void> {
    while (!stopping) {
      if (queue.length === 0 || !loggedOn) {
        await new Promise<void>(resolve => { wake = resolve; setTimeout(resolve, 200) })
        continue
      }
      // Sends issued together are journaled together (the session's group commit).
      const batch = queue.slice(0, 500)
      const results = await Promise.allSettled(
        batch.map(
          async r =>
            await rt.send({
              msgType: '8',
              body: report(r),
              origin: { client: 'exchange', position: JSON.stringify([r.clOrdID, r.n]) }
            })
        )
      )
      let done = 0
      for (const res of results) {
        if (res.status === 'fulfilled') { done++; continue }
        if (!(res.reason instanceof NotLoggedOnError)) {
          problems.push(`send: ${String((res.reason as Error)?.message ?? res.reason)}`)
        }
        break
      }
      // Keep order: everything from the first failure on is tried again (duplicates are recognised by origin).
      queue.splice(0, done)
      ersSent += done
      if (done < batch.length) {
        loggedOn = rt.session.state.phase === 'logged-on'
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    }
  }

  await rt.start()
  const sending = sender()

  const server = http.createServer((req, res) => {
    const reply = (body: unknown): void => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(body))
    }
    if (req.url === '/stats') {
      const st = rt.session.state
      const stats: CounterpartyStats = {
        frames: records.length,
        orders: orders.size,
        possDup,
        ersQueued,
        ersSent,
        ersPending: queue.length,
        logons: events.logon ?? 0,
        resendRequestsSent: events['resend-request-sent'] ?? 0,
        resendsAnswered: events.resend ?? 0,
        phase: st.phase,
        nextSenderSeq: st.nextSenderSeq,
        nextTargetSeq: st.nextTargetSeq,
        events,
        problems
      }
      return reply(stats)
    }
    if (req.url === '/records') return reply(records)
    res.statusCode = 404
    res.end()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  console.log(`READY ${rt.port!} ${(server.address() as { port: number }).port}`)

  process.on('SIGTERM', () => {
    stopping = true
    wake()
    void (async () => {
      await sending.catch(() => {})
      await rt.stop('counterparty stopped').catch(() => {})
      server.close()
      await db.close().catch(() => {})
      process.exit(0)
    })()
  })
}

main().catch(err => {
  console.log(`ERROR ${(err as Error).stack ?? String(err)}`)
  process.exit(1)
})
