import { SessionSchedule, SessionSettings } from '../../core/fix-session'
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
