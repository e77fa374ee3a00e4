import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import * as vm from 'vm'

const NODES = path.resolve(__dirname, '..', '..', '..', 'nodes')
const editors = fs.readdirSync(NODES).map(d => path.join(NODES, d, `${d}.html`)).filter(f => fs.existsSync(f))

/**
 * RED.notify renders its text as HTML: a column, type or table name, a dictionary error or a
 * database message in it could carry markup into the editor. Every call must escape its text.
 */
describe('editor notifications escape server text', () => {
  it('finds the editors', () => assert.ok(editors.length >= 6, editors.join(', ')))

  for (const file of editors) {
    const html = fs.readFileSync(file, 'utf8')
    const calls = [...html.matchAll(/RED\.notify\(([^\n]*)/g)].map(m => m[1])
    if (calls.length === 0) continue
    const name = path.basename(file)

    it(`${name}: every RED.notify call passes its text through esc()`, () => {
      const raw = calls.filter(c => !c.startsWith('esc('))
      assert.deepStrictEqual(raw, [], `unescaped: ${raw.join(' | ')}`)
    })

    it(`${name}: esc() turns markup into text`, () => {
      const def = /(?:function esc \([^)]*\) \{[^\n]*\}|const esc = [^\n]*)\n/.exec(html)
      assert.ok(def !== null, 'esc is defined in the editor script')
      const context: Record<string, any> = {}
      vm.runInNewContext(`${def[0]}; this.esc = esc`, context)
      assert.strictEqual(
        context.esc('<img src=x onerror="alert(1)">&\''),
        '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;'
      )
    })
  }
})
