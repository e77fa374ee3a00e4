/**
 * The database, schema and codec of a FIX session spec, with the sessions and peers it started stopped
 * after each test.
 */
import { Database, migrate } from '../../core'
import { FixCodec } from '../../core/fix/codec'
import type { SessionRuntime } from '../../core/fix-session'
import type { RawPeer } from '../core/fix-session/support'
import { DatabaseTarget, dropSchema, uniqueSchema } from './databases'

export interface FixFixture {
  db: Database
  schema: string
  codec: FixCodec
  /** Stopped after each test. */
  running: SessionRuntime[]
  /** Closed after each test, before the sessions stop. */
  peers: RawPeer[]
}

/** Registers mocha hooks in the calling describe: a migrated schema on `target`, dropped at the end. */
export function fixFixture (target: DatabaseTarget, prefix: string): FixFixture {
  const f = { running: [], peers: [] } as unknown as FixFixture
  before(async function () {
    this.timeout(30000)
    f.db = await target.open()
    f.schema = uniqueSchema(prefix)
    await migrate(f.db, f.schema)
    f.codec = await FixCodec.create('FIX.4.4')
  })
  afterEach(async () => {
    for (const p of f.peers.splice(0)) p.close()
    for (const r of f.running.splice(0)) await r.stop().catch(() => {})
  })
  after(async () => {
    await dropSchema(f.db, f.schema)
    await f.db.close()
  })
  return f
}
