/**
 * Runs one scenario against one target over TCP on 127.0.0.1: the script is the initiator
 * (it connects to the target acceptor) or the acceptor (it listens and the target initiator
 * connects). Every frame the engine sends is queued per connection; `expect` takes the next one
 * and compares it (compare.ts). Anything the engine sends that the script did not expect fails
 * the run at the next expectation, disconnect check or at the end.
 */
import * as net from 'net'
import { difference } from './compare'
import { Ctx, Scenario, Step } from './script'
import type { Target } from './target'
import { fieldsOf, fill, frame, FrameReader, rawFrame, show, Vars } from './wire'

export class ScenarioFailure extends Error {
  constructor (readonly step: number, readonly expectation: string, readonly detail: string) {
    super(`step ${step} (${expectation}): ${detail}`)
    this.name = 'ScenarioFailure'
  }
}

interface Connection {
  socket: net.Socket
  reader: FrameReader
  frames: Buffer[]
  closed: boolean
  wake: () => void
}

const POLL_MS = 10

/** What a runner heard on one connection: the target's frames no step has taken yet, and its framing. */
export interface Heard {
  reader: FrameReader
  frames: Buffer[]
}

/** Fails step `n` if the target wrote anything that did not frame. */
export function framingProblems (n: number, c: Heard): void {
  if (c.reader.problems.length > 0) throw new ScenarioFailure(n, 'well-formed frames', c.reader.problems[0])
}

/** Fails step `n` (`what`) if connection `id` holds a frame no step took, or one that did not frame. */
export function noLeftovers (n: number, what: string, id: number, c: Heard): void {
  framingProblems(n, c)
  if (c.frames.length > 0) {
    throw new ScenarioFailure(n, what, `unexpected frame on connection ${id}: ${show(c.frames[0])}`)
  }
}

export class ScriptRunner {
  private readonly conns = new Map<number, Connection>()
  private server: net.Server | undefined
  private readonly pendingAccepts: net.Socket[] = []
  /** What happened, for the failure message: sent and received frames, in order. */
  readonly transcript: string[] = []

  constructor (readonly vars: Vars, private readonly targetPort: () => number) {}

  /** Script as acceptor: listen first (the target initiator needs the port). */
  async listen (): Promise<number> {
    const server = net.createServer(s => this.pendingAccepts.push(s))
    this.server = server
    return await new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port))
    })
  }

  async run (scenario: Scenario, ctx: Ctx, target: Target): Promise<void> {
    const steps = scenario.steps(ctx)
    for (const [i, step] of steps.entries()) {
      await this.step(i + 1, step, target)
    }
    // Nothing may be left over: a frame nobody expected is a difference too.
    for (const [n, c] of this.conns) noLeftovers(steps.length + 1, 'end of script', n, c)
  }

  async close (): Promise<void> {
    for (const c of this.conns.values()) c.socket.destroy()
    for (const s of this.pendingAccepts) s.destroy()
    const server = this.server
    if (server !== undefined) await new Promise<void>(resolve => server.close(() => resolve()))
  }

  private async step (n: number, s: Step, target: Target): Promise<void> {
    switch (s.kind) {
      case 'connect': {
        const socket = await new Promise<net.Socket>((resolve, reject) => {
          const sock = net.connect({ host: '127.0.0.1', port: this.targetPort() }, () => resolve(sock))
          sock.once('error', reject)
        })
        this.adopt(s.conn, socket)
        return
      }
      case 'accept': {
        const socket = await this.until(() => this.pendingAccepts.shift(), s.within)
        if (socket === undefined) {
          throw new ScenarioFailure(n, 'the engine connects', `no connection within ${s.within} ms`)
        }
        this.adopt(s.conn, socket)
        return
      }
      case 'send': {
        const c = this.conn(n, s.conn)
        const text = fill(s.text, this.vars)
        const bytes = s.raw ? rawFrame(text) : frame(text, this.vars.BS)
        this.transcript.push(`${s.conn} >> ${show(bytes)}`)
        if (!c.closed) c.socket.write(bytes)
        return
      }
      case 'expect': {
        const c = this.conn(n, s.conn)
        const want = fill(s.text, this.vars)
        const got = await this.until(() => c.frames.shift(), s.within, c)
        framingProblems(n, c)
        if (got === undefined) {
          throw new ScenarioFailure(
            n,
            `expect ${want}`,
            c.closed ? 'the engine disconnected instead' : `nothing received within ${s.within} ms`
          )
        }
        const diff = difference(fieldsOf(got.toString('latin1')), want, this.vars)
        if (diff !== undefined) throw new ScenarioFailure(n, `expect ${want}`, `${diff}; received ${show(got)}`)
        return
      }
      case 'expectDisconnect': {
        const c = this.conn(n, s.conn)
        const end = Date.now() + s.within
        for (;;) {
          await this.until(() => c.closed || c.frames.length > 0 ? true : undefined, Math.max(0, end - Date.now()), c)
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
        const c = this.conn(n, s.conn)
        await this.until(() => c.frames.length > 0 || c.closed ? true : undefined, s.ms, c)
        noLeftovers(n, `expect nothing for ${s.ms} ms`, s.conn, c)
        if (c.closed) throw new ScenarioFailure(n, `expect nothing for ${s.ms} ms`, 'the engine disconnected')
        return
      }
      case 'wait':
        await new Promise(resolve => setTimeout(resolve, s.ms))
        return
      case 'close': {
        const c = this.conn(n, s.conn)
        c.socket.destroy()
        c.closed = true
        return
      }
      case 'app':
        try {
          await s.run(target, text => fill(text, this.vars))
        } catch (err) {
          throw new ScenarioFailure(n, `application: ${s.what}`, (err as Error).message)
        }
    }
  }

  private adopt (id: number, socket: net.Socket): void {
    const c: Connection = { socket, reader: new FrameReader(), frames: [], closed: false, wake: () => {} }
    socket.on('data', (chunk: Buffer) => {
      for (const f of c.reader.push(chunk)) {
        this.transcript.push(`${id} << ${show(f)}`)
        c.frames.push(f)
      }
      c.wake()
    })
    const gone = (): void => {
      if (!c.closed) this.transcript.push(`${id} -- disconnected`)
      c.closed = true
      c.wake()
    }
    socket.on('end', gone)
    socket.on('close', gone)
    socket.on('error', gone)
    this.conns.get(id)?.socket.destroy()
    this.conns.set(id, c)
  }

  private conn (n: number, id: number): Connection {
    const c = this.conns.get(id)
    if (c === undefined) throw new Error(`script error at step ${n}: connection ${id} was never opened`)
    return c
  }

  /** Polls `check` until it returns something or `ms` pass (also wakes on socket activity). */
  private async until<T> (check: () => T | undefined, ms: number, c?: Connection): Promise<T | undefined> {
    const end = Date.now() + ms
    for (;;) {
      const v = check()
      if (v !== undefined) return v
      const left = end - Date.now()
      if (left <= 0) return undefined
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, Math.min(left, POLL_MS * 10))
        if (c !== undefined) c.wake = () => { clearTimeout(t); resolve() }
      })
    }
  }
}
