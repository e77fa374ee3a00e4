/** Helpers for FIX session tests: free ports, pack sessions wired to a database, a raw FIX peer. */
import * as net from 'net'
import { Database } from '../../../core'
import { FixCodec, FrameSplitter } from '../../../core/fix/codec'
import {
  formatUtc,
  InboundMessage,
  scanFields,
  SessionEvent,
  SessionRuntime,
  SessionRuntimeOptions,
  SessionSettings,
  SOH
} from '../../../core/fix-session'
import { eventually } from '../../support/databases'
import type { FixFixture } from '../../support/fix-fixture'

export { freePort } from '../../support/ports'
export { er, nos } from '../../support/fix-messages'

export interface Recorded {
  runtime: SessionRuntime
  messages: InboundMessage[]
  events: SessionEvent[]
  statuses: string[]
  has: (type: string, pred?: (e: any) => boolean) => boolean
  waitEvent: (type: string, pred?: (e: any) => boolean, ms?: number) => Promise<any>
}

export function record (runtime: SessionRuntime): Recorded {
  const r: Recorded = {
    runtime,
    messages: [],
    events: [],
    statuses: [],
    has: (type, pred) => r.events.some(e => e.type === type && (pred === undefined || pred(e))),
    waitEvent: async (type, pred, ms = 10000) =>
      await eventually(
        () => r.events.find(e => e.type === type && (pred === undefined || pred(e))),
        ms,
        `event ${type}`
      )
  }
  runtime.on('message', m => r.messages.push(m))
  runtime.on('event', e => r.events.push(e))
  runtime.on('status', t => r.statuses.push(t))
  return r
}

export interface PairOptions {
  db: Database
  schema: string
  codec: FixCodec
  port?: number
  acceptor?: Partial<SessionSettings>
  initiator?: Partial<SessionSettings>
  acceptorRuntime?: Partial<SessionRuntimeOptions>
  initiatorRuntime?: Partial<SessionRuntimeOptions>
  tag?: string
}

export function settings (
  role: 'initiator' | 'acceptor',
  tag: string,
  over: Partial<SessionSettings> = {}
): SessionSettings {
  const [me, them] = role === 'initiator' ? [`CLI${tag}`, `BRK${tag}`] : [`BRK${tag}`, `CLI${tag}`]
  return { role, beginString: 'FIX.4.4', senderCompID: me, targetCompID: them, heartBtInt: 30, ...over }
}

export function acceptorRuntime (o: PairOptions, port: number): SessionRuntime {
  return new SessionRuntime({
    settings: settings('acceptor', o.tag ?? '', o.acceptor),
    bindAddress: '127.0.0.1',
    port,
    db: o.db,
    schema: o.schema,
    codec: o.codec,
    makeFrameReader: onGarbled => new FrameSplitter({ onGarbled }),
    ...o.acceptorRuntime
  })
}

export function initiatorRuntime (o: PairOptions, port: number): SessionRuntime {
  return new SessionRuntime({
    settings: settings('initiator', o.tag ?? '', o.initiator),
    host: '127.0.0.1',
    port,
    backoffInitialMs: 100,
    backoffMaxMs: 500,
    db: o.db,
    schema: o.schema,
    codec: o.codec,
    makeFrameReader: onGarbled => new FrameSplitter({ onGarbled }),
    ...o.initiatorRuntime
  })
}

let tagCounter = 0
export function uniqueTag (): string {
  return `${process.pid % 1000}X${++tagCounter}`
}

/**
 * A FIX counterparty written by hand on a raw socket: frames whatever it is told with the codec
 * (or sends bytes as given), and records every frame it receives. It keeps its own sequence
 * numbers so tests can make gaps, repeats and resets on purpose.
 */
export class RawPeer {
  readonly received: Array<{
    raw: string, fields: Array<[number, string]>, get: (t: number) => string | undefined
  }> = []

