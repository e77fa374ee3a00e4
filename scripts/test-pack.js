#!/usr/bin/env node
// Packs the module with `npm pack` and proves the tarball installs and loads in a fresh Node-RED
// user directory, both ways a user installs it: `npm install <tarball>`, and the palette
// manager's upload (POST /nodes with the tarball, what the editor's Upload button sends).
// Prints "pack: N passed, N failed".
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execFileSync } = require('child_process')
const { startNodeRed } = require('./embedded-node-red')

const root = path.resolve(__dirname, '..')
const pkg = require(path.join(root, 'package.json'))
const types = Object.keys(pkg['node-red'].nodes)
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
let passed = 0
let failed = 0

function check (name, ok, detail = '') {
  if (ok) passed++
  else failed++
  console.log(`  ${ok ? '✔' : '✘'} ${name}${ok || detail === '' ? '' : `: ${detail}`}`)
}

async function startFresh (userDir) {
  // A fresh require of the runtime per start: Node-RED keeps module-level state.
  for (const k of Object.keys(require.cache)) {
    if (k.includes(`${path.sep}node_modules${path.sep}node-red`) || k.includes('@node-red')) delete require.cache[k]
  }
  const nr = await startNodeRed({ userDir, settings: { credentialSecret: 'pack-test' } })
  return { base: nr.url.replace(/\/$/, ''), stop: nr.stop }
}

async function checkLoaded (label, base) {
  const nodes = await (await fetch(`${base}/nodes`, { headers: { Accept: 'application/json' } })).json()
  const ours = nodes.filter(n => n.module === pkg.name)
  for (const t of types) {
    const set = ours.find(n => n.types.includes(t))
    check(
      `${label}: node ${t} is loaded`,
      set !== undefined && set.enabled && set.err === undefined,
      JSON.stringify(set?.err ?? 'missing')
    )
  }
  const icons = await (await fetch(`${base}/icons`)).json()
  check(
    `${label}: palette icons are found`,
    Array.isArray(icons[pkg.name]) && icons[pkg.name].length > 0,
    JSON.stringify(icons[pkg.name])
  )
  const html = await (await fetch(`${base}/nodes`, { headers: { Accept: 'text/html' } })).text()
  for (const t of types) check(`${label}: help text for ${t}`, html.includes(`data-help-name="${t}"`))
  const examples = await (await fetch(`${base}/library/examples/flows/${pkg.name}`)).json()
  check(`${label}: examples are listed`, Array.isArray(examples) && examples.length > 0, JSON.stringify(examples))
}

async function main () {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fix-streamers-pack-'))
  try {
    console.log('npm pack ...')
    const out = execFileSync(npm, ['pack', '--json', '--pack-destination', work], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit']
    })
    const info = JSON.parse(out.slice(out.indexOf('[')))[0]
    const tarball = path.join(work, info.filename)
    const files = info.files.map(f => f.path)
    check('tarball has compiled nodes, editor HTML, locales, icons and examples', types.every(t =>
      files.includes(pkg['node-red'].nodes[t]) &&
      files.includes(pkg['node-red'].nodes[t].replace(/\.js$/, '.html')) &&
      files.some(f => f.startsWith(path.dirname(pkg['node-red'].nodes[t]) + '/locales/en-US/')) &&
      files.some(f => f.startsWith(path.dirname(pkg['node-red'].nodes[t]) + '/icons/'))) &&
      files.some(f => f.startsWith('examples/flows/')))
    check(
      'tarball has no tests',
      !files.some(f => f.startsWith('dist/test') || f.startsWith('test/')),
      files.filter(f => /test/.test(f)).join(', ')
    )

    // 1. npm install <tarball> in a user directory.
    const dirA = path.join(work, 'user-npm')
    fs.mkdirSync(dirA)
    fs.writeFileSync(path.join(dirA, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }))
    console.log('npm install <tarball> ...')
    execFileSync(npm, ['install', '--no-audit', '--no-fund', tarball], {
      cwd: dirA,
      stdio: ['ignore', 'ignore', 'inherit']
    })
    let nr = await startFresh(dirA)
    try { await checkLoaded('npm install', nr.base) } finally { await nr.stop() }
    // The command the log line of a refused embedded folder names (docs/operations.md).
    let usage = ''
    try {
      usage = execFileSync(npm, ['exec', '--no', '--', 'fix-streamers-upgrade-embedded', '--help'], {
        cwd: dirA, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']
      })
    } catch (err) { usage = String(err.stderr ?? err) }
    check('npx fix-streamers-upgrade-embedded runs from the user directory', /^usage: fix-streamers-upgrade-embedded/
      .test(usage), usage.slice(0, 300))

    // 2. The palette manager's upload.
    const dirB = path.join(work, 'user-palette')
    fs.mkdirSync(dirB)
    nr = await startFresh(dirB)
    try {
      console.log('palette upload ...')
      const form = new FormData()
      form.append('tarball', new Blob([fs.readFileSync(tarball)]), info.filename)
      const res = await fetch(`${nr.base}/nodes`, { method: 'POST', body: form })
      const body = await res.text()
      check('palette upload is accepted', res.status === 200, `${res.status} ${body.slice(0, 300)}`)
      await checkLoaded('palette upload', nr.base)
    } finally { await nr.stop() }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}

main().catch(err => { failed++; console.error(err) }).finally(() => {
  console.log(`pack: ${passed} passed, ${failed} failed`)
  process.exitCode = failed > 0 ? 1 : 0
  setTimeout(() => process.exit(), 2000).unref()
})
