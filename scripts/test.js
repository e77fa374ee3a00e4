#!/usr/bin/env node
// Runs the whole suite (already built into dist/) with mocha: every spec against Node-RED 4.1 on the
// Node.js that runs this script, and the node specs again against Node-RED 5.x on Node.js 22
// (scripts/node22.js; Node-RED 5 needs 22.9 or later). Prints one closing line that CI reads:
// "tests: N passed, N failed, N skipped".
//
// The specs spend most of their time waiting (heartbeats, poll intervals, session schedules), so the run
// is cut into jobs, each a mocha process over some spec files, and TEST_LANES of them (2 unless set) run
// side by side. Each lane has a PostgreSQL server of its own when DATABASE_URL is set (one lane only
// when no second server can start): some specs restart, reconfigure or cut every connection of the
// server they use, which must never reach a spec of another lane. A job's output is printed whole
// when it ends, so the log reads as one run per job.
'use strict'
const path = require('path')
const fs = require('fs')
const os = require('os')
const { spawn } = require('child_process')
const node22 = require('./node22')
const lanePostgres = require('./lane-postgres')
const { killTree } = require('./process-tree')
const jobServers = require('./job-servers')

const root = path.resolve(__dirname, '..')
const dist = path.join(root, 'dist', 'test')

const RUNTIMES = {
  'node-red': { label: 'Node-RED 4.1', node: undefined, folder: 'dist/test' },
  'node-red-5': { label: 'Node-RED 5.x', node: 22, folder: 'dist/test/nodes' }
}

// How the full run is cut: [runtime, folder under dist/test, parts]. A folder in parts is dealt out
// file by file, so each part gets a share of its long specs. Listed longest first, from the times a run
// prints at its end: a lane free to take a job takes the next one, and a long job started last would
// leave the other lane idle. Specs in no listed folder run in a last job of their runtime.
const PLAN = [
  ['node-red', 'core/db', 1],
  ['node-red', 'nodes', 3],
  ['node-red', 'core/stream', 1],
  ['node-red', 'core/fix-session', 1],
  ['node-red', 'faults', 1],
  ['node-red', 'conformance', 1],
  ['node-red-5', 'nodes', 2]
]

/** Every *.spec.js under `p` (a file or folder), sorted. */
function specFiles (p) {
  const abs = path.resolve(root, p)
  if (!fs.existsSync(abs)) return []
  if (!fs.statSync(abs).isDirectory()) return abs.endsWith('.spec.js') ? [abs] : []
  return fs.readdirSync(abs).sort().flatMap(f => specFiles(path.join(abs, f)))
}

/** The jobs of the full run: each spec file once per runtime (the function checks it). */
function fullRunJobs (runtimes) {
  const jobs = []
  for (const runtime of runtimes) {
    const all = specFiles(RUNTIMES[runtime].folder)
    const taken = new Set()
    for (const [rt, folder, parts] of PLAN) {
      if (rt !== runtime) continue
      const files = specFiles(path.join(dist, folder)).filter(f => !taken.has(f))
      files.forEach(f => taken.add(f))
      for (let k = 0; k < parts; k++) {
        const share = files.filter((_, i) => i % parts === k)
        const what = parts > 1 ? `${folder} ${k + 1}/${parts}` : folder
        if (share.length > 0) jobs.push({ runtime, what, files: share })
      }
    }
    const rest = all.filter(f => !taken.has(f))
    if (rest.length > 0) jobs.push({ runtime, what: 'the other specs', files: rest })
    const counted = jobs.filter(j => j.runtime === runtime).reduce((n, j) => n + j.files.length, 0)
    if (counted !== all.length) throw new Error(`the jobs of ${runtime} hold ${counted} spec files, not ${all.length}`)
  }
  return jobs
}

// Optional spec files or folders, e.g. `npm test -- dist/test/core` (node specs also run on 5.x).
const only = process.argv.slice(2)
let runtimes = Object.keys(RUNTIMES)
if (process.env.NODE_RED_RUNTIMES) runtimes = runtimes.filter(r => process.env.NODE_RED_RUNTIMES.split(',').includes(r))

let jobs
if (only.length === 0) {
  jobs = fullRunJobs(runtimes)
} else {
  jobs = runtimes.map(runtime => ({
    runtime,
    what: only.join(' '),
    files: runtime === 'node-red' ? only : only.filter(s => s.includes('nodes'))
  })).filter(j => j.files.length > 0)
}

const totals = { passes: 0, failures: 0, pending: 0 }

function executable (runtime) {
  if (RUNTIMES[runtime].node !== 22) return process.execPath
  const exe = node22.find()
  if (exe !== undefined) return exe
  // Under CI a missing Node.js 22 fails the pass; elsewhere it runs on this Node.js, and says so.
  if (process.env.CI) return undefined
  console.log(`(no Node.js 22: node scripts/node22.js installs one; ${RUNTIMES[runtime].label} runs on this Node.js)`)
  return process.execPath
}

const times = []
// A job that runs this long is stopped and counted failed, its output printed: a hung spec must not
// hold the run until CI's own limit, which prints nothing of the buffered output. The processes its
// specs started are stopped with it. The longest job takes about 5 minutes.
const JOB_LIMIT_S = Number(process.env.TEST_JOB_SECONDS) > 0 ? Number(process.env.TEST_JOB_SECONDS) : 900

