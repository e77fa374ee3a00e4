#!/usr/bin/env node
// Runs the whole suite (already built into dist/) with mocha: every spec against Node-RED 4.1 on the
// Node.js that runs this script, then the node specs again against Node-RED 5.x on Node.js 22
// (scripts/node22.js; Node-RED 5 needs 22.9 or later). Prints one closing line that CI reads:
// "tests: N passed, N failed, N skipped".
'use strict'
const path = require('path')
const fs = require('fs')
const os = require('os')
const { spawnSync } = require('child_process')
const node22 = require('./node22')

const root = path.resolve(__dirname, '..')
// Optional spec files or folders, e.g. `npm test -- dist/test/core` (node specs also run on 5.x).
const only = process.argv.slice(2)
const passes = [
  { label: 'Node-RED 4.1', runtime: 'node-red', specs: only.length > 0 ? only : ['dist/test'] },
  {
    label: 'Node-RED 5.x',
    runtime: 'node-red-5',
    node: 22,
    specs: only.length > 0 ? only.filter(s => s.includes('nodes')) : ['dist/test/nodes']
  }
]
if (process.env.NODE_RED_RUNTIMES) {
  const wanted = process.env.NODE_RED_RUNTIMES.split(',')
  passes.splice(0, passes.length, ...passes.filter(p => wanted.includes(p.runtime)))
}

const totals = { passes: 0, failures: 0, pending: 0 }
for (const pass of passes) {
  if (pass.specs.length === 0) continue
  const version = require(path.join(root, 'node_modules', pass.runtime, 'package.json')).version
  let exe = process.execPath
  if (pass.node === 22) {
    exe = node22.find()
    if (exe === undefined) {
      // Under CI a missing Node.js 22 fails the pass; elsewhere it runs on this Node.js, and says so.
      if (process.env.CI) {
        console.error(`\n${pass.label}: no Node.js 22 (run node scripts/node22.js, or set NODE22)`)
        totals.failures++
        continue
      }
      console.log(`\n(no Node.js 22: node scripts/node22.js installs one; ${pass.label} runs on this Node.js)`)
      exe = process.execPath
    }
  }
  console.log(`\n=== ${pass.label} (${pass.runtime}@${version}) on Node.js ${node22.versionOf(exe)} ===`)
  const statsFile = path.join(os.tmpdir(), `fix-streamers-stats-${process.pid}-${pass.runtime}.json`)
  const r = spawnSync(exe, [path.join(__dirname, 'mocha-pass.js'), statsFile, ...pass.specs], {
    cwd: root, stdio: 'inherit', env: { ...process.env, NODE_RED_RUNTIME: pass.runtime }
  })
  let stats = { passes: 0, failures: 1, pending: 0 }
  try {
    stats = JSON.parse(fs.readFileSync(statsFile, 'utf8'))
  } catch {
    console.error(`no results from the ${pass.label} pass (exit ${r.status})`)
  }
  fs.rmSync(statsFile, { force: true })
  if (r.status !== 0 && stats.failures === 0) stats.failures = 1
  for (const k of Object.keys(totals)) totals[k] += stats[k]
}
console.log(`\ntests: ${totals.passes} passed, ${totals.failures} failed, ${totals.pending} skipped`)
process.exitCode = totals.failures > 0 ? 1 : 0
