import * as assert from 'assert'
import { spawn, ChildProcess } from 'child_process'
import * as fs from 'fs'
import * as path from 'path'
import { eventually, tempDir } from '../support/databases'
import { freePort } from '../core/fix-session/support'
import { FRESH_CONNECTION } from '../support/fresh-connection'

const bcrypt = require('bcryptjs')

const ROOT = path.resolve(__dirname, '..', '..', '..')
// Node-RED 5 runs on Node.js 22.9 or later only; on older Node.js the 5.x pass starts 4.1 here too.
const [major, minor] = process.versions.node.split('.').map(Number)
const runtime = major > 22 || (major === 22 && minor >= 9) ? process.env.NODE_RED_RUNTIME ?? 'node-red' : 'node-red'

/**
 * The translator's editor endpoints on a real Node-RED with adminAuth: a read-only user may read
 * builtin dictionaries and the custom files deployed nodes use, and nothing else of the disk.
 */
describe(`fix-translator editor endpoints under adminAuth (${runtime})`, function () {
  this.timeout(90000)
  let red: ChildProcess | undefined
  let base = ''
  const tokens: Record<string, string> = {}
  let dir = ''
  let deployed = ''
  const output: string[] = []

  async function call (user: string | undefined, url: string, editor = true): Promise<{ status: number, body: any }> {
    const headers: Record<string, string> = { ...FRESH_CONNECTION }
    if (user !== undefined) headers.Authorization = `Bearer ${tokens[user]}`
    if (editor) headers['Node-RED-API-Version'] = 'v2'
    const r = await fetch(`${base}${url}`, { headers })
    const text = await r.text()
    let body: unknown = text
    try { body = JSON.parse(text) } catch { /* not JSON */ }
    return { status: r.status, body }
  }
  async function post (user: string | undefined, url: string): Promise<number> {
    const headers: Record<string, string> = {
      ...FRESH_CONNECTION, 'content-type': 'application/json', 'Node-RED-API-Version': 'v2'
    }
    if (user !== undefined) headers.Authorization = `Bearer ${tokens[user]}`
    const r = await fetch(`${base}${url}`, { method: 'POST', headers, body: '{}' })
    await r.text()
    return r.status
  }
  const messagesOf = (p: string): string => `/fix-streamers/dictionaries/custom/messages?path=${encodeURIComponent(p)}`

  before(async () => {
    dir = tempDir('fs-adminauth-')
    deployed = path.join(dir, 'venue-FIX44.xml')
    fs.copyFileSync(path.join(ROOT, 'node_modules', 'jspurefix', 'data', 'FIX44.xml'), deployed)
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'not a dictionary\n')
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    const hash = (pw: string): string => bcrypt.hashSync(pw, 4)
    fs.writeFileSync(path.join(dir, 'settings.js'), `module.exports = ${JSON.stringify({
      uiHost: '127.0.0.1',
      uiPort: port,
      flowFile: 'flows.json',
      nodesDir: [ROOT],
      credentialSecret: false,
      diagnostics: { enabled: false },
      telemetry: { enabled: false },
      editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
      adminAuth: {
        type: 'credentials',
        users: [
          { username: 'admin', password: hash('admin-pw'), permissions: '*' },
          { username: 'reader', password: hash('reader-pw'), permissions: 'read' }
        ]
      }
    })}\n`)
    fs.writeFileSync(
      path.join(dir, 'flows.json'),
      JSON.stringify([
        { id: 'tab1', type: 'tab', label: 'venue' },
        {
          id: 't1',
          z: 'tab1',
          type: 'fix-translator',
          name: 'venue',
          dictionary: 'custom',
          dictionaryPath: deployed,
          direction: 'toFix',
          msgType: 'D',
          mappings: [],
          routing: 'all',
          types: [],
          wires: [[], []]
        }
      ])
    )
    red = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules', runtime, 'red.js'), '-u', dir, '-s', path.join(dir, 'settings.js')],
      { stdio: ['ignore', 'pipe', 'pipe'] }
    )
    for (const s of [red.stdout!, red.stderr!]) s.on('data', (d: Buffer) => output.push(d.toString()))
    // Node-RED logs "Started flows" before its HTTP server listens (red.js listens once the runtime has
    // started, and the flows start without being awaited): wait for both lines.
    const started = (): boolean => /Started flows/.test(output.join('')) && /Server now running/.test(output.join(''))
    await eventually(started, 60000, 'Node-RED to start its flows and listen')
    for (const [user, pw, scope] of [['admin', 'admin-pw', '*'], ['reader', 'reader-pw', 'read']]) {
      const r = await fetch(`${base}/auth/token`, {
        method: 'POST',
        headers: { ...FRESH_CONNECTION, 'content-type': 'application/json' },
        body: JSON.stringify({
          client_id: 'node-red-editor',
          grant_type: 'password',
          scope,
          username: user,
          password: pw
        })
      })
      assert.strictEqual(r.status, 200, `token for ${user}`)
      tokens[user] = ((await r.json()) as { access_token: string }).access_token
    }
  })
  after(async () => {
    if (red !== undefined && red.exitCode === null) {
      const exited = new Promise(resolve => red!.once('exit', resolve))
      red.kill('SIGTERM')
      await exited
    }
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('asks for the pack\'s permissions on every admin endpoint it registers: none without logging in, ' +
    'no write for a read-only user', async () => {
    // Every route of the pack, with a request that reaches it ('none' ids answer 404 once past the checks).
    const routes: Array<[method: 'GET' | 'POST', route: string, url: string, needs: 'read' | 'write']> = [
      ['GET', '/fix-streamers/dictionaries', '/fix-streamers/dictionaries', 'read'],
      ['GET', '/fix-streamers/dictionaries/:id/messages', '/fix-streamers/dictionaries/FIX.4.4/messages', 'read'],
      ['GET', '/fix-streamers/dictionaries/:id/messages/:msgType/fields',
        '/fix-streamers/dictionaries/FIX.4.4/messages/D/fields', 'read'],
      ['POST', '/fix-streamers/translator/preview', '/fix-streamers/translator/preview', 'write'],
      ['GET', '/fix-streamers/tables', '/fix-streamers/tables?db=none', 'read'],
      ['POST', '/fix-streamers/audit-tables', '/fix-streamers/audit-tables', 'write'],
      ['POST', '/fix-streamers/streamer-client/:id/rewind', '/fix-streamers/streamer-client/none/rewind', 'write'],
      ['GET', '/fix-streamers/overview', '/fix-streamers/overview', 'read'],
      ['GET', '/fix-streamers/metrics', '/fix-streamers/metrics', 'read'],
      ['GET', '/fix-streamers/journal', '/fix-streamers/journal?session=none', 'read'],
      ['GET', '/fix-streamers/journal/:session/:direction/:id', '/fix-streamers/journal/none/in/1', 'read'],
      ['POST', '/fix-streamers/sessions/:id/control', '/fix-streamers/sessions/none/control', 'write'],
      ['POST', '/fix-streamers/clients/:id/rewind', '/fix-streamers/clients/none/rewind', 'write']
    ]
    // The list is complete: every '/fix-streamers/...' route named in the pack's source is in it.
    const inSource = new Set<string>()
    const scan = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name)
        if (e.isDirectory()) scan(p)
        else if (e.name.endsWith('.ts')) {
          for (const m of fs.readFileSync(p, 'utf8').matchAll(/'(\/fix-streamers\/[^']*)'/g)) inSource.add(m[1])
        }
      }
    }
    scan(path.join(ROOT, 'nodes'))
    assert.deepStrictEqual([...inSource].sort(), routes.map(r => r[1]).sort())
    const statusOf = async (user: string | undefined, method: string, url: string): Promise<number> =>
      method === 'GET' ? (await call(user, url)).status : await post(user, url)
    for (const [method, , url, needs] of routes) {
      assert.strictEqual(await statusOf(undefined, method, url), 401, `${method} ${url} without logging in`)
      const reader = await statusOf('reader', method, url)
      if (needs === 'write') assert.ok(reader === 401 || reader === 403, `${method} ${url} as reader: ${reader}`)
      else assert.ok(reader !== 401 && reader !== 403, `${method} ${url} as reader: ${reader}`)
      const admin = await statusOf('admin', method, url)
      assert.ok(admin !== 401 && admin !== 403, `${method} ${url} as admin: ${admin}`)
    }
  })

  it('lets a read-only user read builtin dictionaries and the custom file a deployed node uses', async () => {
    const builtin = await call('reader', '/fix-streamers/dictionaries/FIX.4.4/messages')
    assert.strictEqual(builtin.status, 200)
    const custom = await call('reader', messagesOf(deployed))
    assert.strictEqual(custom.status, 200)
    assert.ok(custom.body.some((m: any) => m.msgType === 'D'))
    assert.strictEqual((await call(undefined, messagesOf(deployed))).status, 401, 'not without logging in')
  })

  it('refuses a read-only user any other path, however it is spelled', async () => {
    for (const p of [
      '/etc/passwd',
      path.join(dir, 'secret.txt'),
      path.join(dir, 'missing.xml'),
      `/proc/self/root${deployed}`,
      `${dir}/./venue-FIX44.xml`
    ]) {
      const r = await call('reader', messagesOf(p))
      assert.ok(r.status === 401 || r.status === 403, `${p}: ${r.status} ${JSON.stringify(r.body)}`)
      assert.doesNotMatch(JSON.stringify(r.body), /exist|passwd|secret|missing|character|xml/i)
    }
    // A path given as the dictionary id is not a way around the check.
    const asId = await call('reader', `/fix-streamers/dictionaries/${encodeURIComponent('/etc/passwd')}/messages`)
    assert.strictEqual(asId.status, 404)
    const asIdFields = await call(
      'admin',
      `/fix-streamers/dictionaries/${encodeURIComponent(deployed)}/messages/D/fields`
    )
    assert.strictEqual(asIdFields.status, 404)
  })

  it('lets an admin try another path, with one answer whether the file is missing, ' +
    'unreadable or not a dictionary', async () => {
    const answers = []
    for (const p of [
      '/etc/passwd',
      path.join(dir, 'secret.txt'),
      path.join(dir, 'missing.xml'),
      path.join(dir, 'flows.json')
    ]) {
      const r = await call('admin', messagesOf(p))
      answers.push([r.status, r.body])
    }
    assert.deepStrictEqual(
      answers.map(a => a[0]),
      [400, 400, 400, 400]
    )
    assert.strictEqual(
      new Set(answers.map(a => JSON.stringify(a[1]))).size,
      1,
      `one answer for all: ${JSON.stringify(answers)}`
    )
    const other = path.join(dir, 'copy-FIX44.xml')
    fs.copyFileSync(deployed, other)
    assert.strictEqual((await call('admin', messagesOf(other))).status, 200)
  })

  it('refuses a custom path that is not deployed to a request without the ' +
    'editor\'s header (a cross-site GET)', async () => {
    const r = await call('admin', messagesOf(path.join(dir, 'copy-FIX44.xml')), false)
    assert.strictEqual(r.status, 403)
    assert.strictEqual(
      (await call('reader', messagesOf(deployed), false)).status,
      200,
      'the deployed file is readable as before'
    )
  })
})
