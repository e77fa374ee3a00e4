import type { Duplex } from 'stream'
import type { FrameReader, MakeFrameReader } from './codec-port'
import type { Responder } from './responder'
import type { Session } from './session'

/** Frames handed on and not yet worked through beyond this many pause the socket (back-pressure). */
const PAUSE_AT = 2000
/** How often the session's clock ticks while connected (heartbeats, timeouts). */
const TICK_MS = 250
/** A peer that never reads does not keep a disconnected socket open longer than this. */
const DESTROY_AFTER_MS = 1000

/**
 * One TCP (or TLS) connection of a session: the socket, the framing of its byte stream, back-
 * pressure and the clock. It is the session's Responder (QuickFIX's SocketConnection).
 * Invariants: frames go to the session (`take`) in the order they arrived, each once; the socket is
 * paused while more than PAUSE_AT of them wait to be worked through and resumed below half of
 * that; after `disconnect` nothing more is read, written or ticked.
 */
export class Connection implements Responder {
  private readonly reader: FrameReader
  private timer: NodeJS.Timeout | undefined
  private ended = false
  /** Frames handed to the session and not yet worked through. */
  private pending = 0
  /** Called by the session once per frame handed to it: one function for all of them. */
  private readonly onWorked = (): void => this.worked()

  constructor (
    private readonly session: Session,
    private readonly socket: Duplex,
    makeFrameReader: MakeFrameReader
  ) {
    this.reader = makeFrameReader((bytes, reason) => session.garbled(reason, bytes))
  }

  /**
   * Gives the session this connection and starts reading, the `initial` bytes first (an
   * acceptor's listener read the Logon to find the session). False (nothing started, the socket
   * left alone) when the session takes no connection now.
   */
  open (remote: string, initial?: Buffer): boolean {
    if (!this.session.connect(this, remote, Date.now())) return false
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk))
    this.socket.on('error', (err: Error) => this.session.transportError(err))
    this.socket.on('close', () => this.session.closed(this))
    this.timer = setInterval(() => { if (!this.ended) this.session.tick(Date.now()) }, TICK_MS)
    this.timer.unref?.()
    if (initial !== undefined && initial.length > 0) this.onData(initial)
    return true
  }

  get writable (): boolean {
    return !this.ended && !this.socket.destroyed && this.socket.writable
  }

  get closing (): boolean {
    const s = this.socket as Duplex & { readableEnded?: boolean }
    return s.destroyed || s.readableEnded === true
  }

  write (bytes: Buffer): void {
    if (this.ended || this.socket.destroyed) return
    this.socket.write(bytes)
  }

  disconnect (): void {
    if (this.ended) return
    this.ended = true
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.socket.end()
    setTimeout(() => this.socket.destroy(), DESTROY_AFTER_MS).unref?.()
  }

  async drained (ms: number): Promise<boolean> {
    const socket = this.socket as Duplex & { writableNeedDrain?: boolean }
    if (this.ended || socket.writableNeedDrain !== true) return true
    return await new Promise<boolean>(resolve => {
      const done = (ok: boolean): void => {
        clearTimeout(timer)
        socket.removeListener('drain', onDrain)
        socket.removeListener('close', onClose)
        resolve(ok)
      }
      const onDrain = (): void => done(true)
      const onClose = (): void => done(true)
      const timer = setTimeout(() => done(false), ms)
      socket.once('drain', onDrain)
      socket.once('close', onClose)
    })
  }

  private onData (chunk: Buffer): void {
    if (this.ended) return
    let frames: Buffer[]
    try {
      frames = this.reader.push(chunk)
    } catch (err) {
      this.session.garbled((err as Error).message)
      this.reader.reset()
      return
    }
    const at = Date.now()
    for (const frame of frames) {
      this.pending++
      this.session.take(frame, at, this.onWorked)
    }
    if (this.pending > PAUSE_AT && !this.socket.isPaused()) this.socket.pause()
  }

  private worked (): void {
    this.pending--
    if (!this.ended && this.pending < PAUSE_AT / 2 && this.socket.isPaused()) this.socket.resume()
  }
}

/** Connects `socket` to `session` (see Connection.open); false when the session takes no connection now. */
export function attachSocket (
  session: Session,
  socket: Duplex,
  makeFrameReader: MakeFrameReader,
  remote = '',
  initial?: Buffer
): boolean {
  return new Connection(session, socket, makeFrameReader).open(remote, initial)
}
