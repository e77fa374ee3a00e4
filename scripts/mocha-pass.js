'use strict'
// One mocha run in its own process (each Node-RED runtime needs a fresh module cache).
// Arguments: the stats file to write, then spec files or folders (searched for *.spec.js).
const Mocha = require('mocha')
const fs = require('fs')
const path = require('path')

const [statsFile, ...targets] = process.argv.slice(2)
const mocha = new Mocha({ timeout: 60000, reporter: 'spec', slow: 2000 })

function add (p) {
  const abs = path.resolve(p)
  if (!fs.existsSync(abs)) return
  if (fs.statSync(abs).isDirectory()) {
    for (const f of fs.readdirSync(abs).sort()) add(path.join(abs, f))
  } else if (abs.endsWith('.spec.js')) {
    mocha.addFile(abs)
  }
}
targets.forEach(add)

const runner = mocha.run(failures => {
  const s = runner.stats
  fs.writeFileSync(statsFile, JSON.stringify({ passes: s.passes, failures: s.failures, pending: s.pending }))
  process.exitCode = failures > 0 ? 1 : 0
  // A handle left open by a failing test must not hang CI.
  setTimeout(() => process.exit(), 3000).unref()
})
