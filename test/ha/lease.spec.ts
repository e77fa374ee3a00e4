import * as assert from 'assert'
import {
  CheckpointStore,
  Database,
  LeaseGrant,
  LeaseKeeper,
  LeaseLostError,
  LeaseSettings,
  LeaseStore,
  listenForReleases,
  PgDatabase,
  resourceOf
} from '../../core'
import { describeEachDatabase, eventually } from '../support/databases'
import { schemaFixture } from '../support/schema-fixture'
import { CuttingProxy } from '../support/cutting-proxy'

/** One instance's view of a lease: the keeper and what it was told, in order. */
interface Instance {
  name: string
  keeper: LeaseKeeper
  active: LeaseGrant | undefined
  losses: LeaseLostError[]
  standbyOn: Array<string | undefined>
}

/** Whole-test record of who was active when: two at once is the failure every spec looks for. */
class Timeline {
  holders = new Set<string>()
  maxAtOnce = 0
  events: Array<{ at: number, name: string, what: 'active' | 'lost' }> = []
  enter (name: string): void {
    this.holders.add(name)
    this.maxAtOnce = Math.max(this.maxAtOnce, this.holders.size)
    this.events.push({ at: performance.now(), name, what: 'active' })
  }

  leave (name: string): void {
    this.holders.delete(name)
    this.events.push({ at: performance.now(), name, what: 'lost' })
  }
}

function instance (db: Database, schema: string, name: string, settings: Omit<LeaseSettings, 'instance'>,
  timeline: Timeline, resource = resourceOf.session('S1')): Instance {
  const me: Instance = { name, active: undefined, losses: [], standbyOn: [], keeper: undefined as any }
  me.keeper = new LeaseKeeper({
    store: new LeaseStore(db, schema),
    resource,
    settings: { instance: name, ...settings },
    onActive: async g => { me.active = g; timeline.enter(name) },
    onLost: async err => { me.active = undefined; me.losses.push(err); timeline.leave(name) },
    onStandby: on => { me.standbyOn.push(on) }
  })
  return me
}

/** Blocks this process's event loop, as a paused process (SIGSTOP, a long GC, a VM freeze) would. */
function pause (ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until) { /* nothing runs meanwhile: no timer, no socket */ }
}

