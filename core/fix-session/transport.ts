import { createHash } from 'crypto'
import { EventEmitter } from 'events'
import * as net from 'net'
import * as tls from 'tls'
import { Backoff, sleep } from '../util/backoff'
import { msUntilChange } from './schedule'
import { ListenerMember, listenerFor, SharedListener } from './listener'
import type { Session } from './session'
import type { MakeFrameReader } from './codec-port'
import { attachSocket } from './connection'

/** TLS material as PEM contents (what Node-RED's tls-config node hands over), never file paths. */
export interface TlsSettings {
  key?: string | Buffer
  cert?: string | Buffer
  ca?: string | Buffer | Array<string | Buffer>
  passphrase?: string
  servername?: string
  /** Initiator: check the acceptor's certificate. Acceptor: refuse clients without a valid one. Default true. */
  rejectUnauthorized?: boolean
  /** Acceptor: ask for a client certificate (mutual TLS). */
  requestCert?: boolean
}

export interface InitiatorOptions {
  host: string
  port: number
  tls?: TlsSettings
  /** First and longest wait between connection attempts (defaults 1 s and 60 s). */
  backoffInitialMs?: number
  backoffMaxMs?: number
  connectTimeoutMs?: number
  /** Splits each connection's byte stream into frames. */
  makeFrameReader: MakeFrameReader
}

/**
 * Connects a session to its acceptor and keeps it connected while wanted and inside the
 * session schedule: a lost connection, a refused logon or a peer's Logout is followed by a
 * new attempt after an exponentially growing wait. Emits 'status' with a short text.
 */
export class Initiator extends EventEmitter {
  private want = true
  private running: Promise<void> | undefined
  private wake = new AbortController()
  private socket: net.Socket | undefined
  private readonly backoff: Backoff

  constructor (readonly session: Session, private readonly o: InitiatorOptions) {
    super()
    this.backoff = new Backoff(o.backoffInitialMs ?? 1000, o.backoffMaxMs ?? 60000)
  }

  /** Whether it is meant to be connected (false after pause()). */
  get wanted (): boolean {
    return this.want
  }

  start (): void {
    this.want = true
    this.running ??= this.loop().finally(() => { this.running = undefined })
  }

  /** Connect now (e.g. the 'logon' control), skipping any wait. */
  connectNow (): void {
    this.backoff.reset()
    this.start()
    this.wake.abort()
  }

  /** Log out and stay down until start() or connectNow(). */
  async pause (text = 'logout requested'): Promise<void> {
    this.want = false
    this.wake.abort()
    await this.session.logout(text).catch(() => {})
    this.socket?.destroy()
    await this.running
  }

  async stop (text = 'session stopped'): Promise<void> {
    await this.pause(text)
    await this.session.stop(text)
  }

  private async loop (): Promise<void> {
    while (this.want) {
      this.wake = new AbortController()
      if (!this.session.inSchedule()) {
        this.emit('status', 'outside session time')
        await sleep(Math.min(60000, msUntilChange(this.session.settings.schedule, new Date())), this.wake.signal)
        continue
      }
      try {
        this.emit('status', `connecting to ${this.o.host}:${this.o.port}`)
        const socket = await this.connect()
        const remote = `${this.o.host}:${this.o.port}`
        if (!this.want || !attachSocket(this.session, socket, this.o.makeFrameReader, remote)) {
          socket.destroy()
          continue
        }
        this.socket = socket
        await this.session.whenDisconnected()
        this.socket = undefined
        if (this.session.hadLogon) this.backoff.reset()
      } catch (err) {
        this.emit('status', `connect failed: ${(err as Error).message}`)
      }
      if (!this.want) break
      const wait = this.backoff.next()
      this.emit('status', `reconnecting in ${Math.round(wait / 100) / 10} s`)
      await sleep(wait, this.wake.signal)
    }
  }