  nextSeq = 1
  closed = false
  private splitter = new FrameSplitter()
  constructor (
    readonly socket: net.Socket,
    readonly codec: FixCodec,
    readonly me: string,
    readonly them: string,
    readonly beginString = 'FIX.4.4'
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.splitter.push(chunk)) {
        const raw = f.toString('latin1')
        const fields = scanFields(raw) ?? []
        this.received.push({ raw, fields, get: (t: number) => fields.find(x => x[0] === t)?.[1] })
      }
    })
    socket.on('close', () => { this.closed = true })
    socket.on('error', () => {})
  }

  static async connect (
    port: number,
    codec: FixCodec,
    me: string,
    them: string,
    beginString = 'FIX.4.4'
  ): Promise<RawPeer> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s))
      s.once('error', reject)
    })
    return new RawPeer(socket, codec, me, them, beginString)
  }

  /** Frames and sends a message; `seq` defaults to the next number (which then advances). */
  send (
    msgType: string, body: string,
    o: { seq?: number, possDup?: boolean, orig?: Date, sendingTime?: Date, sender?: string, target?: string } = {}
  ): number {
    const seq = o.seq ?? this.nextSeq++
    if (o.seq !== undefined && o.seq >= this.nextSeq) this.nextSeq = o.seq + 1
    const frame = this.codec.frame(msgType, {
      BeginString: this.beginString,
      SenderCompID: o.sender ?? this.me,
      TargetCompID: o.target ?? this.them,
      MsgSeqNum: seq,
      SendingTime: o.sendingTime ?? new Date(),
      PossDupFlag: o.possDup,
      OrigSendingTime: o.orig
    }, body)
    this.socket.write(frame)
    return seq
  }

  sendBody (
    msgType: string, obj: Record<string, unknown>, o: { seq?: number, possDup?: boolean, orig?: Date } = {}
  ): number {
    return this.send(msgType, this.codec.encodeBody(msgType, obj), o)
  }

  /** Sends text as is ('|' becomes SOH), after fixing up nothing: for malformed frames. */
  sendRaw (text: string | Buffer): void {
    this.socket.write(typeof text === 'string' ? Buffer.from(text.replace(/\|/g, SOH), 'latin1') : text)
  }

  logon (o: { heartBtInt?: number, reset?: boolean, seq?: number, extra?: string } = {}): number {
    return this.send(
      'A',
      `98=0${SOH}108=${o.heartBtInt ?? 30}${SOH}${o.reset === true ? `141=Y${SOH}` : ''}${o.extra ?? ''}`,
      { seq: o.seq }
    )
  }

  ofType (msgType: string): Array<RawPeer['received'][number]> {
    return this.received.filter(m => m.get(35) === msgType)
  }

  async waitFor (
    msgType: string,
    pred: (m: RawPeer['received'][number]) => boolean = () => true,
    ms = 10000
  ): Promise<RawPeer['received'][number]> {
    const found = await eventually(
      () => this.received.find(m => m.get(35) === msgType && pred(m)),
      ms,
      `message ${msgType} at the raw peer`
    )
    return found!
  }

  close (): void {
    this.socket.destroy()
  }
}

/** Builds a frame from '|'-text with a correct BodyLength and CheckSum (then tests can spoil one part). */
export function frameText (text: string): string {
  const body = text.replace(/\|/g, SOH)
  const head = `8=FIX.4.4${SOH}9=${Buffer.byteLength(body, 'latin1')}${SOH}`
  const without = head + body
  let sum = 0
  for (const b of Buffer.from(without, 'latin1')) sum += b
  return `${without}10=${String(sum % 256).padStart(3, '0')}${SOH}`
}

export const now = (): string => formatUtc(new Date())

/**
 * An acceptor (with `acceptor` settings over the defaults) started on a free port, and a raw peer
 * logged on to it; both are stopped by the fixture after the test. `tag` names the session's
 * CompIDs (CLI<tag>, BRK<tag>).
 */
export async function loggedOnPeer (
  f: FixFixture,
  acceptor: Partial<SessionSettings> = {},
  logon: Parameters<RawPeer['logon']>[0] = {}
): Promise<{ acc: Recorded, peer: RawPeer, tag: string, rt: SessionRuntime }> {
  const tag = uniqueTag()
  const rt = acceptorRuntime({ db: f.db, schema: f.schema, codec: f.codec, tag, acceptor }, 0)
  f.running.push(rt)
  const acc = record(rt)
  await rt.start()
  const peer = await RawPeer.connect(rt.port!, f.codec, `CLI${tag}`, `BRK${tag}`)
  f.peers.push(peer)
  peer.logon(logon)
  await peer.waitFor('A')
  return { acc, peer, tag, rt }
}
