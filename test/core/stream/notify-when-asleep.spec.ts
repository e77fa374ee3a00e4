import * as assert from 'assert'
import { Client } from 'pg'
import { ASLEEP_LOCK_CLASS, PgDatabase } from '../../../core/db'
import { AUDIT_POSITION_COLUMNS, ensureAuditTable, Streamer } from '../../../core/stream'
import { describeEachDatabase, eventually } from '../../support/databases'
import { CuttingProxy } from '../../support/cutting-proxy'
import { notificationCounter } from '../../support/notifications'
import { schemaFixture } from '../../support/schema-fixture'
import { Collector } from '../../support/stream'
import { sleep } from '../../support/wait'

/**
 * The audit trigger's NOTIFY goes out only while a reader of its channel is marked asleep
 * (core/db/sleep-marker.ts): a writer that notifies is committed alone, each waiting for its own
 * WAL flush, server-wide. These specs check both sides of the protocol on a real server, and that
 * PGlite, where the mark cannot work, still notifies every time.
 */
describeEachDatabase('the audit NOTIFY while a reader sleeps', target => {
  const f = schemaFixture(target, { prefix: 'nwa' })

  async function auditedTable (): Promise<{ table: string, channel: string }> {
    const table = `"${f.schema}".orders`
    await f.db.query(`CREATE TABLE ${table} (id int PRIMARY KEY, qty int)`)
    const channel = `fs_${f.schema.toLowerCase()}`.slice(0, 60)
    await ensureAuditTable(f.db, { source: `${f.schema}.orders`, notifyChannel: channel })
    return { table, channel }
  }

  /** Readers of `channel` marked asleep now, over the whole server. */
  async function marks (channel: string): Promise<number> {
    const r = await f.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
        AND classid = $1::bigint::oid AND objid = ((hashtext($2)::bigint + 4294967296) % 4294967296)::oid`,
      [ASLEEP_LOCK_CLASS, channel])
    return r.rows[0].n
  }

  /** A second session of the server; with the test, what it left open is rolled back and it is closed. */
  async function connection (): Promise<Client> {
    const c = new Client(target.pg)
    await c.connect()
    f.closing.push({
      close: async () => {
        await c.query('ROLLBACK').catch(() => {})
        await c.end()
      }
    })
    return c
  }

  /** A second session that begins a transaction. */
  async function openTransaction (): Promise<Client> {
    const c = await connection()
    await c.query('BEGIN')
    return c
  }

  /** A live subscriber of the streamer, once it is live. */
  async function follow (s: Streamer): Promise<Collector> {
    const c = new Collector()
    s.subscribe({ kind: 'live' }, c)
    await eventually(() => c.phase === 'live', 10000, 'live')
    return c
  }

  it('sends no NOTIFY to a listener that is awake, and one per statement to a listener marked asleep',
    async function () {
      if (target.pg === undefined) return this.skip() // the mark is a server's
      this.timeout(20000)
      const { table, channel } = await auditedTable()
      const awake = await notificationCounter(f, channel, { asleep: false })
      await f.db.query(`INSERT INTO ${table} VALUES (1, 10)`)
      await f.db.query(`INSERT INTO ${table} VALUES (2, 20), (3, 30)`)
      assert.strictEqual(await awake(), 0, 'nobody asleep: the writers did not notify')

      const marker = f.db.sleepMarker!(channel)
      assert.strictEqual(await marker.check(), 'reread', 'marked, and no writer running: read once more')
      assert.strictEqual(await marker.check(), 'asleep', 'then asleep')
      assert.strictEqual(await marks(channel), 1)
      await f.db.query(`INSERT INTO ${table} VALUES (4, 40)`)
      await f.db.query(`INSERT INTO ${table} VALUES (5, 50), (6, 60)`)
      assert.strictEqual(await awake(), 2, 'a reader asleep: each inserting statement notified')

      marker.wake()
      await eventually(async () => (await marks(channel)) === 0, 5000, 'the mark dropped')
      await f.db.query(`INSERT INTO ${table} VALUES (7, 70)`)
      assert.strictEqual(await awake(), 0, 'awake again: no NOTIFY')
    })

  it('keeps a reader from sleeping while a writer that sent no NOTIFY is still running, until it ends',
    async function () {
      if (target.pg === undefined) return this.skip()
      this.timeout(20000)
      const { table, channel } = await auditedTable()
      const writer = await openTransaction()
      await writer.query(`INSERT INTO ${table} VALUES (1, 10)`) // nobody asleep: no NOTIFY
      const marker = f.db.sleepMarker!(channel)
      assert.strictEqual(await marker.check(), 'poll', 'a writer without a NOTIFY is running: poll')
      assert.strictEqual(await marker.check(), 'poll', 'still running')
      assert.strictEqual(marker.asleep, false)
      await writer.query('COMMIT')
      assert.strictEqual(await marker.check(), 'reread', 'it ended: read once more, its row included')
      assert.strictEqual(await marker.check(), 'asleep')
      marker.wake()
    })

  it('streams, well before its one-minute poll, a row whose writer skipped the NOTIFY as the tail went to sleep',
    async function () {
      if (target.pg === undefined) return this.skip()
      this.timeout(30000)
      const { table, channel } = await auditedTable()
      // The writer inserts before any reader is marked (no NOTIFY) and commits once the tail is waiting.
      const writer = await openTransaction()
      await writer.query(`INSERT INTO ${table} VALUES (1, 10)`)
      const c = await follow(streamer(channel))
      // Long enough for an idle tail's naps to have doubled past 2 s.
      await sleep(3000)
      assert.strictEqual(await marks(channel), 1, 'the tail holds its mark while it polls for the writer')
      await writer.query('COMMIT')
      const committed = Date.now()
      await eventually(() => c.rows.length === 1, 5000, 'the row of the writer that sent no NOTIFY')
      assert.ok(Date.now() - committed < 1000, `read ${Date.now() - committed} ms after its commit`)
      // Then asleep, and woken by the next write's NOTIFY.
      await sleep(200)
      await f.db.query(`INSERT INTO ${table} VALUES (2, 20)`)
      await eventually(() => c.rows.length === 2, 5000, 'the next row, woken by its NOTIFY')
    })

  it('follows, at the busy rate, a row whose writer sent no NOTIFY and that an older transaction holds back',
    async function () {
      if (target.pg === undefined) return this.skip()
      this.timeout(30000)
      const { table, channel } = await auditedTable()
      await f.db.query(`CREATE TABLE "${f.schema}".other (n int)`)
      // An older transaction on another table (no NOTIFY at its end), then a writer that sends none.
      const older = await openTransaction()
      await older.query(`INSERT INTO "${f.schema}".other VALUES (1)`)
      const writer = await openTransaction()
      await writer.query(`INSERT INTO ${table} VALUES (1, 10)`)
      const c = await follow(streamer(channel))
      await writer.query('COMMIT')
      // Long enough for an idle tail's naps to have doubled past 2 s.
      await sleep(3000)
      assert.strictEqual(c.rows.length, 0, 'held back while the older transaction runs')
      await older.query('COMMIT')
      const ended = Date.now()
      await eventually(() => c.rows.length === 1, 5000, 'the held row')
      assert.ok(Date.now() - ended < 1000, `read ${Date.now() - ended} ms after the older transaction ended`)
    })

  it('marks the tail again after its LISTEN connection is cut, so the next write still wakes it', async function () {
    // Through a proxy to the server of DATABASE_URL.
    if (target.pg === undefined || process.env.DATABASE_URL === undefined) return this.skip()
    this.timeout(40000)
    const { table, channel } = await auditedTable()
    const url = new URL(process.env.DATABASE_URL as string)
    const proxy = await CuttingProxy.start(Number(url.port === '' ? 5432 : url.port))
    url.port = String(proxy.port)
    const db = await PgDatabase.open({ connectionString: url.toString(), onError: () => {} })
    f.closing.push(db, { close: async () => await proxy.close() })
    const c = await follow(streamer(channel, db))
    await eventually(async () => (await marks(channel)) === 1, 5000, 'the tail marked asleep')
    proxy.cut()
    await eventually(async () => (await marks(channel)) === 0, 5000, 'the mark gone with its connection')
    // The LISTEN connection comes back (after its backoff) and the tail marks itself again.
    await eventually(async () => (await marks(channel)) === 1, 20000, 'the tail marked again')
    await f.db.query(`INSERT INTO ${table} VALUES (1, 10)`)
    await eventually(() => c.rows.length === 1, 5000, 'the row, woken by its NOTIFY after the reconnect')
  })

  it('drops the mark while the tail reads a backlog batch after batch, so the writers of that time send no NOTIFY',
    async function () {
      if (target.pg === undefined) return this.skip()
      this.timeout(30000)
      const { table, channel } = await auditedTable()
      // A tail whose every read takes 150 ms and returns one row: a backlog keeps it reading.
      const slow = await PgDatabase.open({ ...target.pg })
      f.closing.push(slow)
      const query = slow.query.bind(slow)
      slow.query = async (text: string, params?: readonly unknown[]) => {
        if (text.trimStart().startsWith('SELECT')) await sleep(150)
        return await query(text, params)
      }
      const c = await follow(streamer(channel, slow, 1))
      await eventually(async () => (await marks(channel)) === 1, 5000, 'the tail marked asleep')
      const heard = await notificationCounter(f, channel, { asleep: false })
      await f.db.query(`INSERT INTO ${table} SELECT g, g FROM generate_series(1, 8) g`)
      await eventually(async () => (await marks(channel)) === 0, 5000, 'the mark dropped after a full batch')
      assert.ok(c.rows.length < 8, `still reading the backlog (${c.rows.length} of 8 read)`)
      for (let id = 11; id <= 13; id++) await f.db.query(`INSERT INTO ${table} VALUES (${id}, ${id})`)
      assert.ok(c.rows.length < 11, `still reading when the last writer committed (${c.rows.length} of 11)`)
      await eventually(() => c.rows.length === 11, 10000, 'every row, backlog and later writers')
      assert.strictEqual(await heard(), 1,
        'the backlog\'s statement notified; the three written while it was read did not')
      await eventually(async () => (await marks(channel)) === 1, 5000, 'marked asleep again once a read was empty')
    })

  it('leaves no lock behind when a storm of cancels hits writers inside the trigger, so readers can still sleep',
    async function () {
      if (target.pg === undefined) return this.skip()
      this.timeout(40000)
      const { table, channel } = await auditedTable()
      const writer = await connection()
      const pid = (await writer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid
      const canceller = await connection()
      // One-row INSERTs, each cancelled wherever the cancel lands: before, in or after the trigger.
      let stop = false
      let id = 0
      let committed = 0
      let cancelled = 0
      const writing = (async () => {
        while (!stop) {
          try {
            await writer.query(`INSERT INTO ${table} VALUES ($1, 1)`, [++id])
            committed++
          } catch (err) {
            if ((err as { code?: string }).code !== '57014') throw err
            cancelled++
          }
        }
      })()
      const cancelling = (async () => {
        while (!stop) await canceller.query('SELECT pg_cancel_backend($1)', [pid])
      })()
      // At least 4 s, and on until both outcomes are common (at most 20 s): on a loaded machine the
      // cancels can outrun the writes (CI once had 76 commits against 10,035 cancels in 4 s).
      const started = Date.now()
      const enough = (): boolean => Date.now() - started >= 4000 && committed > 100 && cancelled > 100
      try {
        while (!enough() && Date.now() - started < 20000) await sleep(50)
      } finally {
        stop = true
        await Promise.all([writing, cancelling])
      }
      assert.ok(committed > 100 && cancelled > 100, `${committed} committed, ${cancelled} cancelled`)
      const held = await f.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks
          WHERE locktype = 'advisory' AND pid = $1 AND classid = $2::bigint::oid`, [pid, ASLEEP_LOCK_CLASS])
      assert.strictEqual(held.rows[0].n, 0, 'the writer\'s session holds no mark lock')
      // A reader listens before it marks itself (the mark belongs to its listening connection): without
      // this the test passed only after an earlier one had left the database listening.
      f.closing.push({ close: await f.db.listen(channel, { onNotify: () => {} }) })
      const marker = f.db.sleepMarker!(channel)
      assert.strictEqual(await marker.check(), 'reread', 'a reader can mark itself asleep')
      marker.wake()
    })

  it('brings the trigger function of an existing audit table up to date at the next setup', async function () {
    if (target.pg === undefined) return this.skip()
    this.timeout(20000)
    const { table, channel } = await auditedTable()
    // The function as an older version left it: a NOTIFY for every statement.
    await f.db.query(`CREATE OR REPLACE FUNCTION "${f.schema}".orders_audit_notify() RETURNS trigger
      LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END $$`)
    const awake = await notificationCounter(f, channel, { asleep: false })
    await f.db.query(`INSERT INTO ${table} VALUES (1, 10)`)
    assert.strictEqual(await awake(), 1, 'the older function notifies a listener that is awake')
    await ensureAuditTable(f.db, { source: `${f.schema}.orders`, notifyChannel: channel })
    await f.db.query(`INSERT INTO ${table} VALUES (2, 20)`)
    assert.strictEqual(await awake(), 0, 'the function of this version: no NOTIFY while nobody sleeps')
  })

  it('notifies every inserting statement on PGlite, where no mark can be taken', async function () {
    if (target.pg !== undefined) return this.skip()
    this.timeout(20000)
    const { table, channel } = await auditedTable()
    assert.strictEqual(f.db.sleepMarker, undefined)
    const heard = await notificationCounter(f, channel, { asleep: false })
    await f.db.query(`INSERT INTO ${table} VALUES (1, 10)`)
    await f.db.query(`INSERT INTO ${table} VALUES (2, 20), (3, 30)`)
    assert.strictEqual(await heard(), 2)
  })

  function streamer (channel: string, db = f.db, batchSize = 500): Streamer {
    const s = new Streamer({
      name: 'orders',
      database: db,
      table: `${f.schema}.orders_audit`,
      positionColumns: [...AUDIT_POSITION_COLUMNS],
      listenChannel: channel,
      // Only a wake can bring a row in time: the idle poll is a minute.
      pollMs: 60000,
      busyPollMs: 20,
      batchSize,
      retryInitialMs: 50
    })
    f.closing.unshift(s)
    return s
  }
})
