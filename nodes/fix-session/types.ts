import type { Node, NodeDef } from 'node-red'
import type {
  ControlCommand,
  InboundMessage,
  SendRequest,
  SendResult,
  SessionEvent,
  SessionPhase
} from '../../core/fix-session'

export interface FixSessionDef extends NodeDef {
  role: 'initiator' | 'acceptor'
  host: string
  port: string | number
  bindAddress: string
  beginString: string
  defaultApplVerID: string
  dictionary: string
  senderCompID: string
  targetCompID: string
  senderSubID: string
  targetSubID: string
  senderLocationID: string
  targetLocationID: string
  heartBtInt: string | number
  resetPolicy: 'never' | 'logon' | 'logout' | 'disconnect' | 'daily'
  resetTime: string
  scheduled: boolean
  startTime: string
  endTime: string
  timeZone: string
  weekdays: string
  backoffInitial: string | number
  backoffMax: string | number
  usetls: boolean
  tls: string
  requestCert: boolean
  /** Acceptor: also send our 553/554 in the Logon answer (absent in flows saved before: false). */
  replyWithCredentials?: boolean
  sessionName: string
  /** Application message types taken in (names or codes, comma-separated); empty: all. */
  receiveMsgTypes?: string
  /** Write the decoded message to fix_in.message (default true: flows saved before it existed). */
  storeDecoded?: boolean
  /** Longest inbound field value in bytes (absent or empty, as in flows saved before it existed: 1048576). */
  maxFieldLength?: string | number
  /** Optional folder for the message and event log files; relative to the user directory. */
  logDirectory?: string
  /** Several instances (core/ha): the instance this session runs on while it is up; empty: none. */
  preferredInstance?: string
  database: string
}

export interface FixSessionCredentials {
  username?: string
  password?: string
  expectUsername?: string
  expectPassword?: string
}

export interface FixSessionStatus {
  phase: SessionPhase | 'starting' | 'error'
  nextSenderSeq: number
  nextTargetSeq: number
  text?: string
}

export interface FixSessionUser {
  onMessage?: (m: InboundMessage) => void
  onEvent?: (e: SessionEvent) => void
  onStatus?: (s: FixSessionStatus) => void
}

/** What the fix-gateway node (or any other node) gets from a `fix-session` config node. */
export interface FixSessionNode extends Node<FixSessionCredentials> {
  /** Adds a user; the session starts with its first user. */
  register: (user: Node, handlers: FixSessionUser) => void
  /**
   * Removes a user, from its close: the last user to leave, removed or redeployed, logs the
   * session out and stops it, and `done` is called once it has (so the Logout is stored while the
   * database is still open).
   */
  deregister: (user: Node, done: (err?: Error) => void, removed?: boolean) => void
  /** Sends one application message (journaled before it is written; exactly once per origin). */
  sendFix: (req: SendRequest) => Promise<SendResult>
  control: (c: ControlCommand) => Promise<void>
  /** Maps a message name ('NewOrderSingle') or code ('D') to its MsgType code; undefined when unknown. */
  msgTypeOf: (nameOrCode: string) => Promise<string | undefined>
  readonly currentStatus: FixSessionStatus
  /** The session's key in the database (fix_in.session_name, fix_out.session_name). */
  readonly sessionKey: string
}
