import { isAdmin } from './fields'
import { sessionName } from './session-name'
import { SessionSchedule, validateSchedule, parseTimeOfDay, validateTimeZone } from './schedule'

/**
 * When both sequence numbers start over at 1 (QuickFIX's ResetOnLogon, ResetOnLogout,
 * ResetOnDisconnect, and a daily session's start):
 * - never: only when the peer asks (Logon with 141=Y) or an operator resets;
 * - logon: an initiator sends 141=Y with every Logon; an acceptor resets at every Logon
 *   (it answers 141=Y only when the peer sent 141=Y);
 * - logout: after a completed Logout exchange; disconnect: after any end of a logged-on connection;
 * - daily: at resetTime (default: the schedule's start) in the session's time zone.
 */
export type ResetPolicy = 'never' | 'logon' | 'logout' | 'disconnect' | 'daily'

export interface SessionSettings {
  /** Key of the session's state in the store; default `BeginString:Sender->Target`. */
  name?: string
  role: 'initiator' | 'acceptor'
  beginString: 'FIX.4.2' | 'FIX.4.4' | 'FIXT.1.1' | string
  /** FIXT.1.1 only: sent in the Logon (1137), e.g. '9' for FIX 5.0SP2. */
  defaultApplVerID?: string
  senderCompID: string
  targetCompID: string
  senderSubID?: string
  targetSubID?: string
  senderLocationID?: string
  targetLocationID?: string
  /** Seconds (108). */
  heartBtInt: number
  resetPolicy?: ResetPolicy
  /** 'HH:MM' in the schedule's time zone (or UTC) for resetPolicy 'daily'. */
  resetTime?: string
  resetTimeZone?: string
  schedule?: SessionSchedule
  /** Sent in our Logon (553/554). */
  username?: string
  password?: string
  /**
   * Acceptor: also send our Username/Password (553/554) in the Logon answer (default false: an
   * acceptor's own password never goes on the wire unless this is set).
   */
  replyWithCredentials?: boolean
  /** When set, the peer's Logon must carry exactly these (553/554). */
  expectUsername?: string
  expectPassword?: string
  /** Largest accepted difference between SendingTime and our clock (default 120000 ms). */
  maxClockSkewMs?: number
  /** How long to wait for the answer to our Logon or Logout (default 10000 / 2000 ms). */
  logonTimeoutMs?: number
  logoutTimeoutMs?: number
  /** Check inbound messages against the dictionary (default true). */
  validateInbound?: boolean
  /**
   * The application MsgTypes this session takes in (codes such as 'D', '8'); any other valid
   * application message is answered with a BusinessMessageReject (380=3, Unsupported Message Type)
   * and not written to fix_in. Undefined or empty: every application message is taken.
   */
  receiveMsgTypes?: string[]
  /**
   * Also write each inbound message decoded, as jsonb, to fix_in.message (default true), for SQL
   * such as `message->>'OrdStatus'`. Off, the column stays NULL and a message is decoded only if
   * the application reads its body: fix_in.raw always has the message.
   */
  storeDecoded?: boolean
  /**
   * The longest field value accepted inbound, in bytes, any type (default 1048576, the frame reader's
   * own limit, so flows saved before keep today's behaviour). A frame with a longer field is not
   * parsed: the session logs out (or, before Logon, disconnects) naming the tag. Checked on the raw
   * bytes before any parse or pattern runs. Below it, values are also capped by their dictionary
   * type (inbound-validation: integers 20, decimals 64, text 64 KiB characters; Reject 373=6).
   */
  maxFieldLength?: number
}

export class SettingsError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'SettingsError'
  }
}

/** The frame reader's own cap on a body (FrameSplitter's maxBodyLength default): the largest maxFieldLength. */
const MAX_BODY_LENGTH = 1024 * 1024

const BEGIN_STRINGS = ['FIX.4.0', 'FIX.4.1', 'FIX.4.2', 'FIX.4.3', 'FIX.4.4', 'FIXT.1.1']
const COMP_ID = /^[\x21-\x7e]{1,64}$/

