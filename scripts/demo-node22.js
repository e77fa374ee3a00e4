#!/usr/bin/env node
// One start of the editor with the examples (the trading demo) on Node-RED 5 under Node.js 22, as a
// user would run it (scripts/start.js, embedded database): waits until the flows have started and a
// FIX session of the demo reports itself logged on through the FIX sidebar's admin endpoint, then
// stops it. Needs a build (dist/) and Node.js 22 (scripts/node22.js). Closing line for CI:
// "startup: N passed, N failed".
'use strict'
const fs = require('fs')
const os = require('os')
const net = require('net')
const path = require('path')
const http = require('http')
const { spawn } = require('child_process')
const node22 = require('./node22')

const root = path.resolve(__dirname, '..')
const TIMEOUT_MS = 120000

function freePort () {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    }).on('error', reject)
  })
}

function getJson (url) {
  return new Promise((resolve, reject) => {
    http.get(url, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', d => { body += d })
      res.on('end', () => {
        try { resolve(JSON.parse(body)) } catch (err) { reject(err) }
      })
    }).on('error', reject)
  })
}

async function main () {
  const started = Date.now()
  const results = []
  const check = (name, ok, detail) => {
    results.push(ok)
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`)
  }
  if (!fs.existsSync(path.join(root, 'dist', 'nodes'))) throw new Error('no dist/: run npm run build first')
  const exe = node22.install()
  const version = node22.versionOf(exe)
  check('runs on Node.js 22', /^v22\./.test(version), version)
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fix-streamers-demo22-'))
  const port = await freePort()
  let log = ''
  const child = spawn(exe, [path.join(__dirname, 'start.js')], {
    cwd: root,
    env: { ...process.env, PORT: String(port), NODE_RED_RUNTIME: 'node-red-5', NODE_RED_USER_DIR: userDir },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  child.stdout.on('data', d => { log += d })
  child.stderr.on('data', d => { log += d })
  try {
    const until = async (what, test) => {
      while (Date.now() - started < TIMEOUT_MS) {
        if (child.exitCode !== null) throw new Error(`Node-RED exited (${child.exitCode}) waiting for ${what}`)
        const v = await test().catch(() => undefined)
        if (v !== undefined && v !== false) return v
        await new Promise(resolve => setTimeout(resolve, 500))
      }
      throw new Error(`timed out after ${TIMEOUT_MS / 1000} s waiting for ${what}`)
    }
    const nrVersion = await until('Node-RED to start', async () => /Node-RED version: (v\S+)/.exec(log)?.[1])
    check('Node-RED 5 started', nrVersion.startsWith('v5.'), nrVersion)
    await until('the flows to start', async () => log.includes('Started flows'))
    check('the example flows started', true)
    const session = await until('a FIX session of the demo to log on', async () => {
      const o = await getJson(`http://127.0.0.1:${port}/fix-streamers/overview`)
      return (o.sessions ?? []).find(s => s.state === 'logged-on')
    })
    check('a FIX session reports logged on', true, session.label)
    check('no error in the log', !/\[error\]/.test(log), (/.*\[error\].*/.exec(log) ?? [''])[0])
  } catch (err) {
    check('demo on Node-RED 5 under Node.js 22', false, err.message)
    console.log(log.split('\n').slice(-30).join('\n'))
  } finally {
    child.kill('SIGTERM')
    await new Promise(resolve => {
      if (child.exitCode !== null) return resolve()
      const t = setTimeout(() => { child.kill('SIGKILL'); resolve() }, 10000)
      child.on('exit', () => { clearTimeout(t); resolve() })
    })
    fs.rmSync(userDir, { recursive: true, force: true })
  }
  const failed = results.filter(ok => !ok).length
  const seconds = ((Date.now() - started) / 1000).toFixed(0)
  console.log(`startup: ${results.length - failed} passed, ${failed} failed (${seconds} s)`)
  process.exitCode = failed > 0 ? 1 : 0
}

main().catch(err => {
  console.error(err)
  console.log('startup: 0 passed, 1 failed')
  process.exitCode = 1
})
