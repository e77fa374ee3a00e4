import { NotLoggedOnError } from '../../core/fix-session'

/** The error of a message that was held, or came, once the gateway closed: not sent, not confirmed. */
export class GatewayClosedError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'GatewayClosedError'
  }
}

/**
 * The stream messages a gateway holds while its session is not logged on, in arrival order. A
 * streamer client never sends a row twice by itself, so erroring them would leave them unconfirmed
 * until the next restart (and stop the client at its in-flight limit): they wait here instead,
 * unconfirmed, and go out in order at the next logon. The client's in-flight window bounds them.
 * Plain TypeScript: the node says when the session logged on (`release`) and when it closes.
 */
export class HeldSends {
  private held: Array<{ resume: () => void, cancel: (err: Error) => void }> = []
  private closing = false

  /**
   * @param loggedOn whether the session is logged on now
   * @param closed the error a held or new message gets once the gateway closes
   * @param onHold told the number waiting, the new one included, when a message starts to wait
   */
  constructor (
    private readonly loggedOn: () => boolean,
    private readonly closed: () => Error,
    private readonly onHold: (count: number) => void
  ) {}

  get count (): number {
    return this.held.length
  }

  /**
   * Sends a stream message in line: behind the messages held, and only while logged on. A send
   * that finds the session down after all (it went down between the check and the send) goes
   * back in line, in order; any other error, or any error once closing, is the caller's.
   */
  async send<T> (send: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.held.length > 0 || !this.loggedOn()) await this.untilLoggedOn()
      try {
        return await send()
      } catch (err) {
        if (!(err instanceof NotLoggedOnError) || this.closing) throw err
      }
    }
  }

  /** The session logged on: the held messages go, in the order they came. */
  release (): void {
    const waiting = this.held
    this.held = []
    for (const h of waiting) h.resume()
  }

  /** The gateway closes: every held message fails unsent (the client replays it from its checkpoint). */
  close (): void {
    this.closing = true
    const waiting = this.held
    this.held = []
    for (const h of waiting) h.cancel(this.closed())
  }

  private async untilLoggedOn (): Promise<void> {
    if (this.closing) throw this.closed()
    this.onHold(this.held.length + 1)
    await new Promise<void>((resolve, reject) => {
      this.held.push({ resume: resolve, cancel: reject })
      if (this.loggedOn()) setImmediate(() => this.release()) // never wait for a status change that already happened
    })
  }
}