describeEachDatabase('leases', target => {
  const started: LeaseKeeper[] = []
  const quick = { leaseMs: 600, renewMs: 100 }
  const f = schemaFixture(target, {
    prefix: 'ha',
    migrate: true,
    // The keepers stop before their schema goes.
    setup: async () => { f.closing.push({ close: async () => { for (const k of started.splice(0)) await k.stop() } }) }
  })

  /** A holds the lease, B stands by. */
  async function holderAndStandby (timeline: Timeline): Promise<[Instance, Instance]> {
    const a = instance(f.db, f.schema, 'a', quick, timeline)
    const b = instance(f.db, f.schema, 'b', quick, timeline)
    run(a)
    await eventually(() => a.active, 5000, 'a active')
    run(b)
    await eventually(() => b.standbyOn.length > 0, 5000, 'b standing by')
    return [a, b]
  }

  function run (...xs: Instance[]): void {
    for (const x of xs) { started.push(x.keeper); x.keeper.start() }
  }

  it('gives a resource to one instance only, while the others stand by naming it', async function () {
    this.timeout(10000)
    const timeline = new Timeline()
    // Renewed as often as the quick ones, but a stall of the loaded test process under 2.5 s loses nothing:
    // this test is about one holder at a time, not about a takeover.
    const steady = { leaseMs: 3000, renewMs: 100 }
    const xs = ['a', 'b', 'c'].map(n => instance(f.db, f.schema, n, steady, timeline))
    run(...xs)
    const holder = await eventually(() => xs.find(x => x.active !== undefined), 5000, 'a holder') as Instance
    await new Promise(resolve => setTimeout(resolve, 1500)) // many renewals and looks later
    assert.strictEqual(timeline.maxAtOnce, 1)
    assert.deepStrictEqual(xs.filter(x => x.active !== undefined).map(x => x.name), [holder.name])
    for (const x of xs.filter(x => x !== holder)) assert.strictEqual(x.standbyOn.at(-1), holder.name)
    assert.strictEqual(holder.active?.token, '1')
  })

  it('hands the lease over at once on a clean stop, with a higher token', async function () {
    this.timeout(15000)
    const timeline = new Timeline()
    const slow = { leaseMs: 4000, renewMs: 1000 }
    const a = instance(f.db, f.schema, 'a', slow, timeline)
    run(a)
    await eventually(() => a.active, 5000, 'a active')
    const b = instance(f.db, f.schema, 'b', slow, timeline)
    const unlisten = await listenForReleases(f.db, () => b.keeper.wake())
    try {
      run(b)
      await eventually(() => b.standbyOn.at(-1) === 'a', 5000, 'b standing by')
      const stoppedAt = performance.now()
      // The owner stops its resource first, then gives the lease back.
      a.active = undefined
      timeline.leave('a')
      await a.keeper.stop()
      await eventually(() => b.active, 5000, 'b active')
      const pauseMs = performance.now() - stoppedAt
      assert.ok(pauseMs < 1000, `takeover after a clean stop took ${pauseMs.toFixed(0)} ms (lease 4000 ms)`)
      assert.strictEqual(b.active?.token, '2')
      assert.strictEqual(timeline.maxAtOnce, 1)
    } finally {
      await unlisten()
    }
  })

  it('lets a standby take over after the holder stops renewing, within the lease time', async function () {
    this.timeout(15000)
    const timeline = new Timeline()
    const [a, b] = await holderAndStandby(timeline)
    // The holder vanishes without a word: its timers stop, its lease stays in the table.
    ;(a.keeper as any).clearTimers()
    ;(a.keeper as any).stopped = true
    const goneAt = performance.now()
    await eventually(() => b.active, 5000, 'b active')
    const took = performance.now() - goneAt
    assert.ok(took <= quick.leaseMs + quick.renewMs + 300, `takeover took ${took.toFixed(0)} ms`)
    assert.strictEqual(b.active?.token, '2')
  })

  it('makes a paused holder learn on resuming that it lost the lease, before the new holder starts', async function () {
    this.timeout(15000)
    const timeline = new Timeline()
    const [a, b] = await holderAndStandby(timeline)
    pause(quick.leaseMs * 2)
    await eventually(() => b.active, 5000, 'b active')
    assert.strictEqual(a.active, undefined)
    assert.strictEqual(a.losses.length, 1)
    assert.match(a.losses[0].message, /lease of "fix-session:S1" lost/)
    assert.strictEqual(timeline.maxAtOnce, 1)
    const aLost = timeline.events.find(e => e.name === 'a' && e.what === 'lost')
    const bActive = timeline.events.find(e => e.name === 'b' && e.what === 'active')
    assert.ok(aLost !== undefined && bActive !== undefined && aLost.at <= bActive.at, 'a stopped before b started')
  })

  it('refuses the checkpoint writes of a holder whose client was claimed by a newer holder', async function () {
    this.timeout(15000)
    const timeline = new Timeline()
    const resource = resourceOf.client('c1')
    const a = instance(f.db, f.schema, 'a', quick, timeline, resource)
    run(a)
    const ga = await eventually(() => a.active, 5000, 'a active') as LeaseGrant
    const told: LeaseLostError[] = []
    const storeA = new CheckpointStore(f.db, f.schema, { ...ga, onLost: err => told.push(err) })
    assert.strictEqual(await storeA.load('c1'), undefined)
    await storeA.savePosition('c1', 'orders', ['1'])
    // A pauses for longer than its lease: B takes the client over and claims its checkpoint.
    ;(a.keeper as any).clearTimers()
    ;(a.keeper as any).stopped = true
    const b = instance(f.db, f.schema, 'b', quick, timeline, resource)
    run(b)
    const gb = await eventually(() => b.active, 5000, 'b active') as LeaseGrant
    const storeB = new CheckpointStore(f.db, f.schema, gb)
    assert.deepStrictEqual((await storeB.load('c1'))?.start, { kind: 'after', position: ['1'] })
    await assert.rejects(storeA.savePosition('c1', 'orders', ['2']), (err: Error) =>
      err instanceof LeaseLostError && /newer holder/.test(err.message))
    await assert.rejects(storeA.delete('c1'), LeaseLostError)
    assert.strictEqual(told.length, 2)
    await storeB.savePosition('c1', 'orders', ['3'])
    assert.deepStrictEqual((await storeB.load('c1'))?.start, { kind: 'after', position: ['3'] })
    // A stale holder cannot claim either: its lease is gone.
    await assert.rejects(storeA.load('c1'), LeaseLostError)
  })

  it('tells a standby what the holder stored with its lease, so flows that differ are seen', async function () {
    this.timeout(10000)
    const seen: Array<Record<string, unknown> | undefined> = []
    const keeper = (name: string, config: string, onStandby?: (d?: Record<string, unknown>) => void): LeaseKeeper =>
      new LeaseKeeper({
        store: new LeaseStore(f.db, f.schema),
        resource: resourceOf.session('S1'),
        settings: { instance: name, ...quick },
        detail: { config },
        onActive: async () => {},
        onLost: async () => {},
        onStandby: (_on, _err, detail) => onStandby?.(detail)
      })
    const a = keeper('a', 'c-1')
    started.push(a)
    a.start()
    await eventually(() => a.grant, 5000, 'a active')
    const b = keeper('b', 'c-2', d => seen.push(d))
    started.push(b)
    b.start()
    await eventually(() => seen.length > 0, 5000, 'b standing by')
    assert.deepStrictEqual(seen[0], { config: 'c-1' })
  })

  it('keeps the unfenced checkpoint store working as before (no lease in use)', async () => {
    const store = new CheckpointStore(f.db, f.schema)
    await store.savePosition('c1', 'orders', ['1'])
    await store.savePosition('c1', 'orders', ['2'])
    assert.deepStrictEqual((await store.load('c1'))?.start, { kind: 'after', position: ['2'] })
    assert.strictEqual(await store.delete('c1'), true)
  })

  if (target.name === 'postgres') {
    it('makes a holder whose database connection is cut stop within the lease time, and a standby take over',
      async function () {
        this.timeout(20000)
        const url = new URL(process.env.DATABASE_URL ?? '')
        const proxy = await CuttingProxy.start(Number(url.port === '' ? 5432 : url.port), url.hostname)
        const viaProxy = new URL(url.toString())
        viaProxy.hostname = '127.0.0.1'
        viaProxy.port = String(proxy.port)
        const dbA = await PgDatabase.open({ connectionString: viaProxy.toString(), connectionTimeoutMillis: 300 })
        try {
          const timeline = new Timeline()
          const a = instance(dbA, f.schema, 'a', quick, timeline)
          const b = instance(f.db, f.schema, 'b', quick, timeline)
          run(a)
          await eventually(() => a.active, 5000, 'a active')
          run(b)
          await eventually(() => b.standbyOn.length > 0, 5000, 'b standing by')
          proxy.refuse()
          const cutAt = performance.now()
          proxy.cut()
          await eventually(() => b.active, 5000, 'b active')
          const took = performance.now() - cutAt
          assert.strictEqual(a.losses.length, 1)
          assert.match(a.losses[0].reason, /no renewal got through/)
          assert.strictEqual(timeline.maxAtOnce, 1)
          assert.ok(took <= quick.leaseMs + quick.renewMs + 300, `takeover took ${took.toFixed(0)} ms`)
        } finally {
          await dbA.close()
          await proxy.close()
        }
      })
  }
})
