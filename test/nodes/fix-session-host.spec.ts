import * as assert from 'assert'
import { LeaseStore, resourceOf, SCHEMA_VERSION } from '../../core'
import type { InboundMessage, SessionEvent } from '../../core/fix-session'
import { describeEachDatabase, eventually } from '../support/databases'
import { fixFixture } from '../support/fix-fixture'
import { acceptorRuntime, er, freePort, initiatorRuntime, nos, record, uniqueTag } from '../core/fix-session/support'
import { translator } from '../../nodes/shared/i18n'
import { frameLog } from '../../nodes/fix-session/log-lines'
import { SessionHost, SessionHostOptions } from '../../nodes/fix-session/session-host'
import { StatusFeed } from '../../nodes/fix-session/status-feed'
import type { FixSessionDef, FixSessionStatus } from '../../nodes/fix-session/types'
import catalog = require('../../nodes/fix-session/locales/en-US/fix-session.json')

/** What a host told its node and its users, in order. */
interface Seen {
  lines: Array<{ level: string, text: string }>
  statuses: FixSessionStatus[]
  events: SessionEvent[]
  messages: InboundMessage[]
}

describeEachDatabase('fix-session host (the session inside its config node)', target => {
  // Registered first, so it runs first: the hosts log out before the fixture stops their acceptors.
  const hosts: SessionHost[] = []
  afterEach(async () => { for (const h of hosts.splice(0)) await h.close() })
  const f = fixFixture(target, 'fixhost')

  const defaults = { beginString: 'FIX.4.4', heartBtInt: 30, resetPolicy: 'never', backoffInitial: 0.1 }
  type Made = { host: SessionHost, seen: Seen }
  function host (def: Partial<FixSessionDef>, over: Partial<SessionHostOptions> = {}): Made {
    const seen: Seen = { lines: [], statuses: [], events: [], messages: [] }
    const say = Object.fromEntries(['log', 'warn', 'error', 'debug', 'trace'].map(level =>
      [level, (text: string) => seen.lines.push({ level, text })])) as unknown as SessionHostOptions['say']
    const feed = new StatusFeed(s => seen.statuses.push(s), 20)
    const h = new SessionHost({
      def: { ...defaults, ...def } as FixSessionDef,
      credentials: {},
      key: `host-${uniqueTag()}`,
      id: `node-${uniqueTag()}`,
      database: { schema: f.schema, acquire: async () => f.db, watch: () => {} },
      ha: () => undefined,
      tls: () => undefined,
      frames: frameLog(false, say),
      openFileLog: () => undefined,
      feed,
      users: () => [{
        onEvent: e => seen.events.push(e),
        onMessage: m => seen.messages.push(m)
      }],
      say,
      t: translator({ _: (k: string) => k }, catalog),
      ...over
    })
    hosts.push(h)
    return { host: h, seen }
  }

  /** An acceptor of this pack on a free port, for the host's initiator to log on to. */
  async function acceptor (tag: string): Promise<ReturnType<typeof record>> {
    const acc = acceptorRuntime({ db: f.db, schema: f.schema, codec: f.codec, tag }, 0)
    f.running.push(acc)
    const a = record(acc)
    await acc.start()
    return a
  }

  it('logs on, tells its users the status, events and messages, sends, and logs out on stop', async function () {
    this.timeout(30000)
    const tag = uniqueTag()
    const acc = await acceptor(tag)
    const { host: h, seen } = host({
      role: 'initiator',
      host: '127.0.0.1',
      port: acc.runtime.port!,
      senderCompID: `CLI${tag}`,
      targetCompID: `BRK${tag}`
    })
    h.start()
    await eventually(() => seen.statuses.at(-1)?.phase === 'logged-on', 15000, 'logged on')
    assert.ok(seen.events.some(e => e.type === 'logon'), 'the users heard of the logon')
    assert.ok(seen.lines.some(l => l.level === 'log' && l.text.startsWith('logon: {"type":"logon"')),
      'the logon is logged at info level')
    assert.deepStrictEqual(await h.send({ msgType: 'D', body: nos('H1') }), { status: 'sent', seq: 2 })
    await eventually(() => acc.messages.length === 1, 10000, 'the order at the acceptor')
    await acc.runtime.send({ msgType: '8', body: er('H1', 1) })
    await eventually(() => seen.messages.length === 1, 10000, 'the fill at the host')
    assert.strictEqual(seen.messages[0].body.ClOrdID, 'H1')
    assert.strictEqual(await h.msgTypeOf('ExecutionReport'), '8')
    await h.stop()
    await acc.waitEvent('logout')
    assert.strictEqual(seen.statuses.at(-1)?.phase, 'disconnected')
    await assert.rejects(h.send({ msgType: 'D', body: nos('H2') }), /not started|disconnected/)
  })

  it('shows and logs why a start failed, and refuses to send with that reason', async function () {
    this.timeout(10000)
    const { host: h, seen } = host({
      role: 'initiator',
      host: '127.0.0.1',
      port: 1,
      senderCompID: 'A',
      targetCompID: 'B',
      dictionary: 'FIX.4.2'
    })
    h.start()
    const failed = await eventually(() => seen.statuses.find(s => s.phase === 'error'), 5000, 'an error status')
    assert.strictEqual(failed?.text,
      'the FIX.4.2 dictionary is for BeginString FIX.4.2, but the session uses FIX.4.4')
    const reason = failed?.text ?? '?'
    assert.ok(seen.lines.some(l => l.level === 'error' && l.text === `FIX session could not start: ${reason}`),
      'the reason is logged')
    await assert.rejects(h.send({ msgType: 'D', body: nos('X') }),
      { message: `the FIX session is not running: ${reason}` })
  })

  it('fails to start without a database, saying so', async function () {
    const { host: h, seen } = host({
      role: 'initiator',
      host: '127.0.0.1',
      port: 1,
      senderCompID: 'A',
      targetCompID: 'B'
    }, { database: undefined })
    h.start()
    await eventually(() => seen.statuses.find(s => s.phase === 'error' && s.text === 'no database configured'),
      5000, 'the error status')
  })

  it('stands by while another instance holds the lease, says when its flows differ, and takes over on release',
    async function () {
      this.timeout(30000)
      const tag = uniqueTag()
      const key = `hostha-${tag}`
      const port = await freePort()
      const store = new LeaseStore(f.db, f.schema)
      const other = await store.acquire(resourceOf.session(key), 'other', 60000, { config: 'not this flow' })
      assert.ok(other !== undefined, 'the other instance holds the lease')
      const { host: h, seen } = host({
        role: 'acceptor', bindAddress: '127.0.0.1', port, senderCompID: `BRK${tag}`, targetCompID: `CLI${tag}`
      }, { key, ha: () => ({ instance: 'me', leaseMs: 600, renewMs: 100 }) })
      h.start()
      await eventually(() => seen.statuses.find(s => s.text?.startsWith('standby (active on other, with a different')),
        10000, 'the standby status naming the other instance')
      assert.ok(seen.lines.some(l => l.level === 'warn' && l.text === `session "${key}" is active on other with a ` +
        'different configuration: the flows of the instances differ (this one stands by; whichever takes over runs ' +
        'its own)'), 'the differing flows are warned of')
      await store.release(other!)
      const active = 'active on me (lease token 2): connecting or listening'
      await eventually(() => seen.lines.find(l => l.level === 'log' && l.text === active), 10000, 'active on me')
      // Active: it listens, and an initiator logs on to it.
      const ini = initiatorRuntime({ db: f.db, schema: f.schema, codec: f.codec, tag }, port)
      f.running.push(ini)
      await ini.start()
      await eventually(() => seen.statuses.at(-1)?.phase === 'logged-on', 15000, 'logged on as the active instance')
      const holder = await store.holder(resourceOf.session(key))
      assert.strictEqual(holder?.holder, 'me')
      await h.stop()
      const after = await store.holder(resourceOf.session(key))
      assert.ok(after !== undefined && after.remainingMs <= 0, 'the lease is given back on stop')
    })

  it('logs its session out and hands the lease over when a newer version of the pack migrates the schema under it',
    async function () {
      this.timeout(30000)
      const tag = uniqueTag()
      const key = `hostnewer-${tag}`
      const port = await freePort()
      const { host: h, seen } = host({
        role: 'acceptor', bindAddress: '127.0.0.1', port, senderCompID: `BRK${tag}`, targetCompID: `CLI${tag}`
      }, { key, ha: () => ({ instance: 'me', leaseMs: 3000, renewMs: 100 }) })
      h.start()
      const ini = initiatorRuntime({ db: f.db, schema: f.schema, codec: f.codec, tag }, port)
      f.running.push(ini)
      const peer = record(ini)
      await ini.start()
      await eventually(() => seen.statuses.at(-1)?.phase === 'logged-on', 15000, 'logged on as the active instance')
      // What a newer version's start leaves: a migration this one does not know, marked as breaking it.
      await f.db.query(`INSERT INTO "${f.schema}".schema_migrations (version, name, breaks_older)
        VALUES ($1, 'newer', true)`, [SCHEMA_VERSION + 1])
      try {
        await eventually(() => seen.statuses.at(-1)?.text === 'standby (schema needs a newer pack)', 10000,
          'the standby status saying why')
        assert.ok(seen.statuses.some(s => s.text === 'standby (lease lost: a newer pack migrated the schema)'),
          JSON.stringify(seen.statuses.map(s => s.text)))
        // Logged out, not dropped: the counterparty got a Logout.
        assert.ok(peer.has('logout', e => e.initiatedBy === 'peer'), JSON.stringify(peer.events))
        assert.ok(seen.lines.some(l => l.level === 'error' && l.text.startsWith('schema needs a newer pack (schema ')),
          JSON.stringify(seen.lines))
        const held = await new LeaseStore(f.db, f.schema).holder(resourceOf.session(key))
        assert.ok(held !== undefined && held.holder === 'me' && held.remainingMs <= 0, JSON.stringify(held))
      } finally {
        await f.db.query(`DELETE FROM "${f.schema}".schema_migrations WHERE version = $1`, [SCHEMA_VERSION + 1])
      }
    })
})
