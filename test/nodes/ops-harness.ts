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

function launcher (userDir: string, port: number): string {
  const file = path.join(userDir, 'launch.js')
  fs.writeFileSync(file, `
const http = require('http'), path = require('path')
const nr = path.dirname(require.resolve(${JSON.stringify(runtime)} + '/package.json', { paths: ` +
  `[${JSON.stringify(ROOT)}] }))
const express = require(require.resolve('express', { paths: [nr] }))
const bcrypt = require(require.resolve('bcryptjs', { paths: [nr, path.join(nr, 'node_modules', '@node-red', ` +
  `'editor-api')] }))
const RED = require(nr)
const app = express(); const server = http.createServer(app)
const hash = bcrypt.hashSync('secret-pw', 8)
RED.init(server, {
  userDir: ${JSON.stringify(userDir)}, flowFile: 'flows.json', nodesDir: [${JSON.stringify(ROOT)}], httpAdminRoot: ` +
    `'/', credentialSecret: false,
  adminAuth: { type: 'credentials', users: [{ username: 'operator', password: hash, permissions: '*' }, { username: ` +
    `'viewer', password: hash, permissions: 'read' }] },
  logging: { console: { level: 'info' } }, telemetry: { enabled: false }, diagnostics: { enabled: false }, ` +
    `editorTheme: { tours: false }
})
app.use('/', RED.httpAdmin)
server.listen(${port}, '127.0.0.1', () => RED.start())
process.on('SIGTERM', () => RED.stop().then(() => process.exit(0)))
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
