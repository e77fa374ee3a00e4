/**
 * The second target of the conformance suite: a scenario against `Session` alone, with no socket
 * and no timer. The counterparty's bytes are framed (the engine's FrameSplitter, as a Connection
 * does) and given to `Session.next` at a scripted clock; the time moves only when a step waits
 * for something, in the Connection's tick steps, each followed by `Session.tick`. What the session
 * writes through its Responder is compared with the same expected bytes as over TCP (compare.ts).
 * A case runs in milliseconds: waiting 30 s for a Heartbeat costs nothing.
 *
 * The acceptor's listener is stood in for by its own rule (a connection goes to the session its
 * first frame, a valid Logon, names, and is closed when there is none or it is connected), and
 * the initiator's by connecting the session when the script accepts.
 */
import { FrameSplitter } from '../../core/fix/codec'
import {
  DatabaseMessageStore,
  logonIdentity,
  Responder,
  Session,
  SessionEvent,
  validateAndWrite
} from '../../core/fix-session'
import { difference } from './compare'
import { framingProblems, noLeftovers, ScenarioFailure } from './runner'
import type { Ctx, Scenario, Step } from './script'
import { codecFor, echoApplication, STALE_SEQUENCE, Store, Target, TargetOptions, targetSettings } from './target'
import { fieldsOf, fill, frame, FrameReader, rawFrame, show, Vars } from './wire'

/** The Connection's tick period (connection.ts): the scripted clock moves in these steps. */
const TICK_MS = 250
/** Rounds of "wait for the session's queue" before a step gives up on the session settling. */
const MAX_SETTLE_ROUNDS = 10_000

/** One scripted connection: the Responder the session writes to, and the script's end of it. */
class Pipe implements Responder {
  session: Session | undefined
  /** Frames the session wrote that no step has taken yet. */
  readonly frames: Buffer[] = []
  readonly reader = new FrameReader()
  /** Either side closed it. */
  closed = false
  /** The script closed it (the session may still be working through what it sent). */
  closing = false
  readonly splitter: FrameSplitter

  constructor (readonly id: number, private readonly transcript: string[]) {
    this.splitter = new FrameSplitter({ onGarbled: (bytes, reason) => this.session?.garbled(reason, bytes) })
  }

  get writable (): boolean {
    return !this.closed
  }

  write (bytes: Buffer): void {
    if (this.closed) return
    for (const f of this.reader.push(bytes)) {
      this.transcript.push(`${this.id} << ${show(f)}`)
      this.frames.push(f)
    }
  }

  disconnect (): void {
    if (!this.closed) this.transcript.push(`${this.id} -- disconnected`)
    this.closed = true
  }

  async drained (): Promise<boolean> {
    return true
  }
}

export class SessionAloneRunner {
  readonly transcript: string[] = []
  /** What the sessions reported, for failure messages. */
  readonly log: string[] = []
  private clock = Date.now()
  private readonly sessions: Session[] = []
  private readonly pipes = new Map<number, Pipe>()

  constructor (readonly vars: Vars) {}

  /** Builds the session (and one more per `alsoServe` counterparty) as target.ts does, on the scripted clock. */
  async start (store: Store, o: TargetOptions): Promise<void> {
    const codec = await codecFor(o.version)
    const all = [o, ...(o.alsoServe ?? []).map((them, i) => ({ ...o, name: `${o.name}-${i + 2}`, targetCompID: them }))]
    for (const each of all) {
      const settings = targetSettings(each)
      const session: Session = new Session({
        settings,
        codec,
        store: new DatabaseMessageStore(store.db, store.schema, each.name),
        validator: validateAndWrite,
        now: () => new Date(this.clock),
        application: {
          fromApp: echoApplication(async req => await session.send(req), this.log),
          onEvent: (e: SessionEvent) => { if (e.type !== 'state') this.log.push(JSON.stringify(e)) }
        }
      })
      await session.start()
      if (o.profile === 'reset-on-logon') {
        await session.setNextSequence(STALE_SEQUENCE.nextSenderSeq, STALE_SEQUENCE.nextTargetSeq)
      }
      this.sessions.push(session)
    }
  }

  async run (scenario: Scenario, ctx: Ctx): Promise<void> {
    const steps = scenario.steps(ctx)
    for (const [i, step] of steps.entries()) await this.step(i + 1, step)
    for (const [n, c] of this.pipes) noLeftovers(steps.length + 1, 'end of script', n, c)
  }

  /** Closes what is still connected (the script's side), then stops the sessions. */
  async stop (): Promise<void> {
    for (const c of this.pipes.values()) this.closeByScript(c)
    await this.settle()
    for (const s of this.sessions) await s.stop().catch(() => {})
  }

  private get target (): Target {
    const main = this.sessions[0]
    return {
      port: 0,
      log: this.log,
      sendApp: async (msgType, body) => { await main.send({ msgType, rawBody: body.replace(/\|/g, '\x01') }) },
      logout: async text => await main.logout(text),
      stop: async () => await this.stop()
    }
  }

