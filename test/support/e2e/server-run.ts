/**
 * The set-up the whole-product runs against a PostgreSQL server of their own share (test:faults restarts
 * and cuts it, test:ha's failover phase promotes its replica): the orders table, the counterparty on its
 * own embedded database (untouched by what the run does to the server), and Node-RED running the
 * outbound and inbound flows against the server.
 */
import * as fs from 'fs'
import * as path from 'path'
import { Child, Counterparty, freePort, nodeRedReady, startCounterparty, startNodeRed, waitFor } from './harness'
import { countsSql, e2eFlows, setupSql } from './flows'

/** What a run has started: filled as it starts, so the caller's `finally` stops whatever did. */
export interface ServerRun {
  counterparty?: Counterparty
  nodeRed?: Child
  /** Node-RED's HTTP port. */
  port?: number
  /** When Node-RED exited, if it did. */
  exitedAt?: number
}

/**
 * Starts a run in `dir`: creates `schema` through `query` and the orders table through `exec` (a script of
 * several statements), starts the counterparty
 * and Node-RED (its DATABASE_URL `databaseUrl`), and waits until the audit-streamer has created the
 * managed audit table (rows inserted before it would not be audited).
 */
export async function startServerRun (run: ServerRun, o: {
  dir: string
  schema: string
  databaseUrl: string
  query: (sql: string) => Promise<unknown>
  exec: (script: string) => Promise<unknown>
}): Promise<{ counterparty: Counterparty, nodeRed: Child, port: number }> {
  await o.query(`CREATE SCHEMA IF NOT EXISTS "${o.schema}"`)
  await o.exec(setupSql(o.schema))
  const counterparty = run.counterparty = await startCounterparty(
    { dataDir: path.join(o.dir, 'counterparty-db'), schema: 'exchange', senderCompID: 'EXCH', targetCompID: 'NRED' },
    path.join(o.dir, 'counterparty.log')
  )
  const port = run.port = await freePort()
  const nodeRed = run.nodeRed = startNodeRed({
    userDir: path.join(o.dir, 'node-red'),
    flows: e2eFlows({
      database: 'server',
      schema: o.schema,
      fixPort: counterparty.fixPort,
      senderCompID: 'NRED',
      targetCompID: 'EXCH'
    }),
    port,
    logFile: path.join(o.dir, 'node-red.log'),
    env: { DATABASE_URL: o.databaseUrl }
  })
  void nodeRed.exited.then(() => { run.exitedAt = Date.now() })
  await nodeRedReady(nodeRed, port)
  await waitFor(
    async () => await o.query(countsSql(o.schema)).then(() => true),
    120000,
    'the managed audit table orders_audit',
    250
  )
  return { counterparty, nodeRed, port }
}

/** Prints why a run could not finish, Node-RED's last lines, and the closing line of a failed run. */
export function reportRunError (label: string, run: ServerRun, err: unknown): void {
  console.log(`\nerror: ${(err as Error).stack ?? String(err)}`)
  console.log(`Node-RED log tail:\n${run.nodeRed?.lines.slice(-30).join('\n') ?? ''}`)
  console.log(`\n${label}: 0 passed, 1 failed`)
}

/** Stops what the run started: Node-RED cleanly, then the counterparty. */
export async function stopServerRun (run: ServerRun): Promise<void> {
  await run.nodeRed?.stop(15000)
  await run.counterparty?.child.stop(10000)
}

/** Node-RED's log of a run in `dir`. */
export function nodeRedLog (dir: string): string {
  return fs.readFileSync(path.join(dir, 'node-red.log'), 'utf8')
}

/** The lines of a Node-RED log that report an error that would have ended the process. */
export function crashLines (log: string): string[] {
  return log
    .split('\n')
    .filter(l => /Uncaught Exception|Unhandled rejection|UnhandledPromiseRejection/i.test(l))
}
