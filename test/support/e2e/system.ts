/**
 * The whole system of the end-to-end tests, shared by the crash test and the benchmark:
 * the counterparty process, Node-RED with the e2e flows, and the driver's way to insert orders
 * and read counts (its own pg connection with a server; Node-RED's HTTP endpoints with PGlite).
 */
import * as fs from 'fs'
import * as path from 'path'
import { Pool } from 'pg'
import {
  Child,
  Counterparty,
  freePort,
  nodeRedReady,
  request,
  sleep,
  startCounterparty,
  startNodeRed,
  tempDir,
  waitFor
} from './harness'
import { countsSql, e2eFlows, insertOrdersSql, setupSql } from './flows'

export interface Order { id: number, symbol: string, side: string, qty: number, price: number }

export type Counts = Record<
  | 'orders'
  | 'filled'
  | 'applied_twice_exactly'
  | 'execs_applied'
  | 'execs'
  | 'exec_deliveries'
  | 'fix_in_reports'
  | 'fix_in_distinct_reports'
  | 'fix_in_distinct_seqs'
  | 'fix_out_orders'
  | 'fix_out_distinct_orders'
  | 'audit_rows',
  number
>

export interface SystemOptions {
  label: string
  batchSize?: number
  pollMs?: number
  inFlight?: number
  /** The inbound client's window (flows.ts default when undefined). */
  inboundInFlight?: number
  /** streamer-sql batch of the inbound apply (flows.ts default when undefined). */
  applyBatch?: number
  /** The inbound apply as one set-based statement per batch (flows.ts default when undefined). */
  applySet?: boolean
  /** The counterparty answers orders with ExecutionReports (default true). */
  reports?: boolean
  /** Extra node arguments for Node-RED (e.g. --cpu-prof). */
  nodeArgs?: string[]
  /** Extra settings.js entries for Node-RED. */
  nodeRedSettings?: Record<string, unknown>
  /** Extra node arguments for the counterparty. */
  counterpartyNodeArgs?: string[]
  /**
   * Starts another counterparty instead of the pack's (the benchmark's QuickFIX/C++ executor): a
   * FIX.4.4 acceptor for SenderCompID NRED, TargetCompID EXCH.
   */
  counterparty?: () => Promise<Counterparty>
}

export class E2eSystem {
  readonly url =
    process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '' ? process.env.DATABASE_URL : undefined

  readonly database: 'embedded' | 'server' = this.url !== undefined ? 'server' : 'embedded'
  readonly dir: string
  readonly schema: string
  readonly counterpartySchema: string
  readonly userDir: string
  readonly nodeRedLog: string
  readonly counterpartyLog: string
  nodeRed: Child | undefined
  counterparty: Counterparty | undefined
  port = 0
  starts = 0
  private pool: Pool | undefined

  constructor (readonly o: SystemOptions) {
    this.dir = tempDir(`fix-e2e-${o.label}-`)
    this.schema =
      this.database === 'server' ? `e2e_${o.label}_${process.pid}_${Date.now().toString(36)}` : 'fix_streamers'
    this.counterpartySchema = this.database === 'server' ? `${this.schema}_cp` : 'exchange'
    this.userDir = path.join(this.dir, 'node-red')
    this.nodeRedLog = path.join(this.dir, 'node-red.log')
    this.counterpartyLog = path.join(this.dir, 'counterparty.log')
  }

  describe (): string {
    return this.database === 'server' ? `PostgreSQL server (schema ${this.schema})` : 'embedded PGlite'
  }