/** Runs one job on a lane (its environment); resolves when its mocha process has ended. */
async function runJob (job, index, env) {
  const { label } = RUNTIMES[job.runtime]
  const exe = executable(job.runtime)
  if (exe === undefined) {
    console.error(`\n${label}: no Node.js 22 (run node scripts/node22.js, or set NODE22)`)
    totals.failures++
    return
  }
  const version = require(path.join(root, 'node_modules', job.runtime, 'package.json')).version
  const statsFile = path.join(os.tmpdir(), `fix-streamers-stats-${process.pid}-${index}.json`)
  const head = `=== ${label} (${job.runtime}@${version}) on Node.js ${node22.versionOf(exe)}: ${job.what} ===`
  const run = { head, out: [], t0: Date.now(), servers: jobServers.open() }
  const status = await new Promise(resolve => {
    const child = spawn(exe, [path.join(__dirname, 'mocha-pass.js'), statsFile, ...job.files], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...env, NODE_RED_RUNTIME: job.runtime, [jobServers.ENV]: run.servers }
    })
    running.set(child, run)
    const limit = setTimeout(() => {
      run.out.push(Buffer.from(`\n(stopped after ${JOB_LIMIT_S} s, the job limit: TEST_JOB_SECONDS)\n`))
      killTree(child.pid, 'SIGKILL')
    }, JOB_LIMIT_S * 1000)
    child.stdout.on('data', d => run.out.push(d))
    child.stderr.on('data', d => run.out.push(d))
    child.on('close', code => {
      clearTimeout(limit)
      running.delete(child)
      for (const dataDir of jobServers.stopLeft(run.servers)) {
        run.out.push(Buffer.from(`\n(stopped the PostgreSQL server its specs left running in ${dataDir})\n`))
      }
      resolve(code)
    })
  })
  const seconds = Math.round((Date.now() - run.t0) / 1000)
  process.stdout.write(`\n${head}\n${Buffer.concat(run.out).toString()}`)
  let stats = { passes: 0, failures: 1, pending: 0 }
  try {
    stats = JSON.parse(fs.readFileSync(statsFile, 'utf8'))
  } catch {
    console.error(`no results from ${label}, ${job.what} (exit ${status})`)
  }
  fs.rmSync(statsFile, { force: true })
  if (status !== 0 && stats.failures === 0) stats.failures = 1
  for (const k of Object.keys(totals)) totals[k] += stats[k]
  const files = `${job.files.length} file${job.files.length === 1 ? '' : 's'}`
  times.push(`${seconds} s  ${label}: ${job.what} (${files}, lane ${env.FIX_STREAMERS_TEST_LANE})`)
}

/** The mocha processes running now, each with its job's header, output so far and start. */
const running = new Map()
const servers = []
function stopAll () {
  for (const child of running.keys()) killTree(child.pid, 'SIGTERM')
  for (const run of running.values()) jobServers.stopLeft(run.servers)
  for (const s of servers) lanePostgres.stop(s)
  servers.length = 0
}
// Exit codes by the shell's convention: 128 + the signal's number.
for (const [sig, exitCode] of [['SIGTERM', 143], ['SIGINT', 130]]) {
  process.on(sig, () => {
    // Stopped from outside (CI's limit, Ctrl-C): say what was running, with its output so far.
    for (const { head, out, t0 } of running.values()) {
      const seconds = Math.round((Date.now() - t0) / 1000)
      const so = Buffer.concat(out).toString()
      process.stdout.write(`\n${head}\n(stopped by ${sig} after ${seconds} s; its output so far:)\n${so}`)
    }
    stopAll()
    process.exit(exitCode)
  })
}

async function main () {
  const wanted = Math.max(1, Number(process.env.TEST_LANES ?? 2) || 1)
  const laneCount = Math.min(wanted, jobs.length)
  const envs = [{ ...process.env, FIX_STREAMERS_TEST_LANE: '1' }]
  for (let lane = 2; lane <= laneCount; lane++) {
    const env = { ...process.env, FIX_STREAMERS_TEST_LANE: String(lane) }
    // Servers a spec starts for itself (ThrowawayPostgres) look for a port from TEST_PG_PORT: a range per lane.
    env.TEST_PG_PORT = String(54340 + 100 * (lane - 1))
    if (process.env.DATABASE_URL) {
      let server
      try {
        server = lanePostgres.start()
      } catch (err) {
        // The lanes would share one server, which some specs restart: run one job after another instead.
        console.error(`no PostgreSQL server for lane ${lane} (${err.message.split('\n')[0]}): the jobs run in one lane`)
        break
      }
      servers.push(server)
      env.DATABASE_URL = server.url
    }
    envs.push(env)
  }
  console.log(`${jobs.length} job${jobs.length === 1 ? '' : 's'} on ${envs.length} lane${envs.length > 1 ? 's' : ''}` +
    (servers.length > 0 ? `; lanes after the first use ${servers.map(s => s.url).join(', ')}` : ''))
  const queue = jobs.map((job, index) => ({ job, index }))
  await Promise.all(envs.map(async env => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await runJob(next.job, next.index, env)
  }))
  stopAll()
  console.log('\ntime by job:')
  for (const t of times) console.log(`  ${t}`)
  console.log(`\ntests: ${totals.passes} passed, ${totals.failures} failed, ${totals.pending} skipped`)
  process.exitCode = totals.failures > 0 ? 1 : 0
}

main().catch(err => {
  stopAll()
  console.error(err)
  process.exitCode = 1
})
