import * as assert from 'assert'
import {
  isInSession,
  lastDailyReset,
  msUntilChange,
  nextDailyReset,
  ScheduleError,
  validateSchedule
} from '../../../core/fix-session'

describe('FIX session schedule', () => {
  it('is always in session without a schedule', () => {
    assert.strictEqual(isInSession(undefined, new Date()), true)
  })

  it('checks start and end time in the time zone, on the chosen weekdays', () => {
    const s = { start: '08:00', end: '17:00', timeZone: 'America/New_York', weekdays: [1, 2, 3, 4, 5] }
    // Wednesday 2024-07-10: New York is UTC-4 in summer.
    assert.strictEqual(isInSession(s, new Date('2024-07-10T11:59:00Z')), false) // 07:59 local
    assert.strictEqual(isInSession(s, new Date('2024-07-10T12:00:00Z')), true) // 08:00 local
    assert.strictEqual(isInSession(s, new Date('2024-07-10T20:59:59Z')), true) // 16:59:59 local
    assert.strictEqual(isInSession(s, new Date('2024-07-10T21:00:00Z')), false) // 17:00 local
    // Saturday
    assert.strictEqual(isInSession(s, new Date('2024-07-13T14:00:00Z')), false)
  })

  it('handles a session that spans midnight, belonging to the day it starts', () => {
    const s = { start: '22:00', end: '06:00', timeZone: 'UTC', weekdays: [0] } // starts Sunday evening
    assert.strictEqual(isInSession(s, new Date('2024-07-14T23:00:00Z')), true) // Sunday 23:00
    assert.strictEqual(isInSession(s, new Date('2024-07-15T05:00:00Z')), true) // Monday 05:00, Sunday's period
    assert.strictEqual(isInSession(s, new Date('2024-07-15T23:00:00Z')), false) // Monday evening
    assert.strictEqual(isInSession(s, new Date('2024-07-15T12:00:00Z')), false)
  })

  it('tells how long until the session opens or closes', () => {
    const s = { start: '08:00', end: '17:00', timeZone: 'UTC' }
    assert.strictEqual(msUntilChange(s, new Date('2024-07-10T07:59:00Z')), 60_000)
    assert.strictEqual(msUntilChange(s, new Date('2024-07-10T16:00:00Z')), 3600_000)
  })

  it('finds the last and next daily reset across a DST change', () => {
    const at = new Date('2024-03-31T12:00:00Z') // Europe/London switched to BST at 01:00 UTC that day
    assert.strictEqual(lastDailyReset('09:30', 'Europe/London', at).toISOString(), '2024-03-31T08:30:00.000Z')
    assert.strictEqual(lastDailyReset('17:00', 'Europe/London', at).toISOString(), '2024-03-30T17:00:00.000Z')
    assert.strictEqual(nextDailyReset('09:30', 'Europe/London', at).toISOString(), '2024-04-01T08:30:00.000Z')
  })

  it('refuses bad times, zones and weekdays', () => {
    assert.throws(() => validateSchedule({ start: '25:00', end: '17:00' }), ScheduleError)
    assert.throws(() => validateSchedule({ start: '08:00', end: '5pm' }), ScheduleError)
    assert.throws(() => validateSchedule({ start: '08:00', end: '17:00', timeZone: 'Mars/Olympus' }), ScheduleError)
    assert.throws(() => validateSchedule({ start: '08:00', end: '17:00', weekdays: [7] }), ScheduleError)
  })
})
