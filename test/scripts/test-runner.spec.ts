import * as assert from 'assert'
import { ChildProcess, spawn } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { serverBinaries } from '../support/throwaway-postgres'

/** The repository's root, from dist/test/scripts. */
const root = path.resolve(__dirname, '..', '..', '..')

interface Ended { code: number | null, out: string }

interface Run { child: ChildProcess, out: () => string, ended: Promise<Ended> }

/** `node scripts/test.js <files>` on Node-RED 4.1 only, one lane, no database; its output so far in `out()`. */
function runner (files: string[], env: Record<string, string>): Run {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NODE_RED_RUNTIMES: 'node-red', TEST_LANES: '1', ...env }
  delete childEnv.DATABASE_URL
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'test.js'), ...files], {
    // Its own process group: a check that fails ends the runner and the mocha process it started.
    cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true
  })
  const chunks: Buffer[] = []
  child.stdout!.on('data', (d: Buffer) => chunks.push(d))
  child.stderr!.on('data', (d: Buffer) => chunks.push(d))
  const out = (): string => Buffer.concat(chunks).toString()
  const ended = new Promise<Ended>(resolve => child.on('close', code => resolve({ code, out: out() })))
  return { child, out, ended }
}

/** Whether a process runs: it exists and is not a zombie waiting to be reaped. */
function alive (pid: number): boolean {
  let stat: string
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return false
  }
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
}

