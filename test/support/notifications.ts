import type { Database } from '../../core'
import type { SchemaFixture } from './schema-fixture'
import { eventually } from './wait'

/**
 * Listens on `channel` (closed with the fixture's test) and returns `settled`: the number of empty
 * notifications (the audit table's NOTIFY trigger sends '') since the last call. It sends a marker
 * NOTIFY first and waits until it is heard: notifications are delivered in commit order, so every
 * one committed before the marker has arrived by then. On a server the listener also marks itself
 * asleep (core/db/sleep-marker.ts), as a streamer with nothing to read does, since the audit
 * trigger notifies only then; `asleep: false` leaves it awake.
 */
export async function notificationCounter (
  f: SchemaFixture<Database>,
  channel: string,
  { asleep = true }: { asleep?: boolean } = {}
): Promise<() => Promise<number>> {
  const heard: string[] = []
  const stop = await f.db.listen(channel, { onNotify: payload => { heard.push(payload) } })
  f.closing.push({ close: stop })
  const marker = asleep ? f.db.sleepMarker?.(channel) : undefined
  if (marker !== undefined) {
    await eventually(async () => (await marker.check()) === 'asleep', 5000, 'the listener marked asleep')
    f.closing.unshift({ close: async () => marker.wake() })
  }
  let markers = 0
  return async () => {
    const marker = `marker ${++markers}`
    await f.db.query('SELECT pg_notify($1, $2)', [channel, marker])
    await eventually(() => heard.includes(marker), 5000, 'the marker notification')
    const n = heard.filter(x => x === '').length
    heard.length = 0
    return n
  }
}
