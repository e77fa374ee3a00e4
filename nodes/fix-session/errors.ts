/**
 * A send or control while the session has no runtime: not started yet, stopping (a redeploy or
 * shutdown), or its start failed. Nothing was sent; a gateway holds a stream row that gets it.
 */
export class SessionNotRunningError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'SessionNotRunningError'
  }
}
