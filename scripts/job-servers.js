// The PostgreSQL servers a test job's specs start with pg_ctl (test/support/throwaway-postgres.ts),
// stopped by the runner when the job ends. pg_ctl detaches its server from the process that started
// it, so a job stopped at its limit or by a signal (mocha ended before its `after` hooks ran) would
// leave the server running for the rest of the run, holding its port, memory and data folder.
// Each server says where its data folder is in a file of the job's folder (named by
// FIX_STREAMERS_JOB_SERVERS) before it starts; the runner reads those files when the job ends.
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')

const ENV = 'FIX_STREAMERS_JOB_SERVERS'

/** A new, empty folder for one job's notes. */
function open () {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'fix-streamers-job-'))
}

/**
 * The postmaster's PID from its data folder, only while that process still runs this data folder:
 * a PID left in a stale postmaster.pid may have been given to another process since.
 */
function postmasterOf (dataDir) {
  let pid
  try {
    pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  } catch {
    return undefined // never started, or stopped cleanly
  }
  if (!(pid > 0)) return undefined
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    return args.includes(dataDir) ? pid : undefined
  } catch {
    return undefined // it has ended
  }
}

function sleepSync (ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Stops every server a job left running (an immediate shutdown: SIGQUIT to its postmaster, which
 * ends its backends), removes their data folders and the job's folder. Returns the data folders
 * of the servers it stopped.
 */
function stopLeft (folder) {
  const stopped = []
  let notes = []
  try {
    notes = fs.readdirSync(folder)
  } catch {}
  for (const note of notes) {
    let dataDir
    try {
      dataDir = fs.readFileSync(path.join(folder, note), 'utf8').trim()
    } catch {
      continue // its spec stopped that server and removed the note meanwhile (a run stopped from outside)
    }
    const pid = postmasterOf(dataDir)
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGQUIT')
      } catch {}
      for (let waited = 0; postmasterOf(dataDir) !== undefined && waited < 10000; waited += 50) sleepSync(50)
      stopped.push(dataDir)
    }
    // Only a throw-away server's folder (ThrowawayPostgres makes it under the temporary folder).
    if (path.isAbsolute(dataDir) && dataDir.startsWith(os.tmpdir())) {
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }
  fs.rmSync(folder, { recursive: true, force: true })
  return stopped
}

module.exports = { ENV, open, stopLeft }
