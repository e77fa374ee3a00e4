import { builtinDictionary } from '../../core/fix'
import { SessionSchedule, SessionSettings, TlsSettings } from '../../core/fix-session'
import type { TlsConfigOptions } from '../shared/tls-config'
import type { FixSessionCredentials, FixSessionDef } from './types'

/** The session settings from the editor's fields; throws with a readable text on bad values. */
export function settingsFrom (def: FixSessionDef, cred: FixSessionCredentials): SessionSettings {
  const schedule: SessionSchedule | undefined = def.scheduled === true
    ? {
        start: def.startTime,
        end: def.endTime,
        timeZone: nonEmpty(def.timeZone),
        weekdays: String(def.weekdays ?? '').split(',').filter(x => x.trim() !== '').map(Number)
      }
    : undefined
  return {
    name: nonEmpty(def.sessionName),
    role: def.role,
    beginString: def.beginString,
    defaultApplVerID: def.beginString === 'FIXT.1.1' ? nonEmpty(def.defaultApplVerID) : undefined,
    senderCompID: String(def.senderCompID ?? '').trim(),
    targetCompID: String(def.targetCompID ?? '').trim(),
    senderSubID: nonEmpty(def.senderSubID),
    targetSubID: nonEmpty(def.targetSubID),
    senderLocationID: nonEmpty(def.senderLocationID),
    targetLocationID: nonEmpty(def.targetLocationID),
    heartBtInt: Number(def.heartBtInt),
    resetPolicy: def.resetPolicy ?? 'never',
    resetTime: def.resetPolicy === 'daily' ? nonEmpty(def.resetTime) : undefined,
    resetTimeZone: nonEmpty(def.timeZone),
    schedule,
    username: nonEmpty(cred.username),
    password: nonEmpty(cred.password),
    expectUsername: nonEmpty(cred.expectUsername),
    expectPassword: nonEmpty(cred.expectPassword),
    replyWithCredentials: def.replyWithCredentials === true,
    storeDecoded: def.storeDecoded !== false,
    maxFieldLength: def.maxFieldLength === undefined || String(def.maxFieldLength).trim() === ''
      ? undefined
      : Number(def.maxFieldLength)
  }
}

export function portFrom (v: string | number): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`port "${String(v)}" is not 0-65535`)
  return n
}

function nonEmpty (v: string | undefined): string | undefined {
  if (v === undefined || v === null) return undefined
  const t = String(v).trim()
  return t === '' ? undefined : t
}

/** The dictionary a BeginString uses when none is chosen. */
const DEFAULT_DICTIONARY: Record<string, string> = {
  'FIX.4.2': 'FIX.4.2',
  'FIX.4.4': 'FIX.4.4',
  'FIXT.1.1': 'FIX.5.0SP2'
}

/**
 * The dictionary to load: the chosen one, else the BeginString's. A builtin dictionary must be
 * made for the session's BeginString (`mismatch` says which it is for); a custom XML file is the
 * user's call.
 */
export function dictionaryOf (def: Pick<FixSessionDef, 'dictionary' | 'beginString'>):
{ ref: string, mismatch?: string } {
  const ref = String(def.dictionary ?? '').trim() || DEFAULT_DICTIONARY[def.beginString] || def.beginString
  const builtin = builtinDictionary(ref)
  if (builtin !== undefined && builtin.beginString !== def.beginString) return { ref, mismatch: builtin.beginString }
  return { ref }
}

/**
 * "Receive only": the MsgType codes of the names or codes listed, undefined for all;
 * `unknown` is the first entry the dictionary does not have.
 */
export function receiveTypesOf (list: string | undefined, msgTypeOf: (nameOrCode: string) => string | undefined):
{ types?: string[], unknown?: string } {
  const wanted = String(list ?? '').split(/[\s,]+/).filter(x => x !== '')
  if (wanted.length === 0) return {}
  const types: string[] = []
  for (const w of wanted) {
    const code = msgTypeOf(w)
    if (code === undefined) return { unknown: w }
    types.push(code)
  }
  return { types }
}

/** The session's TLS settings from a tls-config node's options: certificates verified unless unticked there. */
export function tlsSettingsOf (d: Pick<FixSessionDef, 'role' | 'requestCert'>, opts: TlsConfigOptions): TlsSettings {
  return {
    key: opts.key,
    cert: opts.cert,
    ca: opts.ca,
    passphrase: opts.passphrase,
    servername: opts.servername,
    rejectUnauthorized: opts.rejectUnauthorized !== false,
    requestCert: d.role === 'acceptor' && d.requestCert === true
  }
}
