// A throw-away PostgreSQL server for a test lane after the first (scripts/test.js): the same server
// scripts/test-postgres.sh starts for the first lane (same binaries, same settings, its own port and
// data folder), started in a shell of its own and stopped by its data folder, which reaches only it.
'use strict'
const fs = require('fs')
const path = require('path')
const { execFileSync, spawnSync } = require('child_process')

const root = path.resolve(__dirname, '..')

/** Starts a server; returns { url, dataDir, bin }. Throws with the script's own message when it cannot. */
function start () {
  const env = { ...process.env }
  delete env.TEST_PG_PORT // the script takes the first free port from 54329
  delete env.DATABASE_URL
  // Only with the binaries already there: test-postgres.sh would install Debian's package, which a run
  // against a server of the developer's own must not do behind their back (CI has them by then).
  const out = execFileSync('bash', ['-c', 'source scripts/debian.sh && if ! postgres_bin_dir >/dev/null; then ' +
    'echo "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin" >&2; exit 1; fi; ' +
    'source scripts/test-postgres.sh >&2 && printf "%s\\n%s\\n%s\\n" "$DATABASE_URL" "$TEST_PG_DATA" "$PG_BIN"'], {
    cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']
  })
  const [url, dataDir, bin] = out.trim().split('\n')
  return { url, dataDir, bin }
}

/** Stops a server start() gave, and removes its data folder. */
function stop ({ dataDir, bin }) {
  const args = ['-D', dataDir, '-m', 'fast', '-w', 'stop']
  const pgCtl = path.join(bin, 'pg_ctl')
  if (process.getuid() === 0) spawnSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { stdio: 'ignore' })
  else spawnSync(pgCtl, args, { stdio: 'ignore' })
  fs.rmSync(dataDir, { recursive: true, force: true })
}

module.exports = { start, stop }