/** Checks settings and fills defaults; throws SettingsError naming the first problem. */
export function normalizeSettings (s: SessionSettings): Required<Pick<SessionSettings, 'name' | 'resetPolicy' |
  'maxClockSkewMs' | 'logonTimeoutMs' | 'logoutTimeoutMs' | 'validateInbound' | 'storeDecoded' |
  'maxFieldLength'>> & SessionSettings {
  if (s.role !== 'initiator' && s.role !== 'acceptor') {
    throw new SettingsError(`role must be initiator or acceptor, not "${String(s.role)}"`)
  }
  if (!BEGIN_STRINGS.includes(s.beginString)) {
    throw new SettingsError(`BeginString "${String(s.beginString)}" is not one of ${BEGIN_STRINGS.join(', ')}`)
  }
  if (s.beginString === 'FIXT.1.1' && (s.defaultApplVerID === undefined || s.defaultApplVerID === '')) {
    throw new SettingsError('FIXT.1.1 needs a DefaultApplVerID (e.g. 9 for FIX 5.0SP2)')
  }
  for (const [what, v] of [['SenderCompID', s.senderCompID], ['TargetCompID', s.targetCompID]] as const) {
    if (typeof v !== 'string' || !COMP_ID.test(v)) {
      throw new SettingsError(`${what} must be 1-64 printable characters without spaces`)
    }
  }
  for (const [what, v] of [
    ['SenderSubID', s.senderSubID],
    ['TargetSubID', s.targetSubID],
    ['SenderLocationID', s.senderLocationID],
    ['TargetLocationID', s.targetLocationID]
  ] as const) {
    if (v !== undefined && v !== '' && !COMP_ID.test(v)) {
      throw new SettingsError(`${what} must be printable characters without spaces`)
    }
  }
  if (!Number.isInteger(s.heartBtInt) || s.heartBtInt < 1 || s.heartBtInt > 3600) {
    throw new SettingsError('HeartBtInt must be a whole number of seconds from 1 to 3600')
  }
  const resetPolicy = s.resetPolicy ?? 'never'
  if (!['never', 'logon', 'logout', 'disconnect', 'daily'].includes(resetPolicy)) {
    throw new SettingsError(`reset policy "${resetPolicy}" is not never, logon, logout, disconnect or daily`)
  }
  // A daily session starts its new sequence at the schedule's start unless a reset time is given.
  const resetTime =
    resetPolicy === 'daily'
      ? s.resetTime !== undefined && s.resetTime !== ''
        ? s.resetTime
        : s.schedule?.start
      : s.resetTime
  if (resetPolicy === 'daily') {
    if (resetTime === undefined) {
      throw new SettingsError('the daily reset policy needs a reset time (HH:MM) or a session schedule')
    }
    parseTimeOfDay(resetTime, 'reset time')
  }
  validateTimeZone(s.resetTimeZone ?? s.schedule?.timeZone)
  if (s.schedule !== undefined) validateSchedule(s.schedule)
  for (const v of [s.username, s.password, s.expectUsername, s.expectPassword]) {
    if (v !== undefined && /[\x00-\x1f\x7f]/.test(v)) {
      throw new SettingsError('credentials must not contain control characters')
    }
  }
  for (const t of s.receiveMsgTypes ?? []) {
    if (!/^[0-9A-Za-z]{1,4}$/.test(t)) throw new SettingsError(`"${t}" is not a MsgType (1-4 letters or digits)`)
    if (isAdmin(t)) throw new SettingsError(`MsgType ${t} is a session message: the session always takes those`)
  }
  const maxFieldLength = s.maxFieldLength ?? MAX_BODY_LENGTH
  if (!Number.isInteger(maxFieldLength) || maxFieldLength < 64 || maxFieldLength > MAX_BODY_LENGTH) {
    throw new SettingsError(`the maximum field length must be a whole number of bytes from 64 to ${MAX_BODY_LENGTH}`)
  }
  return {
    ...s,
    maxFieldLength,
    name: sessionName(s),
    resetPolicy,
    resetTime,
    maxClockSkewMs: s.maxClockSkewMs ?? 120_000,
    logonTimeoutMs: s.logonTimeoutMs ?? 10_000,
    logoutTimeoutMs: s.logoutTimeoutMs ?? 2_000,
    validateInbound: s.validateInbound ?? true,
    storeDecoded: s.storeDecoded ?? true
  }
}
