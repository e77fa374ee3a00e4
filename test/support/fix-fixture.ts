/**
 * The database, schema and codec of a FIX session spec, with the sessions and peers it started stopped
 * after each test: the one copy of this set-up (issue 19 point 7).
 */
import { Database, migrate } from '../../core'
import { FixCodec } from '../../core/fix/codec'
import type { SessionRuntime } from '../../core/fix-session'
import { DatabaseTarget, dropSchema, uniqueSchema } from './databases'

/** A hand-driven FIX peer (a raw socket peer has close(), a jspurefix one stop()), or a bare socket. */
export type FixturePeer = { close: () => void } | { stop: () => void } | { destroy: () => void }

export interface FixFixture {
  db: Database
  schema: string
  codec: FixCodec
  /** Stopped after each test. */
  running: SessionRuntime[]
  /** Closed after each test, before the sessions stop. */
  peers: FixturePeer[]
}

/**
 * Registers mocha hooks in the calling describe: a migrated schema (fix_session_state, fix_in, fix_out, ...)
 * on `target`, dropped and its database closed once the describe ends.
 */
export function fixFixture (target: DatabaseTarget, prefix: string): FixFixture {
  const f = { running: [], peers: [] } as unknown as FixFixture
  before(async function () {
    this.timeout(90000) // PGlite open + migration + dictionary load: past 30 s at load 20 on 2 CPUs
    f.db = await target.open()
    f.schema = uniqueSchema(prefix)
    await migrate(f.db, f.schema)
    f.codec = await FixCodec.create('FIX.4.4')
  })
  afterEach(async () => {
    for (const p of f.peers.splice(0)) {
      if ('close' in p) p.close()
      else if ('stop' in p) p.stop()
      else p.destroy()
    }
    for (const r of f.running.splice(0)) await r.stop().catch(() => {})
  })
  after(async () => {
    if (f.db === undefined) return
    await dropSchema(f.db, f.schema)
    await f.db.close()
  })
  return f
}