  async start (): Promise<void> {
    if (this.url !== undefined) {
      this.pool = new Pool({ connectionString: this.url, max: 4 })
      this.pool.on('error', () => {})
      // The orders table exists before Node-RED does, so the driver can insert at once.
      await this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`)
      await this.pool.query(setupSql(this.schema))
    }
    this.counterparty = this.o.counterparty !== undefined
      ? await this.o.counterparty()
      : await startCounterparty({
        url: this.url,
        dataDir: this.url === undefined ? path.join(this.dir, 'counterparty-db') : undefined,
        schema: this.counterpartySchema,
        senderCompID: 'EXCH',
        targetCompID: 'NRED',
        reports: this.o.reports
      }, this.counterpartyLog, this.o.counterpartyNodeArgs)
    this.port = await freePort()
    await this.startNodeRed()
    // Rows written before the audit-streamer has created the managed audit table are not audited
    // (the trigger does not exist yet): wait for it, as a deployment would before taking orders.
    await waitFor(async () => await this.counts().then(() => true), 120000, 'the managed audit table orders_audit', 250)
  }

  /** Starts (or restarts) Node-RED and waits until its flows run. */
  async startNodeRed (): Promise<void> {
    const flows = e2eFlows({
      database: this.database,
      schema: this.schema,
      fixPort: this.counterparty!.fixPort,
      senderCompID: 'NRED',
      targetCompID: 'EXCH',
      batchSize: this.o.batchSize,
      pollMs: this.o.pollMs,
      inFlight: this.o.inFlight,
      inboundInFlight: this.o.inboundInFlight,
      applyBatch: this.o.applyBatch,
      applySet: this.o.applySet
    })
    this.starts++
    this.nodeRed = startNodeRed({
      userDir: this.userDir,
      flows,
      port: this.port,
      logFile: this.nodeRedLog,
      nodeArgs: this.o.nodeArgs,
      settings: this.o.nodeRedSettings
    })
    await nodeRedReady(this.nodeRed, this.port)
  }

  /** SIGKILL to Node-RED's PID; resolves once it is gone. */
  async killNodeRed (): Promise<void> {
    const c = this.nodeRed
    if (c === undefined) return
    c.kill('SIGKILL')
    await c.exited
  }

  /** Inserts a batch of orders in one statement; repeats of already inserted ids are ignored. */
  async insert (orders: Order[]): Promise<void> {
    if (this.pool !== undefined) {
      await this.pool.query(insertOrdersSql(this.schema), [JSON.stringify(orders)])
      return
    }
    const r = await request('POST', `http://127.0.0.1:${this.port}/e2e/orders`, orders)
    if (r.status !== 200) throw new Error(`insert: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`)
  }

  /** Inserts until it succeeds (Node-RED may be down, being restarted). */
  async insertSurely (orders: Order[], until: number): Promise<void> {
    for (;;) {
      try {
        return await this.insert(orders)
      } catch (err) {
        if (Date.now() > until) throw err
        await sleep(100)
      }
    }
  }

  /**
   * Inserts orders 1..n at about `rate` per second (a batch every 100 ms), each batch until it
   * succeeds or `until` passes; `onInserted` gets the last id of each batch.
   */
  async insertAtRate (n: number, rate: number, until: number, onInserted: (last: number) => void): Promise<void> {
    const batch = Math.max(1, Math.round(rate / 10))
    for (let from = 1; from <= n; from += batch) {
      const started = Date.now()
      const ids: number[] = []
      for (let id = from; id < from + batch && id <= n; id++) ids.push(id)
      await this.insertSurely(ids.map(order), until)
      onInserted(ids[ids.length - 1])
      await sleep(Math.max(0, 100 - (Date.now() - started)))
    }
  }

  async counts (): Promise<Counts> {
    if (this.pool !== undefined) return (await this.pool.query(countsSql(this.schema))).rows[0] as Counts
    const r = await request('GET', `http://127.0.0.1:${this.port}/e2e/counts`)
    if (r.status !== 200 || !Array.isArray(r.body)) {
      throw new Error(`counts: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`)
    }
    return r.body[0] as Counts
  }

  /** Stops both processes (Node-RED cleanly), drops the test schemas, removes the folder unless kept. */
  async stop (keep = false): Promise<void> {
    await this.nodeRed?.stop(15000)
    await this.counterparty?.child.stop(10000)
    if (this.pool !== undefined) {
      for (const s of [this.schema, this.counterpartySchema]) {
        await this.pool.query(`DROP SCHEMA IF EXISTS "${s}" ` +
        'CASCADE').catch(() => {})
      }
      await this.pool.end()
    }
    if (!keep) fs.rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Order `id` of a run: deterministic fields. */
export function order (id: number): Order {
  return {
    id,
    symbol: ['IBM', 'VOD.L', 'BARC.L', 'AAPL'][id % 4],
    side: id % 2 === 0 ? '1' : '2',
    qty: 100 + (id % 10) * 10,
    price: 50 + (id % 100) / 4
  }
}
