/**
 * A PostgreSQL primary and its synchronous streaming replica for the failover tests, made and
 * driven by scripts/test-postgres-replica.sh (the one description of the tested setup): this
 * wrapper sources it in a bash child for each step, passing the folder so it reuses the servers.
 */
import { execFile } from 'child_process'
import * as path from 'path'
import { serverBinaries } from '../support/throwaway-postgres'

const SCRIPT = path.resolve(__dirname, '..', '..', '..', 'scripts', 'test-postgres-replica.sh')

async function bash (script: string, env: Record<string, string> = {}): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile('bash', ['-c', `source "${SCRIPT}" >&2 && ${script}`], {
      env: { ...process.env, ...env },
      timeout: 120000
    }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

/**
 * For a mocha describe: a pair started before its tests (they skip without server binaries) and
 * stopped after them. Returns the pair, undefined when there is none.
 */
export function replicaPairPerSuite (): () => ReplicaPair | undefined {
  let pair: ReplicaPair | undefined
  before(async function () {
    if (!ReplicaPair.available()) return this.skip()
    this.timeout(120000)
    pair = await ReplicaPair.start()
  })
  after(async function () {
    this.timeout(60000)
    await pair?.stop()
  })
  return () => pair
}

export class ReplicaPair {
  private constructor (readonly dir: string, readonly primaryPort: number, readonly replicaPort: number) {}

  /** Whether this machine has the server binaries (the script would install them otherwise). */
  static available (): boolean {
    return serverBinaries() !== undefined
  }

  static async start (): Promise<ReplicaPair> {
    const out = await bash('echo "$TEST_PG_HA_DIR $TEST_PG_PRIMARY_PORT $TEST_PG_REPLICA_PORT"')
    const [dir, primary, replica] = out.trim().split(' ')
    return new ReplicaPair(dir, Number(primary), Number(replica))
  }

  /** The URL of one server alone (for the test's own checks), or of both, primary first. */
  url (which?: 'primary' | 'replica'): string {
    const hosts = which === undefined
      ? `127.0.0.1:${this.primaryPort},127.0.0.1:${this.replicaPort}`
      : `127.0.0.1:${which === 'primary' ? this.primaryPort : this.replicaPort}`
    return `postgresql://postgres@${hosts}/fix_streamers_test`
  }

  async promote (): Promise<void> {
    await this.run('test_postgres_replica_promote')
  }

  /** Stops one server (fast shutdown, by its PID), or both and removes the folder. */
  async stop (which?: 'primary' | 'replica'): Promise<void> {
    await this.run(`test_postgres_replica_stop ${which ?? ''}`)
  }

  private async run (command: string): Promise<void> {
    await bash(command, { TEST_PG_HA_DIR: this.dir })
  }
}
