import * as assert from 'assert'
import { execFileSync } from 'child_process'
import * as fs from 'fs'
import * as path from 'path'
import { ROOT } from '../support/e2e/harness'

/**
 * The documentation's shape (issue 20 point 5): the README is a front page of at most 10 KB, the
 * per-node reference lives once, in each node's help, every relative link resolves, and the layout
 * table of docs/architecture.md names what the tree holds.
 */
const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n')
  .filter(f => f !== '' && fs.existsSync(path.join(ROOT, f)))
const read = (f: string): string => fs.readFileSync(path.join(ROOT, f), 'utf8')
const NODES = ['streamer-database', 'audit-streamer', 'streamer-client', 'fix-translator', 'fix-session', 'fix-gateway',
  'streamer-sql']
const CONFIG_NODES = new Set(['streamer-database', 'fix-session'])

/** Tracked folders one level under `top` (core -> core/db, core/fix, ...). */
function foldersUnder (top: string): string[] {
  return [...new Set(tracked.filter(f => f.startsWith(`${top}/`) && f.split('/').length > 2)
    .map(f => f.split('/').slice(0, 2).join('/')))]
}

describe('help and docs: one per-node reference, links that resolve, a layout table true to the tree', () => {
  it('keeps the README a front page of at most 10 KB', () => {
    assert.ok(fs.statSync(path.join(ROOT, 'README.md')).size <= 10 * 1024)
  })

  it('has no second per-node reference: nothing points to docs/nodes.md any more', () => {
    assert.ok(!tracked.includes('docs/nodes.md'))
    const pointing = tracked.filter(f => /\.(md|ts|js|html|json)$/.test(f) && f !== 'CHANGELOG.md' &&
      !f.startsWith('test/nodes/help-and-docs') && read(f).includes('docs/nodes.md'))
    assert.deepStrictEqual(pointing, [])
  })

  it('gives every node a help in the Node-RED style: summary, inputs and outputs where it has them, ' +
    'details, references', () => {
    for (const n of NODES) {
      const html = read(`nodes/${n}/locales/en-US/${n}.html`)
      assert.match(html, new RegExp(`^<script type="text/html" data-help-name="${n}">\\s*<p>`), `${n}: a summary first`)
      const heads = [...html.matchAll(/<h3>([^<]+)<\/h3>/g)].map(m => m[1])
      assert.ok(heads.includes('Details'), `${n}: Details`)
      assert.strictEqual(heads[heads.length - 1], 'References', `${n}: References last`)
      if (!CONFIG_NODES.has(n) && n !== 'audit-streamer') assert.ok(heads.includes('Inputs'), `${n}: Inputs`)
      if (!CONFIG_NODES.has(n)) assert.ok(heads.includes('Outputs'), `${n}: Outputs`)
    }
  })

  it('resolves every relative link of the README and docs/ to a file of the tree', () => {
    const bad: string[] = []
    for (const f of tracked.filter(x => x === 'README.md' || /^docs\/.+\.md$/.test(x))) {
      for (const m of read(f).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(m[1])) continue
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(f), m[1]))
        if (!tracked.includes(target) && !tracked.some(t => t.startsWith(`${target}/`))) bad.push(`${f}: ${m[1]}`)
      }
    }
    assert.deepStrictEqual(bad, [])
  })

  it('names in the layout table every folder the tree holds, and only those', () => {
    const arch = read('docs/architecture.md')
    const table = arch.slice(arch.indexOf('## Layout'))
    const rows = [...table.matchAll(/^\| `([^`]+)` \| (.*) \|$/gm)].map(m => ({ path: m[1], text: m[2] }))
    for (const r of rows) {
      const p = r.path.replace(/\/$/, '').replace('<node>', 'fix-gateway')
      assert.ok(tracked.includes(p) || tracked.some(t => t.startsWith(`${p}/`)), `row ${r.path}: not in the tree`)
    }
    const tops = [...new Set(tracked.filter(f => f.includes('/')).map(f => f.split('/')[0]))]
    for (const top of tops) {
      assert.ok(rows.some(r => r.path.replace(/\/$/, '') === top || r.path.startsWith(`${top}/`)),
      `folder ${top}/ has no row`)
    }
    const row = (p: string): string => rows.find(r => r.path === p)?.text ?? ''
    for (const top of ['core', 'test']) {
      for (const sub of foldersUnder(top)) assert.ok(row(`${top}/`).includes(`\`${sub}\``), `${sub} is not named`)
    }
  })
})
