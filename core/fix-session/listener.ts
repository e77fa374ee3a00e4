import * as net from 'net'
import { checkFrame, FrameSplitter } from '../fix/framing'
import { firstOf, printable, scanFields, Tag } from './fields'
import type { Session } from './session'

/**
 * One acceptor session as the shared listener sees it (QuickFIX's SocketAcceptor keeps the same
 * list): the session a Logon may be bound to, whether it takes connections now, and where to
 * report what happened to a connection.
 */
export interface ListenerMember {
  readonly session: Session
  readonly accepting: boolean
  report: (text: string) => void
  /** Hands a connection whose Logon names this session to it (false: the session takes none now). */
  attach: (socket: net.Socket, remote: string, initial: Buffer) => boolean
}

/** Where a listener listens, and with which TLS identity (sessions sharing a port share it). */
export interface ListenerAddress {
  bindAddress: string
  port: number
  /** Identifies the TLS settings (undefined: plain TCP); two members must agree on it. */
  tlsKey?: string
  makeServer: () => net.Server
  connectionEvent: 'connection' | 'secureConnection'
}

export class ListenerConflictError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ListenerConflictError'
  }
}

/** Bytes a connection may send before its Logon is complete (a Logon is a few hundred bytes). */
const MAX_PRELOGON_BYTES = 16 * 1024
/** Connections waiting for their Logon at once; a new one beyond this pushes out the oldest. */
const MAX_PENDING = 64
/** Pre-logon report lines per listener: one every REPORT_MS, the rest counted. */
const REPORT_MS = 5000
const DEFAULT_LOGON_TIMEOUT_MS = 10_000

/** The identity a Logon names, from the acceptor's side: who it is for and who sends it. */
interface LogonIdentity { beginString: string, sender: string, target: string }

/**
 * Reads the identity of a connection's first frame when it is a well-formed Logon (right
 * BodyLength and CheckSum, MsgType A third); undefined for anything else.
 */
export function logonIdentity (frame: Buffer): LogonIdentity | undefined {
  try {
    checkFrame(frame)
  } catch {
    return undefined
  }
  const fields = scanFields(frame.toString('latin1'))
  if (fields === undefined || fields[2]?.[0] !== Tag.MsgType || fields[2][1] !== 'A') return undefined
  const sender = firstOf(fields, Tag.SenderCompID)
  const target = firstOf(fields, Tag.TargetCompID)
  if (sender === undefined || target === undefined) return undefined
  return { beginString: fields[0][1], sender, target }
}

/**
 * One listening socket shared by every acceptor session configured on the same address and port.
 * A connection belongs to no session until its first frame, a valid Logon, names one by
 * BeginString and CompIDs; until then it holds no session's slot, nothing is sent to it and
 * nothing of it is stored. Anything else (another first message, an unknown session, a session
 * already connected, silence beyond the logon timeout, too many bytes) closes it without a word,
 * as QuickFIX does: a peer learns nothing about the sessions served here.
 */
export class SharedListener {
  private server: net.Server | undefined
  private readonly members = new Set<ListenerMember>()
  private readonly pending = new Set<net.Socket>()
  private ready: Promise<number> | undefined
  private lastReport = 0
  private unreported = 0

  constructor (
    readonly key: string,
    readonly address: ListenerAddress,
    private readonly onEmpty: () => void,
    private readonly onListening: (port: number) => void
  ) {}

  get port (): number | undefined {
    const a = this.server?.address()
    return a !== null && typeof a === 'object' ? a.port : undefined
  }

  /** Adds a session; resolves with the port once listening. Rejects on a conflict or a port in use. */
  async join (m: ListenerMember, tlsKey: string | undefined): Promise<number> {
    if (tlsKey !== this.address.tlsKey) {
      throw new ListenerConflictError(`port ${this.address.port} ` +
      `on ${this.address.bindAddress} is served by another fix-session with different TLS settings`)
    }
    const s = m.session.settings
    for (const o of this.members) {
      const t = o.session.settings
      if (t.beginString === s.beginString && t.senderCompID === s.senderCompID && t.targetCompID === s.targetCompID) {
        throw new ListenerConflictError(
          `session ${s.beginString} ${s.senderCompID}->${s.targetCompID} is already served on port ${this.address.port}`
        )
      }
    }
    this.members.add(m)
    try {
      return await (this.ready ??= this.listen())
    } catch (err) {
      this.members.delete(m)
      throw err
    }
  }

  /** Removes a session; the last one out closes the listener and every pre-logon connection. */
  async leave (m: ListenerMember): Promise<void> {
    this.members.delete(m)
    if (this.members.size > 0) return
    this.onEmpty()
    for (const s of this.pending) s.destroy()
    this.pending.clear()
    const server = this.server
    this.server = undefined
    if (server !== undefined) await new Promise<void>(resolve => server.close(() => resolve()))
  }

