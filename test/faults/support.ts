/**
 * Shared pieces of the database fault tests: a throw-away PostgreSQL server of the test's own
 * behind a cutting TCP proxy, the faults themselves, and a recorder of the process-level errors
 * (uncaught exceptions, unhandled rejections) that would end Node-RED.
 */
import { Client } from 'pg'
import { ThrowawayPostgres } from '../support/throwaway-postgres'
import { CuttingProxy } from './proxy'

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

/**
 * Records what would end a Node-RED process: an uncaught exception or an unhandled rejection.
 * Node-RED exits on both; mocha would report them too, but against whichever test runs then.
 */
export class ProcessErrors {
  readonly errors: string[] = []
  private readonly onError = (err: unknown): void => { this.errors.push(`${(err as Error)?.stack ?? String(err)}`) }

  constructor () {
    process.prependListener('uncaughtException', this.onError)
    process.prependListener('unhandledRejection', this.onError)
  }

  stop (): void {
    process.removeListener('uncaughtException', this.onError)
    process.removeListener('unhandledRejection', this.onError)
  }
}

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))
