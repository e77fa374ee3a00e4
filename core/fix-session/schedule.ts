/**
 * Session times, as QuickFIX's SessionSchedule: the session may be up between a daily start and
 * end time in a time zone, on chosen weekdays; and when sequence numbers reset daily, at what
 * instant the latest reset was due. Pure functions of a clock value.
 */

export interface SessionSchedule {
  /** 'HH:MM' or 'HH:MM:SS', local to `timeZone`. When end <= start the session spans midnight. */
  start: string
  end: string
  /** IANA zone, e.g. 'Europe/London'; default UTC. */
  timeZone?: string
  /** 0 = Sunday ... 6 = Saturday: days on which a session starts. Default every day. */
  weekdays?: number[]
}

interface LocalParts { year: number, month: number, day: number, weekday: number, seconds: number }

const WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 }
const formatters = new Map<string, Intl.DateTimeFormat>()

export class ScheduleError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ScheduleError'
  }
}

/** Seconds after midnight of 'HH:MM[:SS]'; throws ScheduleError on anything else. */
export function parseTimeOfDay (text: string, what = 'time'): number {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(String(text).trim())
  if (m === null) throw new ScheduleError(`${what} "${text}" is not HH:MM or HH:MM:SS`)
  const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)]
  if (h > 23 || mi > 59 || s > 59) throw new ScheduleError(`${what} "${text}" is out of range`)
  return h * 3600 + mi * 60 + s
}

export function validateTimeZone (zone: string | undefined): string {
  const z = zone === undefined || zone === '' ? 'UTC' : zone
  try {
    formatter(z)
  } catch {
    throw new ScheduleError(`unknown time zone "${z}"`)
  }
  return z
}

/** Throws ScheduleError unless the schedule is usable. */
export function validateSchedule (s: SessionSchedule): void {
  parseTimeOfDay(s.start, 'start time')
  parseTimeOfDay(s.end, 'end time')
  validateTimeZone(s.timeZone)
  for (const d of s.weekdays ?? []) {
    if (!Number.isInteger(d) || d < 0 || d > 6) {
      throw new ScheduleError(`weekday ${String(d)} is not 0 (Sunday) to 6 (Saturday)`)
    }
  }
  if (s.weekdays !== undefined && s.weekdays.length === 0) throw new ScheduleError('no weekday is selected')
}

/** Whether `at` falls inside a session period. No schedule means always. */
export function isInSession (schedule: SessionSchedule | undefined, at: Date): boolean {
  if (schedule === undefined) return true
  const zone = validateTimeZone(schedule.timeZone)
  const start = parseTimeOfDay(schedule.start)
  const end = parseTimeOfDay(schedule.end)
  const days = schedule.weekdays ?? [0, 1, 2, 3, 4, 5, 6]
  const p = localParts(at, zone)
  if (start < end) return days.includes(p.weekday) && p.seconds >= start && p.seconds < end
  if (start === end) return days.includes(p.weekday) // a whole day, from start to start
  // Spans midnight: the period belongs to the day it started on.
  if (p.seconds >= start) return days.includes(p.weekday)
  if (p.seconds < end) return days.includes((p.weekday + 6) % 7)
  return false
}

/** Milliseconds from `at` until isInSession changes (capped at one day, for re-checking). */
export function msUntilChange (schedule: SessionSchedule | undefined, at: Date): number {
  if (schedule === undefined) return 24 * 3600_000
  const now = isInSession(schedule, at)
  const start = at.getTime()
  // Second steps over the next two minutes (short windows), then minute steps, then refine.
  for (let s = 1000; s <= 120_000; s += 1000) if (isInSession(schedule, new Date(start + s)) !== now) return s
  let t = start + 120_000
  const limit = start + 24 * 3600_000
  while (t < limit && isInSession(schedule, new Date(t + 60_000)) === now) t += 60_000
  if (t >= limit) return 24 * 3600_000
  let s = t
  while (s < t + 60_000 && isInSession(schedule, new Date(s + 1000)) === now) s += 1000
  return s + 1000 - start
}

/** The latest instant <= `at` at which a daily reset at `time` (local to `zone`) was due. */
export function lastDailyReset (time: string, zone: string | undefined, at: Date): Date {
  const z = validateTimeZone(zone)
  const secs = parseTimeOfDay(time, 'reset time')
  const p = localParts(at, z)
  let candidate = zonedToUtc(p.year, p.month, p.day, secs, z)
  if (candidate.getTime() > at.getTime()) {
    const y = new Date(Date.UTC(p.year, p.month - 1, p.day - 1))
    candidate = zonedToUtc(y.getUTCFullYear(), y.getUTCMonth() + 1, y.getUTCDate(), secs, z)
  }
  return candidate
}

/** The next instant > `at` of a daily reset. */
export function nextDailyReset (time: string, zone: string | undefined, at: Date): Date {
  const last = lastDailyReset(time, zone, at)
  const p = localParts(last, validateTimeZone(zone))
  const n = new Date(Date.UTC(p.year, p.month - 1, p.day + 1))
  return zonedToUtc(
    n.getUTCFullYear(),
    n.getUTCMonth() + 1,
    n.getUTCDate(),
    parseTimeOfDay(time),
    validateTimeZone(zone)
  )
}

function formatter (zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric'
    })
    formatters.set(zone, f)
  }
  return f
}

function localParts (at: Date, zone: string): LocalParts {
  const parts: Record<string, string> = {}
  for (const p of formatter(zone).formatToParts(at)) parts[p.type] = p.value
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAY[parts.weekday],
    seconds: Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second)
  }
}

/** Offset of `zone` from UTC at `at`, in ms. */
function offsetMs (at: Date, zone: string): number {
  const p = localParts(at, zone)
  const asUtc = Date.UTC(p.year, p.month - 1, p.day) + p.seconds * 1000
  return asUtc - Math.floor(at.getTime() / 1000) * 1000
}

/** The UTC instant of a local wall-clock time; a time skipped by DST moves forward by the gap. */
function zonedToUtc (year: number, month: number, day: number, seconds: number, zone: string): Date {
  const wall = Date.UTC(year, month - 1, day) + seconds * 1000
  let t = wall - offsetMs(new Date(wall), zone)
  t = wall - offsetMs(new Date(t), zone)
  return new Date(t)
}
