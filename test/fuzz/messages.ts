/**
 * The valid frames a logged-on counterparty sends, before the fuzzer mutates them: orders, news
 * (with a repeating group), security definitions, heartbeats, test requests, gap fills, short
 * resend requests and rejects, in the proportions a busy session has. A message is a list of
 * [tag, value] pairs of text, so a mutation can make a tag anything at all; framing (8, 9, 10)
 * is added when it is written (mutator.ts).
 */
import { utc } from '../conformance/wire'
import type { Random } from './random'

export type Field = [string, string]

export interface Draft {
  /** Everything after BodyLength and before CheckSum, in order (35 first). */
  fields: Field[]
  beginString: string
  /** Written as given instead of the computed value; null leaves the field out. */
  bodyLength?: string | null
  checkSum?: string | null
}

export interface Identity {
  beginString: string
  /** The fuzzer's CompID (49 of what it sends) and the engine's (56). */
  sender: string
  target: string
  /** Extra Logon fields (FIXT: 1137=9). */
  logonExtra: Field[]
}

/** The standard header of the counterparty's message `seq`. */
export function header (id: Identity, msgType: string, seq: number, now: Date): Field[] {
  return [['35', msgType], ['49', id.sender], ['56', id.target], ['34', String(seq)], ['52', utc(now)]]
}

export function draft (id: Identity, msgType: string, seq: number, now: Date, body: Field[]): Draft {
  return { fields: [...header(id, msgType, seq, now), ...body], beginString: id.beginString }
}

export function logon (id: Identity, seq: number, now: Date, heartBtInt: number, reset: boolean): Draft {
  const body: Field[] = [['98', '0'], ['108', String(heartBtInt)]]
  if (reset) body.push(['141', 'Y'])
  return draft(id, 'A', seq, now, [...body, ...id.logonExtra])
}

export type Kind = 'order' | 'news' | 'securityDefinition' | 'heartbeat' | 'testRequest' | 'gapFill' |
  'resendRequest' | 'reject' | 'resetLogon'

/** How often each kind is the base of a frame (a reset Logon restarts both sequences: rare). */
export const KIND_WEIGHTS: Record<Kind, number> = {
  order: 50,
  news: 12,
  securityDefinition: 8,
  heartbeat: 10,
  testRequest: 6,
  gapFill: 5,
  resendRequest: 4,
  reject: 3,
  resetLogon: 0.05
}

export interface BaseContext {
  id: Identity
  seq: number
  now: Date
  /** The engine's next sequence number as last seen (a resend request asks for a few recent ones). */
  engineNext: number
  /** A unique number for ClOrdID, TestReqID and the like. */
  serial: number
  heartBtInt: number
}

/** A valid message of `kind` with MsgSeqNum `c.seq` (a reset Logon always carries 34=1). */
export function baseMessage (r: Random, kind: Kind, c: BaseContext): Draft {
  const { id, seq, now } = c
  switch (kind) {
    case 'order':
      return draft(id, 'D', seq, now, [
        ['11', `F${c.serial}`], ['21', '1'], ['55', r.pick(['INTC', 'MSFT', 'VOD.L'])], ['54', r.pick(['1', '2'])],
        ['60', utc(now)], ['38', String(r.int(1, 10000))], ['40', '2'], ['44', `${r.int(1, 999)}.${r.int(0, 99)}`]
      ])
    case 'news': {
      const lines = r.int(1, 3)
      const body: Field[] = [['148', `Headline ${c.serial}`], ['33', String(lines)]]
      for (let i = 0; i < lines; i++) body.push(['58', `line ${i + 1} of ${c.serial}`])
      return draft(id, 'B', seq, now, body)
    }
    case 'securityDefinition':
      return draft(id, 'd', seq, now, id.beginString === 'FIX.4.2'
        ? [['320', `REQ${c.serial}`], ['322', `RESP${c.serial}`], ['323', '1'], ['393', '0'], ['55', 'TBS'],
            ['167', 'CS'], ['146', '0']]
        : [['320', `REQ${c.serial}`], ['322', `RESP${c.serial}`], ['323', '1'], ['55', 'TBS'], ['454', '0'],
            ['167', 'CS']])
    case 'heartbeat':
      return draft(id, '0', seq, now, [])
    case 'testRequest':
      return draft(id, '1', seq, now, [['112', `T${c.serial}`]])
    case 'gapFill':
      // A gap fill over nothing but itself: in sequence, it moves the engine on by one, like a heartbeat.
      return draft(id, '4', seq, now, [['123', 'Y'], ['36', String(seq + 1)]])
    case 'resendRequest':
      return draft(id, '2', seq, now, [['7', String(Math.max(1, c.engineNext - r.int(1, 4)))], ['16', '0']])
    case 'reject':
      return draft(id, '3', seq, now, [['45', String(Math.max(1, c.engineNext - 1))], ['58', 'fuzz']])
    case 'resetLogon':
      return logon(id, 1, now, c.heartBtInt, true)
  }
}
