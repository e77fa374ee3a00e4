import * as assert from 'assert'
import { Client } from 'pg'
import { migrate, PgDatabase } from '../../core'
import { DatabaseMessageStore } from '../../core/fix-session'
import type { InboundRecord, MessageStore, OutboundRecord } from '../../core/fix-session/message-store'
import { retryingStore } from '../../core/fix-session/retrying-store'
import { RetryAbortedError } from '../../core/db/retry'
import { describeDbError } from '../../core/db/errors'
import { eventually, uniqueSchema } from '../support/databases'
import { Fault, faultyPostgres } from '../support/faulty-postgres'
import { ProcessErrors } from '../support/process-errors'

/**
 * The session's retrying store (core/fix-session/retrying-store.ts) on a real PostgreSQL server
 * with real faults: the server restarted fast and immediate, every connection cut through the
 * proxy, and a cut while a write is running on the server (its COMMIT done, the answer lost).
 * Every write lands once, in order, with the sequence numbers the database holds; permanent errors
 * are not retried.
 */
describe('the session store retries transient database errors [postgres]', () => {
  let db: PgDatabase | undefined
  let direct: PgDatabase | undefined
  let recorded: ProcessErrors | undefined
  const schema = uniqueSchema('rs')
  const q = (t: string): string => `"${schema}".${t}`
  const faulty = faultyPostgres({
    setUp: async pg => {
      db = await PgDatabase.open({ connectionString: pg.url, max: 4, connectionTimeoutMillis: 2000, onError: () => {} })
      direct = await PgDatabase.open({ connectionString: pg.directUrl, max: 2, onError: () => {} })
      await migrate(db, schema)
    },
    tearDown: async () => {
      await db?.close()
      await direct?.close()
    }
  })
  beforeEach(() => { recorded = new ProcessErrors() })
  afterEach(() => {
    recorded?.stop()
    assert.deepStrictEqual(recorded?.errors, [], 'nothing reached the process as an uncaught error')
  })

  function open (name: string, signal = new AbortController().signal): { store: MessageStore, outages: string[] } {
    const outages: string[] = []
    const store = retryingStore(new DatabaseMessageStore(db!, schema, name), {
      signal,
      onOutage: err => outages.push(err === undefined ? 'back' : 'away')
    })
    return { store, outages }
  }
  const out = (seq: number, origin?: string): OutboundRecord => ({
    seq,
    msgType: 'D',
    clOrdID: `C${seq}`,
    sentAt: new Date(),
    body: `11=C${seq}\x01`,
    raw: `raw ${seq}`,
    ...(origin !== undefined ? { origin: { client: 'orders', position: origin } } : {})
  })
  const inb = (seq: number): InboundRecord => ({
    seq,
    msgType: '8',
    senderCompID: 'EXEC',
    targetCompID: 'GW',
    clOrdID: `C${seq}`,
    possDup: false,
    raw: `in ${seq}`,
    message: null
  })
  /** The server holds the state row and the journals: every seq once, in order. */
  async function held (name: string): Promise<{ state: number[], out: number[], in: number[], bodies: string[] }> {
    const s = await direct!.query<{ s: string, t: string }>(
      `SELECT next_sender_seq AS s, next_target_seq AS t FROM ${q('fix_session_state')} WHERE session_name = $1`,
      [name])
    const o = await direct!.query<{ n: string, body: string }>(
      `SELECT msg_seq_num AS n, body FROM ${q('fix_out')} WHERE session_name = $1 ORDER BY id`, [name])
    const i = await direct!.query<{ n: string }>(
      `SELECT msg_seq_num AS n FROM ${q('fix_in')} WHERE session_name = $1 ORDER BY receive_seq`, [name])
    return {
      state: [Number(s.rows[0].s), Number(s.rows[0].t)],
      out: o.rows.map(r => Number(r.n)),
      in: i.rows.map(r => Number(r.n)),
      bodies: o.rows.map(r => r.body)
    }
  }
  const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1)

  it('journals every message and inbound row once, in order, while the server restarts (fast and immediate) ' +
    'and the connections are cut', async function () {
    this.timeout(180000)
    const server = faulty.pg
    const { store, outages } = open('RS1')
    await store.load()
    // The session's way of calling: one call at a time, each after the one before resolved.
    let nextOut = 1
    let nextIn = 1
    let running = true
    let failed: unknown
    const writer = (async () => {
      for (let step = 0; running || step < 40; step++) {
        const kind = step % 4
        if (kind === 0) {
          assert.strictEqual(await store.recordSent(out(nextOut, `["${nextOut}"]`)), true)
          nextOut++
        } else if (kind === 1) {
          const n = 1 + (step % 3)
          await store.recordSentBatch(Array.from({ length: n }, (_, i) => out(nextOut + i)))
          nextOut += n
        } else if (kind === 2) {
          const n = 1 + (step % 2)
          const got = await store.recordReceived(Array.from({ length: n }, (_, i) => inb(nextIn + i)), nextIn + n)
          assert.strictEqual(got.length, n)
          nextIn += n
        } else {
          assert.deepStrictEqual((await store.sentRange(nextOut - 1, nextOut - 1)).map(e => e.seq), [nextOut - 1])
        }
      }
    })().catch(err => { failed = err })
    const going = (n: number): boolean => {
      if (failed !== undefined) throw failed
      return nextOut + nextIn > n
    }
    const faults: Fault[] = ['restart-fast', 'cut', 'restart-immediate', 'cut', 'restart-fast', 'cut',
      'restart-immediate']
    try {
      for (const fault of faults) {
        const before = nextOut + nextIn
        await eventually(() => going(before + 10), 60000, `writes going on before the ${fault}`)
        await server.inject(fault, 500)
      }
      const after = nextOut + nextIn
      await eventually(() => going(after + 10), 60000, 'writes after the last fault')
    } finally {
      running = false
    }
    await writer
    if (failed !== undefined) throw failed
    const h = await held('RS1')
    assert.deepStrictEqual(h.state, [nextOut, nextIn], 'the state row holds the numbers the store handed out')
    assert.deepStrictEqual(h.out, upTo(nextOut - 1), 'every outbound seq once, in order')
    assert.deepStrictEqual(h.bodies, upTo(nextOut - 1).map(n => `11=C${n}\x01`))
    assert.deepStrictEqual(h.in, upTo(nextIn - 1), 'every inbound seq once, in order')
    const away = outages.filter(o => o === 'away').length
    assert.ok(away >= 4, `outages told: ${outages.join(',')}`)
    assert.ok(away <= faults.length, `told once per outage, not per try: ${outages.join(',')}`)
    assert.deepStrictEqual(outages.filter((o, i) => i % 2 === 0 ? o !== 'away' : o !== 'back'), [],
      'each outage begins and ends once')
    console.log(`      ${nextOut - 1} outbound and ${nextIn - 1} inbound rows through ${faults.length} faults, ` +
      `${away} outages told`)
  })

  /**
   * A cut while the server runs the write: the statement still commits (the server does not check
   * the client before it ends), the client sees the connection lost. The store must find the write
   * done instead of writing it again (a second journal row, or SessionOwnershipError).
   */
  for (const call of ['recordSent', 'recordSentBatch', 'recordReceived', 'advanceSender'] as const) {
    it(`a cut while ${call} runs on the server: its COMMIT counts, nothing is written twice`, async function () {
      this.timeout(60000)
      const server = faulty.pg
      const name = `RSC-${call}`
      const { store, outages } = open(name)
      await store.load()
      await store.recordSent(out(1, '["1"]'))
      await store.recordReceived([inb(1)], 2)
      const table = call === 'recordReceived' ? 'fix_in' : call === 'advanceSender' ? 'fix_session_sender' : 'fix_out'
      // Slow the write down on the server so the cut lands while it runs (only this session's rows).
      const fn = `${q('slow_' + table)}`
      await direct!.query(`CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.session_name = '${name}' THEN PERFORM pg_sleep(2); END IF; RETURN NEW; END $$`)
      await direct!.query(`CREATE TRIGGER "slow_${name}" BEFORE ${call === 'advanceSender' ? 'UPDATE' : 'INSERT'}
        ON ${q(table)} FOR EACH ROW EXECUTE FUNCTION ${fn}()`)
      try {
        const write = call === 'recordSent'
          ? store.recordSent(out(2, '["2"]'))
          : call === 'recordSentBatch'
            ? store.recordSentBatch([out(2), out(3)])
            : call === 'recordReceived'
              ? store.recordReceived([inb(2), inb(3)], 4)
              : store.advanceSender(5)
        // Cut once the write runs on the server (its backend sleeps in the trigger), not after a guess.
        await eventually(async () => (await direct!.query(
          "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND pid <> pg_backend_pid()")).rows.length > 0,
        5000, 'the write running on the server', 10)
        assert.ok(server.proxy.cut() > 0, 'a connection was cut')
        const result = await write
        if (call === 'recordSent') assert.strictEqual(result, true, 'the message counts as journaled')
      } finally {
        await direct!.query(`DROP TRIGGER "slow_${name}" ON ${q(table)}`)
      }
      const h = await held(name)
      const expected = {
        recordSent: { state: [3, 2], out: [1, 2], in: [1] },
        recordSentBatch: { state: [4, 2], out: [1, 2, 3], in: [1] },
        recordReceived: { state: [2, 4], out: [1], in: [1, 2, 3] },
        advanceSender: { state: [5, 2], out: [1], in: [1] }
      }[call]
      assert.deepStrictEqual({ state: h.state, out: h.out, in: h.in }, expected)
      assert.deepStrictEqual(outages, ['away', 'back'])
      // And the store goes on from there.
      const s = await store.load()
      await store.recordSent(out(s.nextSenderSeq, `["${s.nextSenderSeq}"]`))
      assert.deepStrictEqual((await held(name)).out, [...expected.out, s.nextSenderSeq])
    })
  }

  it('fails at once on permanent errors (a duplicate origin, a state row moved by another process, ' +
    'a missing table), without waiting', async function () {
    this.timeout(30000)
    const { store, outages } = open('RSP')
    await store.load()
    await store.recordSent(out(1, '["1"]'))
    const timed = async (p: Promise<unknown>): Promise<{ ms: number, err: Error }> => {
      const t0 = Date.now()
      const err = await p.then(() => undefined, (e: Error) => e)
      assert.ok(err !== undefined, 'it failed')
      return { ms: Date.now() - t0, err }
    }
    const dup = await timed(store.recordSentBatch([out(2, '["1"]')]))
    assert.strictEqual(dup.err.name, 'DuplicateOriginError', dup.err.message)
    await direct!.query(`UPDATE ${q('fix_session_sender')} SET next_sender_seq = 50 WHERE session_name = 'RSP'`)
    const moved = await timed(store.recordSentBatch([out(2)]))
    assert.strictEqual(moved.err.name, 'SessionOwnershipError', moved.err.message)
    const fresh = open('RSP2')
    await fresh.store.load()
    await direct!.query(`ALTER TABLE ${q('fix_out')} RENAME TO fix_out_away`)
    let missing: { ms: number, err: Error }
    try {
      missing = await timed(fresh.store.recordSent(out(1, '["1"]')))
    } finally {
      await direct!.query(`ALTER TABLE ${q('fix_out_away')} RENAME TO fix_out`)
    }
    assert.strictEqual((missing.err as { code?: string }).code, '42P01', missing.err.message)
    for (const r of [dup, moved, missing]) assert.ok(r.ms < 1000, `${r.err.name} took ${r.ms} ms: it was retried`)
    assert.deepStrictEqual([...outages, ...fresh.outages], [], 'no outage told for a permanent error')
  })

  it('stops waiting when the session stops: the call fails with RetryAbortedError', async function () {
    this.timeout(30000)
    const server = faulty.pg
    const stop = new AbortController()
    const { store, outages } = open('RSA', stop.signal)
    await store.load()
    server.proxy.cut()
    server.proxy.refuse()
    try {
      const write = store.recordSent(out(1, '["1"]')).then(() => undefined, (e: Error) => e)
      await eventually(() => outages.length === 1, 20000, 'the store waiting')
      stop.abort()
      const err = await write
      assert.ok(err instanceof RetryAbortedError, String(err))
    } finally {
      server.proxy.accept()
    }
    assert.deepStrictEqual((await held('RSA')).out, [], 'nothing journaled')
  })

  it('tells a refused login that comes during an outage begun as something else, so the status can name it',
    async function () {
      this.timeout(60000)
      const server = faulty.pg
      const role = `fs_store_${process.pid}_${Math.floor(Math.random() * 1e6)}`
      await direct!.query(`CREATE ROLE "${role}" LOGIN`)
      await direct!.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`)
      await direct!.query(`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA "${schema}" TO "${role}"`)
      await direct!.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA "${schema}" TO "${role}"`)
      const url = new URL(server.url)
      url.username = role
      const asRole = await PgDatabase.open({ connectionString: url.toString(), max: 2, onError: () => {} })
      const told: string[] = []
      const store = retryingStore(new DatabaseMessageStore(asRole, schema, 'RSL'), {
        signal: new AbortController().signal,
        onOutage: err => told.push(err === undefined ? 'back' : describeDbError(err))
      })
      // The sender's row held by another transaction: the write waits on the server for its lock.
      const holder = new Client({ connectionString: server.directUrl })
      await holder.connect()
      try {
        await store.load()
        await holder.query('BEGIN')
        await holder.query(`SELECT * FROM ${q('fix_session_sender')} WHERE session_name = 'RSL' FOR UPDATE`)
        const write = store.recordSent(out(1, '["1"]'))
        await eventually(async () => (await direct!.query(
          "SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'", [role])).rowCount === 1,
        10000, 'the write waiting for the lock')
        // A DBA refuses the role's logins and ends its sessions: the outage begins as "terminating
        // connection", and every try after it is refused.
        await direct!.query(`ALTER ROLE "${role}" NOLOGIN`)
        await direct!.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role])
        await eventually(() => told.some(t => /not permitted to log in/.test(t)), 20000, 'the refused login told')
        assert.match(told[0], /terminating connection/)
        await direct!.query(`ALTER ROLE "${role}" LOGIN`)
        await holder.query('ROLLBACK')
        assert.strictEqual(await write, true)
        assert.deepStrictEqual(told.slice(-1), ['back'])
        assert.strictEqual(told.filter(t => /not permitted to log in/.test(t)).length, 1, 'told once per text')
        assert.deepStrictEqual((await held('RSL')).out, [1], 'journaled once')
      } finally {
        await holder.end()
        await asRole.close()
        await direct!.query(`DROP OWNED BY "${role}"`)
        await direct!.query(`DROP ROLE "${role}"`)
      }
    })
})
