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
