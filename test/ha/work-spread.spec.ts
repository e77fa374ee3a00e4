import * as assert from 'assert'
import { LeaseGrant, LeaseLostError, LeaseRegistry, Membership, migrate, PgDatabase, resourceOf } from '../../core'
import { dropSchema, eventually, serverOptions, uniqueSchema } from '../support/databases'
import { sleep } from '../support/wait'

/**
 * Work spreading with real lease rows: two instances (two LeaseRegistry on two database objects,
 * as two processes would have) on one PostgreSQL schema. Each takes a share of the sessions, and
 * a session with a preferred instance moves to it, with a clean hand-over, whenever it is up.
 */
const pg = serverOptions()
const describeOnServer = pg === undefined ? describe.skip : describe

interface Seen { active: Set<string>, order: string[], losses: LeaseLostError[], grants: LeaseGrant[] }

describeOnServer('work spreading between instances [postgres]', () => {
  const settings = { leaseMs: 1000, renewMs: 250 }
  let schema: string
  let observer: PgDatabase
  const dbs: PgDatabase[] = []
  const joined: Membership[] = []
  const timeline: string[] = []
  let atOnce = 0
  const holders = new Map<string, Set<string>>()

  beforeEach(async () => {
    observer = await PgDatabase.open({ ...pg, max: 1, applicationName: 'fix-streamers-test' })
    schema = uniqueSchema('spread')
    await migrate(observer, schema)
    timeline.length = 0
    atOnce = 0
    holders.clear()
  })
  afterEach(async () => {
    for (const m of joined.splice(0)) await m.leave().catch(() => {})
    for (const db of dbs.splice(0)) await db.close()
    await dropSchema(observer, schema)
    await observer.close()
  })

  /** One instance: its own database object (so its own registry, as another process would have). */
  async function instanceOf (name: string): Promise<LeaseRegistry> {
    const db = await PgDatabase.open({ ...pg, max: 2, applicationName: 'fix-streamers-test' })
    dbs.push(db)
    return LeaseRegistry.of(db, schema, { instance: name, ...settings })
  }

  function join (reg: LeaseRegistry, resource: string, preferred?: string): Seen {
    const me = reg.settings.instance
    const seen: Seen = { active: new Set(), order: [], losses: [], grants: [] }
    joined.push(reg.join(resource, {
      onActive: async g => {
        const h = holders.get(resource) ?? new Set<string>()
        holders.set(resource, h)
        h.add(me)
        atOnce = Math.max(atOnce, h.size)
        seen.active.add(resource)
        seen.grants.push(g)
        timeline.push(`${me} active ${resource}`)
      },
      onLost: async err => {
        await sleep(50) // a clean stop takes a moment (a Logout): the lease must wait for it
        holders.get(resource)?.delete(me)
        seen.active.delete(resource)
        seen.losses.push(err)
        timeline.push(`${me} stopped ${resource}`)
      }
    }, undefined, preferred))
    return seen
  }

  async function heldBy (): Promise<Record<string, string[]>> {
    const r = await observer.query<{ resource: string, holder: string }>(
      `SELECT resource, holder FROM "${schema}".leases WHERE expires_at > now() ORDER BY resource`)
    const out: Record<string, string[]> = {}
    for (const x of r.rows) (out[x.holder] ??= []).push(x.resource)
    return out
  }

  /** b is up and runs something of its own, then a starts four sessions, then b starts the same four. */
  async function startFourSessions (): Promise<{ a: LeaseRegistry, seenB: Seen[] }> {
    const a = await instanceOf('a')
    const b = await instanceOf('b')
    join(b, resourceOf.client('b-only'))
    await eventually(async () => (await heldBy()).b?.length === 1, 5000, 'b running')
    const sessions = ['S1', 'S2', 'S3', 'S4'].map(resourceOf.session)
    for (const s of sessions) join(a, s)
    await sleep(50)
    return { a, seenB: sessions.map(s => join(b, s)) }
  }

  it('lets an instance that is up take its share of the sessions when another instance starts them', async function () {
    this.timeout(20000)
    await startFourSessions()
    const held = await eventually(async () => {
      const h = await heldBy()
      return (h.a?.length ?? 0) + (h.b?.length ?? 0) === 5 ? h : undefined
    }, 10000, 'every lease held') as Record<string, string[]>
    await sleep(3 * settings.leaseMs) // and it stays so
    assert.deepStrictEqual(await heldBy(), held)
    const bSessions = (held.b ?? []).filter(r => r.startsWith('fix-session:'))
    assert.strictEqual(held.a?.length, 2, JSON.stringify(held))
    assert.strictEqual(bSessions.length, 2, JSON.stringify(held))
    assert.strictEqual(atOnce, 1)
  })

  it('takes over a dead instance\'s sessions within the lease time, its share notwithstanding', async function () {
    this.timeout(20000)
    const { a, seenB } = await startFourSessions()
    await eventually(async () => {
      const h = await heldBy()
      return h.a?.length === 2 && h.b?.length === 3
    }, 10000, 'two and two (and b\'s own)')
    // a dies: its keepers and heartbeat stop without a word, its leases and its row stay.
    const reg = a as any
    clearInterval(reg.heartbeat)
    for (const s of reg.leases.values()) { s.keeper.clearTimers(); s.keeper.stopped = true }
    const diedAt = performance.now()
    await eventually(() => seenB.every(x => x.active.size === 1), 10000, 'b running all four')
    const took = performance.now() - diedAt
    assert.ok(took <= settings.leaseMs + settings.renewMs + 400, `takeover took ${took.toFixed(0)} ms`)
  })

  it('moves a session to its preferred instance whenever that one is up, with a clean hand-over', async function () {
    this.timeout(30000)
    const a = await instanceOf('a')
    const S = resourceOf.session('S1')
    const seenA = join(a, S, 'b')
    await eventually(() => seenA.active.size === 1, 5000, 'a running S1 (b is not up)')
    // b comes up: the session moves to it, a stops it first and releases (no expiry to wait for).
    const b = await instanceOf('b')
    const upAt = performance.now()
    const seenB = join(b, S, 'b')
    await eventually(() => seenB.active.size === 1, 5000, 'b running S1')
    const moved = performance.now() - upAt
    assert.match(seenA.losses[0]?.reason ?? '', /handed over to b/)
    assert.deepStrictEqual(timeline.slice(-2), ['a stopped fix-session:S1', 'b active fix-session:S1'])
    assert.ok(moved < settings.leaseMs, `moved after ${moved.toFixed(0)} ms: released, not expired`)
    assert.strictEqual(seenB.grants[0].token, String(Number(seenA.grants[0].token) + 1))
    // b stops cleanly (its owner stops the session first, then leaves): a takes it back; b comes
    // again: it moves back to b.
    holders.get(S)?.delete('b')
    await joined.splice(joined.length - 1, 1)[0].leave()
    await eventually(() => seenA.active.size === 1, 5000, 'a running S1 again')
    const seenB2 = join(b, S, 'b')
    await eventually(() => seenB2.active.size === 1, 5000, 'b running S1 again')
    await sleep(3 * settings.leaseMs) // and it stays there: a does not take it back
    assert.strictEqual(seenB2.active.size, 1)
    assert.strictEqual(seenA.active.size, 0)
    assert.strictEqual(atOnce, 1)
  })
})
