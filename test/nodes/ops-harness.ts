import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { Child, ROOT, startChild, waitFor } from '../support/e2e/harness'

/**
 * A real Node-RED (the runtime named by NODE_RED_RUNTIME, embedded in a child process so it runs
 * on this Node) for the operator console's specs, with adminAuth: an operator with every
 * permission and a viewer with 'read' only. The pack is loaded from this tree through nodesDir,
 * so the package.json "plugins" entry is what registers the endpoints.
 */
export const runtime = process.env.NODE_RED_RUNTIME ?? 'node-red'

/** The FIX.4.4 settings every fix-session of these flows shares: no reset, open all week. */
export const SESSION_DEFAULTS = {
  beginString: 'FIX.4.4',
  dictionary: 'FIX.4.4',
  heartBtInt: 30,
  resetPolicy: 'never',
  weekdays: '0,1,2,3,4,5,6'
}

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
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
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
  await waitFor(() => {
    if (!child.alive()) throw new Error(child.lines.slice(-30).join('\n'))
    return child.lines.some(l => /Started flows/.test(l))
  }, 60000, 'Node-RED to start its flows')
  return child
}
