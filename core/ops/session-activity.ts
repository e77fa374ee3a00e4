import type { EventEmitter } from 'events'
import type { SessionEvent } from '../fix-session/application'
import type { SessionLog } from '../fix-session/session-log'
import { RateMeter } from '../client/metrics'

/**
 * What the operator console and the metrics know of one FIX session beyond its status: frames
 * in and out by MsgType, rejects, resends, logons, the last logon and logout with their reason,
 * and the counterparty's address. Fed by a SessionLog tap (every frame, admin ones too) and by
 * the runtime's events; plain counters, so a session pays one indexOf per frame.
 */
export interface SessionActivitySnapshot {
  inByType: Record<string, number>
  outByType: Record<string, number>
  rejectsSent: number
  rejectsReceived: number
  businessRejectsSent: number
  resendRequestsSent: number
  resends: number
  logons: number
  logouts: number
  lastLogon?: { at: string, resetSeqNum: boolean }
  lastLogout?: { at: string, text: string, initiatedBy: 'us' | 'peer' }
  lastDisconnect?: { at: string, reason: string }
  lastError?: { at: string, text: string }
  /** The peer's address of the current (or last) connection. */
  remote?: string
  lastMinute: { in: number, out: number, rejects: number }
}

/** MsgType (35) of a raw frame, SOH-delimited; '?' when absent. */
export function msgTypeOfRaw (raw: string): string {
  const at = raw.indexOf('\x0135=')
  if (at < 0) return '?'
  const end = raw.indexOf('\x01', at + 4)
  return raw.slice(at + 4, end < 0 ? raw.length : end)
}

const bump = (m: Map<string, number>, k: string): void => { m.set(k, (m.get(k) ?? 0) + 1) }

export class SessionActivity {
  private readonly inByType = new Map<string, number>()
  private readonly outByType = new Map<string, number>()
  private readonly minuteIn: RateMeter
  private readonly minuteOut: RateMeter
  private readonly minuteRejects: RateMeter
  private c = {
    rejectsSent: 0,
    rejectsReceived: 0,
    businessRejectsSent: 0,
    resendRequestsSent: 0,
    resends: 0,
    logons: 0,
    logouts: 0
  }

  private last: Pick<SessionActivitySnapshot, 'lastLogon' | 'lastLogout' | 'lastDisconnect' | 'lastError' | 'remote'> =
    {}

  private loggedOut = false
  private reason: string | undefined
  private listening: { source: EventEmitter, listener: (e: SessionEvent) => void } | undefined

  constructor (private readonly now: () => number = Date.now) {
    this.minuteIn = new RateMeter(60, now())
    this.minuteOut = new RateMeter(60, now())
    this.minuteRejects = new RateMeter(60, now())
  }

  /** Wraps a session's log so every frame is counted, then passed on unchanged. */
  tap (log: SessionLog): SessionLog {
    return {
      incoming: raw => { this.frame('in', raw); log.incoming(raw) },
      outgoing: raw => { this.frame('out', raw); log.outgoing(raw) },
      event: text => log.event(text)
    }
  }

  /** Follows a runtime's 'event's (and stops following the previous runtime's). */
  follow (runtime: EventEmitter): void {
    if (this.listening !== undefined) this.listening.source.off('event', this.listening.listener)
    const listener = (e: SessionEvent): void => this.event(e)
    runtime.on('event', listener)
    this.listening = { source: runtime, listener }
  }

  /** The reason an operator gave for the Logout about to happen (shown with the next Logout of ours). */
  expectLogout (reason: string): void {
    this.reason = reason
  }

  frame (direction: 'in' | 'out', raw: string): void {
    const now = this.now()
    if (direction === 'in') {
      bump(this.inByType, msgTypeOfRaw(raw))
      this.minuteIn.add(1, now)
    } else {
      bump(this.outByType, msgTypeOfRaw(raw))
      this.minuteOut.add(1, now)
    }
  }

  event (e: SessionEvent): void {
    const at = new Date(this.now()).toISOString()
    switch (e.type) {
      case 'connected': this.last.remote = e.remote; break
      case 'disconnected': this.last.lastDisconnect = { at, reason: e.reason }; break
      case 'logon':
        this.loggedOut = false
        this.c.logons++
        this.last.lastLogon = { at, resetSeqNum: e.resetSeqNum }
        break
      case 'logout':
        // Our Logout is told twice: when sent (with the reason) and when the peer confirms it.
        if (
          e.initiatedBy === 'us' &&
          e.text === 'logout confirmed' &&
          this.last.lastLogout?.initiatedBy === 'us' &&
          this.loggedOut
        ) { break }
        this.loggedOut = true
        this.c.logouts++
        // The engine reports our own Logout as 'logout confirmed': the operator's reason says more.
        this.last.lastLogout = {
          at,
          text: e.initiatedBy === 'us' && this.reason !== undefined ? `${this.reason} (${e.text})` : e.text,
          initiatedBy: e.initiatedBy
        }
        this.reason = undefined
        break
      case 'logon-refused': this.last.lastLogout = { at, text: e.text, initiatedBy: 'peer' }; break
      case 'reject-sent': this.c.rejectsSent++; this.minuteRejects.add(1, this.now()); break
      case 'business-reject-sent': this.c.businessRejectsSent++; this.minuteRejects.add(1, this.now()); break
      case 'reject-received': this.c.rejectsReceived++; this.minuteRejects.add(1, this.now()); break
      case 'resend-request-sent': this.c.resendRequestsSent++; break
      case 'resend': this.c.resends++; break
      case 'error': this.last.lastError = { at, text: e.text }; break
      default: break
    }
  }

  snapshot (): SessionActivitySnapshot {
    const now = this.now()
    return {
      inByType: Object.fromEntries(this.inByType),
      outByType: Object.fromEntries(this.outByType),
      ...this.c,
      ...this.last,
      lastMinute: {
        in: Math.round(this.minuteIn.rate(now) * 60),
        out: Math.round(this.minuteOut.rate(now) * 60),
        rejects: Math.round(this.minuteRejects.rate(now) * 60)
      }
    }
  }
}

const KEY = Symbol.for('node-red-contrib-fix-streamers.operator-console')

/**
 * The process-wide registry the nodes report into with one-line calls, and the operator console
 * reads. Keyed by the Node-RED id of the fix-session config node: a redeployed session keeps its
 * counters (Prometheus counters must not go backwards while the process lives). On globalThis so
 * the nodes and the plugin share it even if their modules were loaded twice.
 */
export class OpsRegistry {
  private readonly sessions = new Map<string, SessionActivity>()

  static get (): OpsRegistry {
    const g = globalThis as unknown as Record<symbol, OpsRegistry | undefined>
    g[KEY] ??= new OpsRegistry()
    return g[KEY]
  }

  session (id: string): SessionActivity {
    let a = this.sessions.get(id)
    if (a === undefined) {
      a = new SessionActivity()
      this.sessions.set(id, a)
    }
    return a
  }

  /** The session's activity, if it ever started. */
  findSession (id: string): SessionActivity | undefined {
    return this.sessions.get(id)
  }

  /** For the fix-session node: counts every frame of `log`. */
  tapSessionLog (id: string, log: SessionLog): SessionLog {
    return this.session(id).tap(log)
  }

  /** For the fix-session node: follows the events of its (new) runtime. */
  followSession (id: string, runtime: EventEmitter): void {
    this.session(id).follow(runtime)
  }
}