  private async step (n: number, s: Step): Promise<void> {
    switch (s.kind) {
      case 'connect':
        this.adopt(s.conn)
        return
      case 'accept': {
        const session = this.sessions[0]
        const c = this.adopt(s.conn)
        c.session = session
        if (!session.connect(c, 'script', this.clock)) {
          throw new ScenarioFailure(n, 'the engine connects', 'the session took no connection')
        }
        await this.settle()
        return
      }
      case 'send': {
        const c = this.pipe(n, s.conn)
        const text = fill(s.text, this.vars, new Date(this.clock))
        const bytes = s.raw ? rawFrame(text) : frame(text, this.vars.BS)
        this.transcript.push(`${s.conn} >> ${show(bytes)}`)
        if (!c.closed) await this.deliver(c, bytes)
        return
      }
      case 'expect': {
        const c = this.pipe(n, s.conn)
        const want = fill(s.text, this.vars, new Date(this.clock))
        await this.advance(s.within, () => c.frames.length > 0 || c.closed)
        const got = c.frames.shift()
        framingProblems(n, c)
        if (got === undefined) {
          throw new ScenarioFailure(
            n,
            `expect ${want}`,
            c.closed ? 'the engine disconnected instead' : `nothing received within ${s.within} ms`
          )
        }
        const diff = difference(fieldsOf(got.toString('latin1')), want, this.vars, this.clock)
        if (diff !== undefined) throw new ScenarioFailure(n, `expect ${want}`, `${diff}; received ${show(got)}`)
        return
      }
      case 'expectDisconnect': {
        const c = this.pipe(n, s.conn)
        const end = this.clock + s.within
        for (;;) {
          await this.advance(Math.max(0, end - this.clock), () => c.closed || c.frames.length > 0)
          const type =
            c.frames.length > 0 ? /\x0135=([^\x01]*)\x01/.exec(c.frames[0].toString('latin1'))?.[1] : undefined
          if (type === undefined || !s.allow.includes(type)) break
          c.frames.shift()
        }
        noLeftovers(n, 'expect disconnect', s.conn, c)
        if (!c.closed) throw new ScenarioFailure(n, 'expect disconnect', `still connected after ${s.within} ms`)
        return
      }
      case 'expectNothing': {
        const c = this.pipe(n, s.conn)
        await this.advance(s.ms, () => c.frames.length > 0 || c.closed)
        noLeftovers(n, `expect nothing for ${s.ms} ms`, s.conn, c)
        if (c.closed) throw new ScenarioFailure(n, `expect nothing for ${s.ms} ms`, 'the engine disconnected')
        return
      }
      case 'wait':
        await this.advance(s.ms)
        return
      case 'close':
        this.closeByScript(this.pipe(n, s.conn))
        await this.settle()
        return
      case 'app':
        try {
          await s.run(this.target, text => fill(text, this.vars, new Date(this.clock)))
        } catch (err) {
          throw new ScenarioFailure(n, `application: ${s.what}`, (err as Error).message)
        }
        await this.settle()
    }
  }

  /** A new scripted connection under `id` (one already under it is closed, as the TCP runner does). */
  private adopt (id: number): Pipe {
    const old = this.pipes.get(id)
    if (old !== undefined) this.closeByScript(old)
    const c = new Pipe(id, this.transcript)
    this.pipes.set(id, c)
    return c
  }

  /**
   * The script's bytes on `c`, framed and given to its session in order. Before the Logon binds
   * it, the listener's rule: the first frame must be a valid Logon naming a session that has no
   * connection; otherwise the connection is closed.
   */
  private async deliver (c: Pipe, bytes: Buffer): Promise<void> {
    let frames: Buffer[]
    try {
      frames = c.splitter.push(bytes)
    } catch (err) {
      c.session?.garbled((err as Error).message)
      c.splitter.reset()
      return
    }
    if (frames.length === 0) return
    if (c.session === undefined) {
      const id = logonIdentity(frames[0])
      const s = id === undefined
        ? undefined
        : this.sessions.find(x => x.settings.beginString === id.beginString &&
          x.settings.senderCompID === id.target && x.settings.targetCompID === id.sender)
      if (s === undefined || !s.connect(c, 'script', this.clock)) return c.disconnect()
      c.session = s
    }
    const session = c.session
    const worked = frames.map(async f => await session.next(f, this.clock))
    await this.settle()
    await Promise.all(worked)
  }

  private closeByScript (c: Pipe): void {
    if (c.closed) return
    c.closing = true
    c.closed = true
    c.session?.closed(c)
  }

  /** Lets every session finish what it has queued (commits included); the clock does not move. */
  private async settle (): Promise<void> {
    for (let i = 0; i < MAX_SETTLE_ROUNDS; i++) {
      for (const s of this.sessions) await s.idle()
      await new Promise(resolve => setImmediate(resolve))
      if (this.sessions.every(s => !s.busy)) return
    }
    throw new Error('the session never settled')
  }

  /** Moves the clock up to `ms` in tick steps (each followed by a tick and a settle) until `done`. */
  private async advance (ms: number, done: () => boolean = () => false): Promise<void> {
    const end = this.clock + ms
    await this.settle()
    while (!done() && this.clock < end) {
      this.clock = Math.min(end, this.clock + TICK_MS)
      for (const s of this.sessions) s.tick(this.clock)
      await this.settle()
    }
  }

  private pipe (n: number, id: number): Pipe {
    const c = this.pipes.get(id)
    if (c === undefined) throw new Error(`script error at step ${n}: connection ${id} was never opened`)
    return c
  }
}
