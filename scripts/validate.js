#!/usr/bin/env node
// Runs the Node-RED Flow Library checks (`node-red-dev validate`, the scorecard the library
// shows) with the offline catalogue stub, and fails unless every check passes.
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawnSync } = require('child_process')

const root = path.resolve(__dirname, '..')
const out = path.join(os.tmpdir(), `fix-streamers-scorecard-${process.pid}.json`)
const r = spawnSync(path.join(root, 'node_modules', '.bin', 'node-red-dev'), ['validate', '-p', root, '-o', out], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(__dirname, 'validate-offline.js')}`.trim()
  }
})
let card = {}
try { card = JSON.parse(fs.readFileSync(out, 'utf8')) } catch { console.error(`no scorecard (exit ${r.status})`) }
fs.rmSync(out, { force: true })
const checks = Object.entries(card).filter(([k]) => /^[PND]\d\d$/.test(k))
const failed = checks.filter(([, v]) => v.test !== true)
for (const [k, v] of failed) console.log(`  ✘ ${k} ${JSON.stringify(v)}`)
console.log(
  `validate: ${checks.length - failed.length} passed, ${failed.length + (checks.length === 0 ? 1 : 0)} failed`
)
process.exitCode = failed.length > 0 || checks.length === 0 ? 1 : 0
