#!/usr/bin/env node
// Compiles the TypeScript into dist/ and puts each node's editor HTML, locales and the palette
// icons beside its compiled .js, where Node-RED looks for them.
'use strict'
const fs = require('fs')
const path = require('path')
const { execFileSync } = require('child_process')

const root = path.resolve(__dirname, '..')
const dist = path.join(root, 'dist')

fs.rmSync(dist, { recursive: true, force: true })
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
  stdio: 'inherit',
  cwd: root
})

const nodesDir = path.join(root, 'nodes')
const icons = fs.readdirSync(path.join(root, 'icons')).filter(f => f.endsWith('.svg'))
for (const name of fs.readdirSync(nodesDir)) {
  const src = path.join(nodesDir, name)
  if (!fs.existsSync(path.join(src, `${name}.html`))) continue // shared code, not a node
  const out = path.join(dist, 'nodes', name)
  fs.mkdirSync(out, { recursive: true })
  fs.copyFileSync(path.join(src, `${name}.html`), path.join(out, `${name}.html`))
  if (fs.existsSync(path.join(src, 'locales'))) {
    fs.cpSync(path.join(src, 'locales'), path.join(out, 'locales'), { recursive: true })
  }
  // Node-RED only looks for icons in an icons/ folder next to the node's .js file.
  fs.mkdirSync(path.join(out, 'icons'), { recursive: true })
  for (const icon of icons) fs.copyFileSync(path.join(root, 'icons', icon), path.join(out, 'icons', icon))
}
console.log('built dist/')
