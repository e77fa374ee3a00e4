#!/usr/bin/env node
// `npm start`: Node-RED 4.1 on 127.0.0.1:1880 with this pack loaded from the working tree, a
// git-ignored user directory (.node-red-dev/), the embedded database, and the example flows.
// NODE_RED_RUNTIME=node-red-5 starts Node-RED 5 instead (it needs Node.js 22), NODE_RED_USER_DIR
// another user directory.
'use strict'
const fs = require('fs')
const path = require('path')
const { spawn } = require('child_process')

const root = path.resolve(__dirname, '..')
const userDir = process.env.NODE_RED_USER_DIR
  ? path.resolve(process.env.NODE_RED_USER_DIR)
  : path.join(root, '.node-red-dev')
const runtime = process.env.NODE_RED_RUNTIME || 'node-red'
fs.mkdirSync(userDir, { recursive: true })

// Seed the flows once from examples/flows/ (all of them, one tab each); later deploys are the user's.
const flowsFile = path.join(userDir, 'flows.json')
if (!fs.existsSync(flowsFile)) {
  // The examples share their config nodes (one database, the FIX sessions) by id: keep one of each.
  const flows = new Map()
  const dir = path.join(root, 'examples', 'flows')
  for (const f of fs.readdirSync(dir).filter(f => f.endsWith('.json')).sort()) {
    for (const n of JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))) if (!flows.has(n.id)) flows.set(n.id, n)
  }
  fs.writeFileSync(flowsFile, JSON.stringify([...flows.values()], null, 2))
}

const port = Number(process.env.PORT || 1880)
const host = process.env.NR_HOST || '127.0.0.1'
console.log(`Node-RED editor: http://${host}:${port}/  (user directory ${path.relative(root, userDir)}/)`)
const child = spawn(
  process.execPath,
  [require.resolve(`${runtime}/red.js`), '-u', userDir, '-s', path.join(__dirname, 'dev-settings.js')],
  {
    stdio: 'inherit',
    env: { ...process.env, PORT: String(port), NR_HOST: host }
  }
)
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig))
child.on('exit', code => { process.exitCode = code ?? 0 })
