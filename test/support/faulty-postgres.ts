/**
 * The database fault tests' server: a throw-away PostgreSQL server of the test's own behind a cutting
 * TCP proxy, the faults themselves, and the mocha set-up that starts one for a describe.
 */
import { Client } from 'pg'
import { CuttingProxy } from './cutting-proxy'
import { setEnv } from './env'
import { serverBinaries, ThrowawayPostgres } from './throwaway-postgres'

export type Fault = 'cut' | 'terminate' | 'restart-fast' | 'restart-immediate'

export const FAULTS: readonly Fault[] = ['cut', 'terminate', 'restart-fast', 'restart-immediate']

/** A server and a proxy in front of it: the pack connects through `url`, the test directly. */
export class FaultyPostgres {
  private constructor (readonly server: ThrowawayPostgres, readonly proxy: CuttingProxy) {}

  static async start (bin: string): Promise<FaultyPostgres> {
    const server = await ThrowawayPostgres.start(bin)
    return new FaultyPostgres(server, await CuttingProxy.start(server.port))
  }

  /** Through the proxy (what the code under test uses). */
  get url (): string {
    return `postgres://postgres@127.0.0.1:${this.proxy.port}/postgres`
  }

  /** Straight to the server (the test's own connections, never cut). */
  get directUrl (): string {
    return this.server.url
  }

  /** Injects one fault; returns when the server answers again (the proxy accepts throughout). */
  async inject (fault: Fault, downMs = 300): Promise<void> {
    switch (fault) {
      case 'cut':
        this.proxy.cut()
        return
      case 'terminate':
        await this.admin(async c => {
          await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND ' +
            'backend_type = \'client backend\'')
        })
        return
      case 'restart-fast':
      case 'restart-immediate':
        this.server.down(fault === 'restart-fast' ? 'fast' : 'immediate')
        await new Promise(resolve => setTimeout(resolve, downMs))
        this.server.up()
    }
  }

  /** Runs `fn` on a direct connection of its own. */
  async admin<T> (fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ connectionString: this.directUrl })
    c.on('error', () => {})
    await c.connect()
    try {
      return await fn(c)
    } finally {
      await c.end().catch(() => {})
    }
  }

  async destroy (): Promise<void> {
    await this.proxy.close()
    this.server.destroy()
  }
}

export interface FaultyPostgresFixture {
  /** The server, once the describe's `before` has started it. */
  readonly pg: FaultyPostgres
}

/**
 * Registers mocha hooks in the calling describe: a FaultyPostgres of its own, started before the tests
 * (the describe is skipped where this machine has no PostgreSQL server binaries) and destroyed after them.
 * `env` names an environment variable set to its url (the proxy's) for the tests and restored after;
 * `setUp` runs once the server is up, `tearDown` before it is destroyed (to close pools into it first).
 */
export function faultyPostgres (o: {
  env?: string
  setUp?: (pg: FaultyPostgres) => Promise<void>
  tearDown?: () => Promise<void>
} = {}): FaultyPostgresFixture {
  const bin = serverBinaries()
  let pg: FaultyPostgres | undefined
  let restoreEnv: (() => void) | undefined
  before(async function () {
    if (bin === undefined) return this.skip() // no PostgreSQL server binaries under /usr/lib/postgresql
    this.timeout(60000)
    pg = await FaultyPostgres.start(bin)
    if (o.env !== undefined) restoreEnv = setEnv({ [o.env]: pg.url })
    await o.setUp?.(pg)
  })
  after(async function () {
    this.timeout(30000)
    restoreEnv?.()
    if (pg === undefined) return
    await o.tearDown?.()
    await pg.destroy()
  })
  return {
    get pg (): FaultyPostgres {
      if (pg === undefined) throw new Error('the faulty PostgreSQL server has not started')
      return pg
    }
  }
}
