import * as assert from 'assert'
import * as path from 'path'
import { PgDatabase } from '../../core'
import { waitFor } from '../support/e2e/harness'
import { dropSchema, serverOptions, uniqueSchema } from '../support/databases'
import { call, consoleNodeRed, deadDatabase, orderInject, runtime, SESSION_DEFAULTS, sessionPair } from './ops-harness'

/**
 * The operator console against a running flow with sessions, streams and clients: every series
 * issue 20 lists is in GET /fix-streamers/metrics with a plausible value; a client that cannot
 * stream says why (not just "client retrying"); a journal row that does not parse is served raw,
 * marked, without a 500. On the PostgreSQL server of DATABASE_URL when set (the pool series need
 * one), else on embedded PGlite.
 */
const SERVER = serverOptions() !== undefined
const GARBLED = 'this is not FIX at all'

/** The value of one series of a Prometheus text, or undefined when the series is absent. */
function sample (text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const have = m[2] === undefined ? [] : m[2].split(/,(?=[a-z_]+=")/)
    if (want.every(w => have.includes(w)) && have.length === want.length) return Number(m[3])
  }
  return undefined
}

describe(`operator console on a running flow: metrics, client problems, a garbled journal row (${runtime})`,
  function () {
    this.timeout(120000)
    const schema = uniqueSchema('ops')
    const nr = consoleNodeRed('ops-metrics-', ({ dir, fixPort, deadPort }) => {
      const client = (id: string, clientName: string, database = 'db-main'): object => ({
        id,
        z: 't',
        type: 'streamer-client',
        name: clientName,
        database,
        clientName,
        replayable: true,
        filter: '',
        mappings: [],
        payload: '',
        routeMode: 'single',
        routes: [],
        inFlight: 50,
        confirmMode: 'send',
        terminateOnError: false,
        wires: [[], []]
      })
      const streamer = (id: string, table: string, wires: string[]): object => ({
        id: `st-${id}`,
        z: 't',
        type: 'audit-streamer',
        name: id,
        database: 'db-main',
        stream: id,
        table: `${schema}.${table}`,
        managed: false,
        positionColumns: table === 'fix_in' ? 'tx, receive_seq' : 'tx, seq',
        listen: false,
        pollInterval: 200,
        batchSize: 500,
        filter: '',
        columns: [],
        start: 'beginning',
        output: 'row',
        wires: [wires]
      })
      const flows = [
        { id: 't', type: 'tab', label: 'ops' },
        SERVER
          ? {
              id: 'db-main',
              type: 'streamer-database',
              name: 'main',
              mode: 'server',
              urlEnv: 'DATABASE_URL',
              poolSize: 4,
              ssl: 'disable',
              schema
            }
          : {
              id: 'db-main',
              type: 'streamer-database',
              name: 'main',
              mode: 'embedded',
              dataDir: path.join(dir, 'pg'),
              schema
            },
        deadDatabase('db-down', deadPort, schema),
        ...sessionPair({ z: 't', fixPort, database: 'db-main', names: ['broker', 'client'] }),
        // No gateway uses it: a session whose journal holds only a row written by hand.
        {
          id: 'sold',
          type: 'fix-session',
          name: 'archive',
          role: 'initiator',
          host: '127.0.0.1',
          port: deadPort,
          senderCompID: 'OLD',
          targetCompID: 'ARC',
          database: 'db-main',
          ...SESSION_DEFAULTS
        },
        orderInject('order', 't', 'M-1'),
        { id: 'garble', z: 't', type: 'inject', once: false, props: [], wires: [['write']] },
        {
          id: 'write',
          z: 't',
          type: 'streamer-sql',
          database: 'db-main',
          params: [],
          event: '',
          eventType: 'str',
          reason: '',
          reasonType: 'str',
          wires: [[]],
          sql: `INSERT INTO ${schema}.fix_in (session_name, msg_seq_num, msg_type, sender_comp_id, target_comp_id, ` +
            `raw) VALUES ('FIX.4.4:OLD->ARC', 7, 'D', 'ARC', 'OLD', '${GARBLED}')`
        },
        streamer('fixin', 'fix_in', ['reader', 'lost']),
        client('reader', 'fix-in-reader'),
        client('lost', 'lost-reader', 'db-down'),
        streamer('ghost', 'nope', ['ghost']),
        client('ghost', 'ghost-reader')
      ]
      return flows
    })
    before(async () => {
      // An order sent before the logon would be refused (only a streamer client's message waits for it).
      await waitFor(async () => {
        const o = (await call(nr.base, nr.viewer, 'GET', 'fix-streamers/overview')).body
        return ['sa', 'si'].every(id => o.sessions?.find((x: any) => x.id === id)?.state === 'logged-on')
      }, 90000, 'both sessions logged on')
      assert.strictEqual((await call(nr.base, nr.operator, 'POST', 'inject/order')).status, 200)
      assert.strictEqual((await call(nr.base, nr.operator, 'POST', 'inject/garble')).status, 200)
    })
    after(async () => {
      if (SERVER) {
        const db = await PgDatabase.open(serverOptions()!)
        await dropSchema(db, schema).finally(async () => await db.close())
      }
    })

    /** The metrics once the order reached the broker's journal and the reader confirmed every row. */
    async function settled (): Promise<string> {
      let last = ''
      return await waitFor(async (): Promise<string | false> => {
        const r = await call(nr.base, nr.viewer, 'GET', 'fix-streamers/metrics')
        const t = String(r.body)
        last = t
        const ok = r.status === 200 &&
          sample(t, 'fix_streamers_session_messages_in_total', { session: 'FIX.4.4:BRK->CLI', msg_type: 'D' }) === 1 &&
          (sample(t, 'fix_streamers_client_confirmed_total', { client: 'fix-in-reader', stream: 'fixin' }) ?? 0) >= 2 &&
          sample(t, 'fix_streamers_client_lag_rows', { client: 'fix-in-reader', stream: 'fixin' }) === 0
        return ok ? t : false
      }, 30000, 'the order journaled and read by the stream').catch(async err => {
        const lines = last.split('\n').filter(l => /(_in_total|client_|stream_)/.test(l) && !l.startsWith('#'))
        let activity = ''
        if (SERVER) {
          const db = await PgDatabase.open(serverOptions()!)
          const a = await db.query('SELECT pid, state, backend_xmin::text, backend_xid::text, left(query, 80) AS q, ' +
            'application_name FROM pg_stat_activity WHERE backend_xmin IS NOT NULL OR backend_xid IS NOT NULL')
          const rows = await db.query(`SELECT receive_seq, tx::text, session_name, msg_type FROM ${schema}.fix_in`)
          const snap = await db.query('SELECT pg_current_snapshot()::text AS s')
          activity = JSON.stringify({ a: a.rows, rows: rows.rows, snap: snap.rows })
          await db.close()
        }
        throw new Error(`${String(err)}\n${lines.join('\n')}\n${activity}`)
      }) as string
    }

    it('has every session series: state, sequence numbers, messages by type, resends, rejects, logons', async () => {
      const t = await settled()
      const si = { session: 'FIX.4.4:CLI->BRK' }
      const expect: Array<[string, Record<string, string>, (v: number) => boolean]> = [
        ['fix_streamers_session_state', { ...si, role: 'initiator' }, v => v === 4],
        ['fix_streamers_session_logged_on', si, v => v === 1],
        ['fix_streamers_session_next_sender_seq', si, v => v >= 3],
        ['fix_streamers_session_next_target_seq', si, v => v >= 2],
        ['fix_streamers_session_messages_out_total', { ...si, msg_type: 'A' }, v => v === 1],
        ['fix_streamers_session_messages_out_total', { ...si, msg_type: 'D' }, v => v === 1],
        ['fix_streamers_session_messages_in_total', { ...si, msg_type: 'A' }, v => v === 1],
        ['fix_streamers_session_resends_total', si, v => v === 0],
        ['fix_streamers_session_resend_requests_sent_total', si, v => v === 0],
        ['fix_streamers_session_rejects_total', { ...si, direction: 'sent', kind: 'session' }, v => v === 0],
        ['fix_streamers_session_rejects_total', { ...si, direction: 'received', kind: 'session' }, v => v === 0],
        ['fix_streamers_session_rejects_total', { ...si, direction: 'sent', kind: 'business' }, v => v === 0],
        ['fix_streamers_session_logons_total', si, v => v === 1],
        ['fix_streamers_session_logouts_total', si, v => v === 0],
        ['fix_streamers_session_problem', si, v => v === 0],
        ['fix_streamers_session_problem', { session: 'FIX.4.4:OLD->ARC' }, v => v === 1]
      ]
      for (const [name, labels, ok] of expect) {
        const v = sample(t, name, labels)
        assert.ok(v !== undefined && ok(v), `${name}${JSON.stringify(labels)} = ${String(v)}`)
      }
    })

    it('has every stream and client series: rows read, head lag; delivered, confirmed, in flight, lag, ' +
      'failures', async () => {
      const t = await settled()
      const st = { stream: 'fixin' }
      const rd = { client: 'fix-in-reader', stream: 'fixin' }
      const expect: Array<[string, Record<string, string>, (v: number) => boolean]> = [
        // The broker's NewOrderSingle and the garbled row: the only application rows in fix_in.
        ['fix_streamers_stream_rows_read_total', st, v => v >= 2],
        ['fix_streamers_stream_rows_delivered_total', st, v => v >= 2],
        ['fix_streamers_stream_head_lag_rows', st, v => v === 0],
        ['fix_streamers_stream_subscribers', st, v => v >= 1],
        ['fix_streamers_stream_problem', st, v => v === 0],
        ['fix_streamers_stream_problem', { stream: 'ghost' }, v => v === 1],
        ['fix_streamers_client_delivered_total', rd, v => v >= 2],
        ['fix_streamers_client_confirmed_total', rd, v => v >= 2],
        ['fix_streamers_client_in_flight', rd, v => v === 0],
        ['fix_streamers_client_in_flight_limit', rd, v => v === 50],
        ['fix_streamers_client_lag_rows', rd, v => v === 0],
        ['fix_streamers_client_failures_total', rd, v => v === 0],
        ['fix_streamers_client_health', rd, v => v === 0],
        ['fix_streamers_client_failed', rd, v => v === 0],
        ['fix_streamers_client_problem', rd, v => v === 0],
        ['fix_streamers_client_problem', { client: 'ghost-reader', stream: 'ghost' }, v => v === 1]
      ]
      for (const [name, labels, ok] of expect) {
        const v = sample(t, name, labels)
        assert.ok(v !== undefined && ok(v), `${name}${JSON.stringify(labels)} = ${String(v)}`)
      }
    })

    it("has the Node.js process's series next to the pack's: CPU, resident memory, heap, event loop lag, " +
      'garbage collection pauses', async () => {
      await settled()
      const t = await waitFor(async (): Promise<string | false> => {
        const r = await call(nr.base, nr.viewer, 'GET', 'fix-streamers/metrics')
        const text = String(r.body)
        return (sample(text, 'nodejs_gc_duration_seconds_count', { kind: 'minor' }) ?? 0) > 0 ? text : false
      }, 30000, 'a young-generation collection in Node-RED counted') as string
      const expect: Array<[string, (v: number) => boolean]> = [
        ['process_cpu_user_seconds_total', v => v > 0],
        ['process_resident_memory_bytes', v => v > 20e6],
        ['nodejs_heap_size_used_bytes', v => v > 5e6],
        ['nodejs_eventloop_lag_p99_seconds', v => v >= 0 && v < 10],
        ['process_open_fds', v => v > 0]
      ]
      for (const [name, ok] of expect) {
        const v = sample(t, name, {})
        assert.ok(v !== undefined && ok(v), `${name} = ${String(v)}`)
      }
    })

    it('has every database series: pool in use, idle and waiting, errors', async function () {
      if (!SERVER) this.skip() // PGlite has no pool: these series need a PostgreSQL server (DATABASE_URL)
      const t = await settled()
      const db = { database: 'main' }
      const lines = t.split('\n').filter(l => l.startsWith('fix_streamers_database_')).join('\n')
      assert.strictEqual(sample(t, 'fix_streamers_database_connected', { ...db, kind: 'pg' }), 1, lines)
      const inUse = sample(t, 'fix_streamers_database_pool_in_use', db)
      const idle = sample(t, 'fix_streamers_database_pool_idle', db)
      assert.ok(inUse !== undefined && idle !== undefined && inUse >= 0 && inUse + idle >= 1 && inUse + idle <= 5,
        `in use ${String(inUse)}, idle ${String(idle)} (pool of 4, plus one for LISTEN)`)
      assert.strictEqual(sample(t, 'fix_streamers_database_pool_waiting', db), 0)
      assert.strictEqual(sample(t, 'fix_streamers_database_errors_total', db), 0)
      assert.ok((sample(t, 'fix_streamers_database_errors_total', { database: 'down' }) ?? 0) >= 1)
      assert.strictEqual(sample(t, 'fix_streamers_database_connected', { database: 'down', kind: 'pg' }), 0)
    })

    it("names what keeps a client from streaming, as its node's status says it, not just 'client retrying'",
      async () => {
        let last: unknown
        const o = await waitFor(async () => {
          const b = (await call(nr.base, nr.viewer, 'GET', 'fix-streamers/overview')).body
          const c = (id: string): any => b.clients.find((x: any) => x.id === id)
          last = b.clients
          return /does not exist/.test(c('ghost')?.problem) && /connection refused/.test(c('lost')?.problem)
            ? b
            : undefined
        }, 30000, 'both clients to report their problem').catch(err => {
          throw new Error(`${String(err)}; clients: ${JSON.stringify(last)}`)
        })
        const c = (id: string): any => o.clients.find((x: any) => x.id === id)
        assert.match(c('ghost').problem, new RegExp(`${schema}\\.nope.*does not exist|does not exist.*nope`))
        assert.doesNotMatch(c('ghost').problem, /^client /)
        assert.match(c('lost').problem, /^waiting for database: connection refused/)
        assert.strictEqual(c('reader').problem, undefined)
        // Its stream says the same, without waiting out a head probe on the missing table.
        assert.match(o.streams.find((x: any) => x.name === 'ghost').problem, /nope" does not exist/)
      })

    it('serves a journal row that does not parse raw, marked as not parsing, with no 500', async () => {
      const page = await waitFor(async () => {
        const r = await call(nr.base, nr.viewer, 'GET', 'fix-streamers/journal?session=sold')
        return r.status === 200 && r.body.entries.length > 0 ? r.body : undefined
      }, 20000, 'the garbled row in the journal')
      assert.deepStrictEqual(page.entries.map((e: any) => [e.direction, e.seq, e.msgType]), [['in', '7', 'D']])
      const r = await call(nr.base, nr.viewer, 'GET', `fix-streamers/journal/sold/in/${page.entries[0].id as string}`)
      assert.strictEqual(r.status, 200, JSON.stringify(r.body))
      assert.strictEqual(r.body.parses, false)
      assert.strictEqual(r.body.message.raw, GARBLED)
      assert.strictEqual(r.body.decoded, undefined)
      assert.match(r.body.problem, /^the stored message does not parse: /)
    })
  })
