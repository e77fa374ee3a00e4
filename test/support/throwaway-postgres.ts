/**
 * A PostgreSQL server of the test's own, on its own port and data directory, for tests that stop
 * and start the server. The shared development server is never touched. Stopped by its data
 * directory (pg_ctl), which only ever reaches the server this file started. Under npm test's runner
 * the data directory is also noted in the job's folder before the server starts, so that a job
 * stopped before its `after` hooks ran does not leave the server running (scripts/job-servers.js).
 */
import { execFileSync } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { freePortFrom } from './ports'

export function serverBinaries (): string | undefined {
  const root = '/usr/lib/postgresql'
  if (!fs.existsSync(root)) return undefined
  const versions = fs
    .readdirSync(root)
    .filter(v => fs.existsSync(path.join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a))
  return versions.length === 0 ? undefined : path.join(root, versions[0], 'bin')
}

export class ThrowawayPostgres {
  private constructor (
    readonly bin: string, readonly dataDir: string, readonly port: number, private readonly fsync: boolean
  ) {}

  get url (): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`
  }

  /** `fsync`: a durable server (fsync and synchronous_commit on, as production runs); off by default. */
  static async start (bin: string, { fsync = false }: { fsync?: boolean } = {}): Promise<ThrowawayPostgres> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fix-streamers-restart-'))
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dataDir])
    const notes = process.env.FIX_STREAMERS_JOB_SERVERS
    if (notes !== undefined && notes !== '') fs.writeFileSync(path.join(notes, path.basename(dataDir)), dataDir)
    const port = await freePortFrom(Number(process.env.TEST_PG_PORT ?? 54340) + Math.floor(Math.random() * 20))
    const pg = new ThrowawayPostgres(bin, dataDir, port, fsync)
    pg.run('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync'])
    pg.up()
    return pg
  }

  /** Starts the server on the existing data directory. */
  up (): void {
    const fsync = this.fsync ? 'on' : 'off'
    const options = `-c listen_addresses=127.0.0.1 -p ${this.port} -k ${this.dataDir} -c fsync=${fsync}`
    this.run('pg_ctl', ['-D', this.dataDir, '-l', path.join(this.dataDir, 'server.log'), '-w', '-t', '60',
      '-o', options, 'start'])
  }

  /** Stops the server; 'immediate' is a crash (no shutdown checkpoint). */
  down (mode: 'fast' | 'immediate' = 'immediate'): void {
    this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', 'stop'])
  }

  destroy (): void {
    try {
      this.down('fast')
    } catch { /* already stopped */ }
    fs.rmSync(this.dataDir, { recursive: true, force: true })
    const notes = process.env.FIX_STREAMERS_JOB_SERVERS
    if (notes !== undefined && notes !== '') fs.rmSync(path.join(notes, path.basename(this.dataDir)), { force: true })
  }

  private run (tool: string, args: string[]): void {
    const cmd = path.join(this.bin, tool)
    if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' })
    else execFileSync(cmd, args, { stdio: 'pipe' })
  }
}