  private async connect (): Promise<net.Socket> {
    return await new Promise<net.Socket>((resolve, reject) => {
      const t = this.o.tls
      const socket: net.Socket = t === undefined
        ? net.connect({ host: this.o.host, port: this.o.port })
        : tls.connect({
          host: this.o.host,
          port: this.o.port,
          key: t.key,
          cert: t.cert,
          ca: t.ca,
          passphrase: t.passphrase,
          servername: t.servername ?? (net.isIP(this.o.host) === 0 ? this.o.host : undefined),
          rejectUnauthorized: t.rejectUnauthorized ?? true
        })
      const timeout = setTimeout(() => fail(new Error('connect timeout')), this.o.connectTimeoutMs ?? 10000)
      const fail = (err: Error): void => {
        clearTimeout(timeout)
        socket.destroy()
        reject(err)
      }
      socket.once('error', fail)
      socket.once(t === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timeout)
        socket.removeListener('error', fail)
        socket.on('error', () => { /* the session reports transport errors */ })
        socket.setNoDelay(true)
        socket.setKeepAlive(true, 30000)
        resolve(socket)
      })
    })
  }
}

export interface AcceptorOptions {
  /** Address to listen on (e.g. 127.0.0.1 or 0.0.0.0). Required: no silent "all interfaces". */
  bindAddress: string
  port: number
  tls?: TlsSettings
  /** Splits each connection's byte stream into frames. */
  makeFrameReader: MakeFrameReader
}

/** The listening server for these TLS settings (plain TCP without them). */
function makeServer (t: TlsSettings | undefined): net.Server {
  return t === undefined
    ? net.createServer()
    : tls.createServer({
      key: t.key,
      cert: t.cert,
      ca: t.ca,
      passphrase: t.passphrase,
      requestCert: t.requestCert ?? false,
      // A required client certificate is always verified: the tls-config node's "verify server
      // certificate" (rejectUnauthorized) is about servers, and must not turn mutual TLS off.
      rejectUnauthorized: t.requestCert === true
    })
}

/** Two acceptors may share a port only with the same TLS settings: this text tells them apart. */
function tlsKeyOf (t: TlsSettings | undefined): string | undefined {
  if (t === undefined) return undefined
  const text = (v: unknown): string =>
    Array.isArray(v) ? v.map(text).join(',') : Buffer.isBuffer(v) ? v.toString('base64') : String(v ?? '')
  return createHash('sha256')
    .update([t.key, t.cert, t.ca, t.passphrase, t.requestCert, t.rejectUnauthorized].map(text).join('\u0000'))
    .digest('hex')
}

/**
 * An acceptor session's place on a shared listener (see listener.ts): several sessions may
 * listen on the same address and port, told apart by the BeginString and CompIDs of each Logon.
 * A connection is bound to this session only when its valid Logon names it. A port in use is
 * reported (rejected promise and 'status'), never thrown.
 */
export class Acceptor extends EventEmitter implements ListenerMember {
  private listener: SharedListener | undefined
  private accept = true
  private listeningPort: number | undefined

  constructor (readonly session: Session, private readonly o: AcceptorOptions) {
    super()
  }

  /** Starts listening (or joins the listener already on that port); resolves with the port. */
  async start (): Promise<number> {
    if (this.listener !== undefined && this.listeningPort !== undefined) return this.listeningPort
    const tlsKey = tlsKeyOf(this.o.tls)
    const listener = listenerFor({
      bindAddress: this.o.bindAddress,
      port: this.o.port,
      tlsKey,
      makeServer: () => makeServer(this.o.tls),
      connectionEvent: this.o.tls === undefined ? 'connection' : 'secureConnection'
    })
    try {
      this.listener = listener
      this.listeningPort = await listener.join(this, tlsKey)
    } catch (err) {
      this.listener = undefined
      this.emit('status', (err as Error).message)
      throw err
    }
    this.emit('status', `listening on ${this.o.bindAddress}:${this.listeningPort}`)
    return this.listeningPort
  }

  get port (): number | undefined {
    return this.listeningPort
  }

  /** Accept (true) or refuse (false) new connections, e.g. for the logout control. */
  setAccepting (on: boolean): void {
    this.accept = on
  }

  get accepting (): boolean {
    return this.accept
  }

  report (text: string): void {
    this.emit('status', text)
  }

  attach (socket: net.Socket, remote: string, initial: Buffer): boolean {
    return attachSocket(this.session, socket, this.o.makeFrameReader, remote, initial)
  }

  /** Logs out, and leaves the listener (the last session to leave closes it). */
  async stop (text = 'session stopped'): Promise<void> {
    this.accept = false
    await this.session.stop(text)
    const listener = this.listener
    this.listener = undefined
    this.listeningPort = undefined
    if (listener !== undefined) await listener.leave(this)
  }
}