  private async listen (): Promise<number> {
    const a = this.address
    const server = a.makeServer()
    server.on(a.connectionEvent, (socket: net.Socket) => this.onConnection(socket))
    server.on('tlsClientError', (err: Error) => this.report(`TLS handshake failed: ${printable(err.message, 120)}`))
    this.server = server
    return await new Promise<number>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        this.server = undefined
        this.onEmpty()
        const text =
          err.code === 'EADDRINUSE'
            ? `port ${a.port} on ${a.bindAddress} is in use`
            : `cannot listen on ${a.bindAddress}:${a.port}: ${err.message}`
        reject(Object.assign(new Error(text), { code: err.code }))
      }
      server.once('error', onError)
      server.listen(a.port, a.bindAddress, () => {
        server.removeListener('error', onError)
        server.on('error', (err: Error) => this.report(`listener error: ${err.message}`))
        const port = (server.address() as net.AddressInfo).port
        this.onListening(port)
        resolve(port)
      })
    })
  }

  private onConnection (socket: net.Socket): void {
    socket.on('error', () => { /* a pre-logon socket's errors concern nobody */ })
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`
    if (this.pending.size >= MAX_PENDING) {
      // Push out the longest-waiting one: a flood of idle connections cannot lock the real peer out.
      const oldest = this.pending.values().next().value as net.Socket
      this.pending.delete(oldest)
      oldest.destroy()
    }
    this.pending.add(socket)
    const splitter = new FrameSplitter({ maxBodyLength: MAX_PRELOGON_BYTES, maxRecoverLength: MAX_PRELOGON_BYTES })
    let received = 0
    const drop = (why: string): void => {
      cleanup()
      socket.destroy()
      this.report(`connection from ${remote} closed before logon: ${why}`)
    }
    const timer = setTimeout(() => drop('no Logon in time'), this.logonTimeoutMs())
    timer.unref?.()
    const onData = (chunk: Buffer): void => {
      received += chunk.length
      const frames = splitter.push(chunk)
      if (frames.length === 0) {
        if (received > MAX_PRELOGON_BYTES) drop('too many bytes without a Logon')
        return
      }
      const first = frames[0]
      const id = logonIdentity(first)
      if (id === undefined) return drop('the first message is not a valid Logon')
      const member = this.find(id)
      if (member === undefined) {
        return drop('Logon for an unknown session ' +
        `(${printable(id.beginString, 12)} ${printable(id.sender, 24)}->${printable(id.target, 24)})`)
      }
      if (!member.accepting) return drop(`session ${member.session.name} is not taking connections`)
      cleanup()
      socket.pause()
      const initial = Buffer.concat([...frames, splitter.rest()])
      if (member.session.connected && member.session.closing) {
        // The counterparty's last connection is closed but the session has not finished with it
        // (it is working through what that connection sent): the new one waits for that.
        this.bindWhenFree(member, socket, remote, initial)
        return
      }
      this.bind(member, socket, remote, initial)
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      this.pending.delete(socket)
      socket.removeListener('data', onData)
      socket.removeListener('close', cleanup)
    }
    socket.on('data', onData)
    socket.on('close', cleanup)
  }

  private bind (member: ListenerMember, socket: net.Socket, remote: string, initial: Buffer): void {
    if (member.session.connected) {
      socket.destroy()
      this.report(`connection from ${remote} closed before logon: session ${member.session.name} is already ` +
        'connected; this connection is refused, the other is not touched')
      return
    }
    socket.setNoDelay(true)
    socket.setKeepAlive(true, 30000)
    if (!member.attach(socket, remote, initial)) {
      socket.destroy()
      this.report(`connection from ${remote} refused: session ${member.session.name} is busy or stopped`)
      return
    }
    socket.resume()
  }

  private bindWhenFree (member: ListenerMember, socket: net.Socket, remote: string, initial: Buffer): void {
    const wait = Math.min(this.logonTimeoutMs(), 5000)
    let done = false
    const timer = setTimeout(() => { done = true; this.bind(member, socket, remote, initial) }, wait)
    timer.unref?.()
    member.session.whenDisconnected().then(() => {
      if (done) return
      clearTimeout(timer)
      if (socket.destroyed) return
      this.bind(member, socket, remote, initial)
    }, () => {})
  }

  private find (id: LogonIdentity): ListenerMember | undefined {
    for (const m of this.members) {
      const s = m.session.settings
      if (s.beginString === id.beginString && s.senderCompID === id.target && s.targetCompID === id.sender) return m
    }
    return undefined
  }

  private logonTimeoutMs (): number {
    let ms = 0
    for (const m of this.members) ms = Math.max(ms, m.session.settings.logonTimeoutMs)
    return ms > 0 ? ms : DEFAULT_LOGON_TIMEOUT_MS
  }

  /** Tells every member, at most once per REPORT_MS: a peer cannot flood the logs before its Logon. */
  private report (text: string): void {
    const now = Date.now()
    if (now - this.lastReport < REPORT_MS) {
      this.unreported++
      return
    }
    const more = this.unreported > 0 ? ` (and ${this.unreported} more since the last report)` : ''
    this.unreported = 0
    this.lastReport = now
    for (const m of this.members) m.report(printable(text, 200) + more)
  }
}

const listeners = new Map<string, SharedListener>()
let unshared = 0

/**
 * The listener for an address and port, created on first use. An acceptor on port 0 (any free
 * port) gets a listener of its own, which others then find under the port it was given.
 */
export function listenerFor (address: ListenerAddress): SharedListener {
  const key = address.port === 0 ? `unshared:${++unshared}` : `${address.bindAddress}|${address.port}`
  let l = listeners.get(key)
  if (l === undefined) {
    const keys = [key]
    const created: SharedListener = new SharedListener(key, address, () => {
      for (const k of keys) if (listeners.get(k) === created) listeners.delete(k)
    }, port => {
      // The system gave this port to this listener: any entry left under it is gone.
      const real = `${address.bindAddress}|${port}`
      if (!keys.includes(real)) keys.push(real)
      listeners.set(real, created)
    })
    l = created
    listeners.set(key, l)
  }
  return l
}
