import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { Child, ROOT, startChild, waitFor } from '../support/e2e/harness'
import { FRESH_CONNECTION } from '../support/fresh-connection'
import { freePort } from '../support/ports'
import { tempDir } from '../support/temp'

export { SESSION_DEFAULTS, sessionPair } from '../support/fix-session-pair'

/**
 * A real Node-RED (the runtime named by NODE_RED_RUNTIME, embedded in a child process so it runs
 * on this Node) for the operator console's specs, with adminAuth: an operator with every
 * permission and a viewer with 'read' only. The pack is loaded from this tree through nodesDir,
 * so the package.json "plugins" entry is what registers the endpoints.
 */
export const runtime = process.env.NODE_RED_RUNTIME ?? 'node-red'

/** The child's script: scripts/embedded-node-red.js (the browser checks' Node-RED) with the pack and adminAuth. */
function launcher (userDir: string, port: number): string {
  const file = path.join(userDir, 'launch.js')
  const embedded = JSON.stringify(path.join(ROOT, 'scripts', 'embedded-node-red.js'))
  const runtimeName = JSON.stringify(runtime)
  fs.writeFileSync(file, `
const { operatorAndViewer, root, startNodeRed } = require(${embedded})
startNodeRed({
  runtime: ${runtimeName},
  userDir: ${JSON.stringify(userDir)},
  port: ${port},
  settings: {
    nodesDir: [root],
    credentialSecret: false,
    adminAuth: operatorAndViewer(${runtimeName}, 'secret-pw'),
    logging: { console: { level: 'info' } }
  }
}).then(nr => process.on('SIGTERM', () => nr.stop().then(() => process.exit(0))))
`)
  return file
}

export async function token (base: string, username: string, scope: string): Promise<string> {
  const r = await fetch(`${base}auth/token`, {
    method: 'POST',
    headers: { ...FRESH_CONNECTION, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: 'node-red-editor',
      grant_type: 'password',
      scope,
      username,
      password: 'secret-pw'
    }).toString()
  })
  assert.strictEqual(r.status, 200, `token for ${username}`)
  return (await r.json() as { access_token: string }).access_token
}

export async function call (
  base: string, tok: string | undefined, method: string, p: string, body?: unknown
): Promise<{ status: number, body: any, type: string }> {
  const r = await fetch(base + p, {
    method,
    headers: {
      ...FRESH_CONNECTION,
      ...(tok !== undefined ? { authorization: `Bearer ${tok}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {})
    },
    body: body !== undefined ? JSON.stringify(body) : undefined
  })
  const text = await r.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch {}
  return { status: r.status, body: parsed, type: r.headers.get('content-type') ?? '' }
}

/** Starts Node-RED on `flows` in a new user folder under `dir`; resolves once its flows have started. */
export async function startNodeRed (
  dir: string, port: number, flows: unknown[], env: Record<string, string> = {}
): Promise<Child> {
  const userDir = path.join(dir, 'user')
  fs.mkdirSync(userDir)
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows))
  const child = startChild('node-red', [launcher(userDir, port)], { logFile: path.join(dir, 'node-red.log'), env })
  try {
    await waitFor(() => {
      if (!child.alive()) throw new Error(child.lines.slice(-30).join('\n'))
      return child.lines.some(l => /Started flows/.test(l))
    }, 60000, 'Node-RED to start its flows')
  } catch (err) {
    await child.stop() // the caller never gets the child: a slow start must not leave Node-RED running
    throw err
  }
  return child
}

/** A streamer-database named 'down' on a port nothing listens on: it never connects. */
export function deadDatabase (id: string, deadPort: number, schema: string): object {
  return {
    id,
    type: 'streamer-database',
    name: 'down',
    mode: 'server',
    host: '127.0.0.1',
    port: deadPort,
    database: 'nope',
    schema
  }
}

/** An inject node (POST inject/<id>) that sends the initiator's gateway a NewOrderSingle for 100 IBM at 99.5. */
export function orderInject (id: string, z: string, clOrdID: string): object {
  const order = {
    ClOrdID: clOrdID,
    HandlInst: '1',
    Instrument: { Symbol: 'IBM' },
    Side: '1',
    TransactTime: '2026-01-01T10:00:00.000Z',
    OrderQtyData: { OrderQty: 100 },
    OrdType: '2',
    Price: 99.5
  }
  return {
    id,
    z,
    type: 'inject',
    once: false,
    wires: [['gi']],
    props: [
      { p: 'payload', v: JSON.stringify(order), vt: 'json' },
      { p: 'msgType', v: 'NewOrderSingle', vt: 'str' }
    ]
  }
}

/** Where a console spec's Node-RED runs: its folder, its HTTP port, a FIX port and a port nothing listens on. */
export interface ConsolePlace { dir: string, port: number, fixPort: number, deadPort: number }

export interface ConsoleNodeRed {
  child: Child
  /** http://127.0.0.1:<port>/ */
  base: string
  /** Bearer tokens of the operator (every permission) and of the viewer ('read'). */
  operator: string
  viewer: string
}

/**
 * Mocha hooks in the calling describe: Node-RED on the flows `flows` builds, in a new temp folder on free
 * ports, and the operator's and the viewer's tokens, before the first test; Node-RED stopped (its log
 * printed when OPS_SPEC_LOG is set) and the folder removed after the last.
 */
export function consoleNodeRed (prefix: string, flows: (place: ConsolePlace) => unknown[]): ConsoleNodeRed {
  const nr = {} as unknown as ConsoleNodeRed
  let dir: string | undefined
  before(async () => {
    dir = tempDir(prefix)
    const [port, fixPort, deadPort] = [await freePort(), await freePort(), await freePort()]
    nr.child = await startNodeRed(dir, port, flows({ dir, port, fixPort, deadPort }))
    nr.base = `http://127.0.0.1:${port}/`
    nr.operator = await token(nr.base, 'operator', '*')
    nr.viewer = await token(nr.base, 'viewer', 'read')
  })
  after(async () => {
    if (process.env.OPS_SPEC_LOG !== undefined) console.log(nr.child?.lines.join('\n'))
    await nr.child?.stop()
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
  })
  return nr
}