async function until (what: string, check: () => boolean, ms = 20000): Promise<void> {
  const t0 = Date.now()
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

describe("npm test's runner (scripts/test.js)", function () {
  this.timeout(60000)
  let dir: string
  let passing: string
  let hanging: string
  let started: string
  let withServer: string
  let serverNote: string
  const children: ChildProcess[] = []

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fix-streamers-runner-'))
    started = path.join(dir, 'started')
    passing = path.join(dir, 'passing.spec.js')
    fs.writeFileSync(passing, "it('passes', () => {})\n")
    // Starts a process of its own (as specs start Node-RED or a server), prints, writes that process's
    // PID to say it started, then never ends: a hung spec (mocha's own timeout switched off).
    hanging = path.join(dir, 'hanging.spec.js')
    fs.writeFileSync(hanging, [
      "it('never ends', function () {",
      '  this.timeout(0)',
      "  const forever = ['-e', 'setInterval(() => {}, 1000)']",
      "  const helper = require('child_process').spawn(process.execPath, forever, { stdio: 'ignore' })",
      "  console.log('hanging spec: still here')",
      `  require('fs').writeFileSync(${JSON.stringify(started)}, String(helper.pid))`,
      '  return new Promise(() => setInterval(() => {}, 1000))',
      '})',
      ''
    ].join('\n'))
    // Starts a throw-away PostgreSQL server as the fault specs do (pg_ctl detaches it), notes its data
    // folder and postmaster, then never ends, so its `after` hook that would stop the server never runs.
    serverNote = path.join(dir, 'server')
    withServer = path.join(dir, 'server.spec.js')
    const support = path.join(__dirname, '..', 'support', 'throwaway-postgres.js')
    fs.writeFileSync(withServer, [
      `const { ThrowawayPostgres, serverBinaries } = require(${JSON.stringify(support)})`,
      "it('starts a server and never ends', async function () {",
      '  this.timeout(0)',
      '  const pg = await ThrowawayPostgres.start(serverBinaries())',
      "  const pid = require('fs').readFileSync(pg.dataDir + '/postmaster.pid', 'utf8').split('\\n')[0]",
      `  require('fs').writeFileSync(${JSON.stringify(serverNote)}, pg.dataDir + '\\n' + pid)`,
      "  console.log('server spec: started')",
      '  return new Promise(() => setInterval(() => {}, 1000))',
      '})',
      ''
    ].join('\n'))
  })

  /** The data folder and postmaster PID of the server the server spec started, once it has. */
  const server = (): { dataDir: string, pid: number } | undefined => {
    if (!fs.existsSync(serverNote)) return undefined
    const [dataDir, pid] = fs.readFileSync(serverNote, 'utf8').split('\n')
    return pid === undefined ? undefined : { dataDir, pid: Number(pid) }
  }

  /** The PID of the process the hanging spec started, once it has started. */
  const helperPid = (): number => Number(fs.readFileSync(started, 'utf8'))

  afterEach(() => {
    // Only what this spec started (each runner's own group, by its PID, and the hanging spec's process),
    // if a failed check left it running.
    for (const c of children.splice(0)) {
      try {
        process.kill(-c.pid!, 'SIGKILL')
      } catch {} // the group has ended
    }
    if (fs.existsSync(started) && alive(helperPid())) process.kill(helperPid(), 'SIGKILL')
    fs.rmSync(started, { force: true })
    const s = server()
    if (s !== undefined) {
      // The server spec's own server, by the PID its postmaster wrote: an immediate shutdown.
      if (alive(s.pid)) process.kill(s.pid, 'SIGQUIT')
      fs.rmSync(s.dataDir, { recursive: true, force: true })
      fs.rmSync(serverNote, { force: true })
    }
  })

  after(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('stops a job past TEST_JOB_SECONDS and the processes its specs started, and counts it failed', async () => {
    const run = runner([hanging], { TEST_JOB_SECONDS: '3' })
    children.push(run.child)
    const { code, out } = await run.ended
    assert.strictEqual(code, 1, out)
    assert.match(out, /hanging spec: still here/)
    assert.match(out, /\(stopped after 3 s, the job limit: TEST_JOB_SECONDS\)/)
    assert.match(out, /tests: 0 passed, 1 failed, 0 skipped/)
    // Left running, a spec's Node-RED or server would hold its port and CPU for the rest of the run.
    await until('the process the hanging spec started to end', () => !alive(helperPid()), 5000)
  })

  for (const how of ['the job limit', 'SIGTERM'] as const) {
    const title = `stops a PostgreSQL server a spec started when ${how} ends its job, and removes its data folder`
    it(title, async function () {
      if (serverBinaries() === undefined) this.skip()
      const run = runner([withServer], how === 'SIGTERM' ? {} : { TEST_JOB_SECONDS: '10' })
      children.push(run.child)
      await until('the server spec to start its server', () => server() !== undefined)
      const { dataDir, pid } = server()!
      assert.ok(alive(pid), 'the server runs while its job does')
      if (how === 'SIGTERM') run.child.kill('SIGTERM')
      const { code, out } = await run.ended
      assert.strictEqual(code, how === 'SIGTERM' ? 143 : 1, out)
      assert.match(out, /server spec: started/)
      // pg_ctl's server is not below the job's process: only the note of its data folder finds it.
      assert.strictEqual(alive(pid), false, `the server ${pid} still runs after its job ended:\n${out}`)
      assert.strictEqual(fs.existsSync(dataDir), false, `${dataDir} is still there`)
      if (how !== 'SIGTERM') assert.match(out, /stopped the PostgreSQL server its specs left running in /)
    })
  }

  it('keeps the 900 s limit when TEST_JOB_SECONDS is not a positive number, so a passing job passes', async () => {
    for (const value of ['soon', '0', '-5']) {
      const run = runner([passing], { TEST_JOB_SECONDS: value })
      children.push(run.child)
      const { code, out } = await run.ended
      assert.strictEqual(code, 0, `TEST_JOB_SECONDS=${value}:\n${out}`)
      assert.match(out, /tests: 1 passed, 0 failed, 0 skipped/, `TEST_JOB_SECONDS=${value}`)
      assert.doesNotMatch(out, /stopped after/, `TEST_JOB_SECONDS=${value}`)
    }
  })

  for (const [signal, exitCode] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`prints a running job's output when stopped by ${signal}, ends its processes, exits ${exitCode}`, async () => {
      const run = runner([hanging], {})
      children.push(run.child)
      await until('the hanging spec to start', () => fs.existsSync(started) && helperPid() > 0)
      // Its output is buffered by the runner, not printed, until the job ends or the runner is stopped.
      await new Promise(resolve => setTimeout(resolve, 300))
      assert.doesNotMatch(run.out(), /hanging spec: still here/)
      run.child.kill(signal)
      const { code, out } = await run.ended
      assert.strictEqual(code, exitCode, out)
      assert.match(out, new RegExp(`\\(stopped by ${signal} after \\d+ s; its output so far:\\)`))
      assert.match(out, /hanging spec: still here/)
      await until('the process the hanging spec started to end', () => !alive(helperPid()), 5000)
    })
  }
})
