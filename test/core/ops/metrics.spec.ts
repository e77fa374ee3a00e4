import * as assert from 'assert'
import { execFileSync } from 'child_process'
import { EventEmitter } from 'events'
import { PerformanceObserver } from 'perf_hooks'
import { controlOf, ControlInputError } from '../../../core/ops/control'
import { METRICS_CONTENT_TYPE, renderMetrics } from '../../../core/ops/metrics'
import type { Overview } from '../../../core/ops/overview'
import { scopeHolds } from '../../../core/ops/permissions'
import { msgTypeOfRaw, SessionActivity } from '../../../core/ops/session-activity'
import { nullLog } from '../../../core/fix-session/session-log'

const SOH = '\x01'

describe('operator console: session activity, metrics, permissions and control input', () => {
  it('counts frames by MsgType in and out, and the last minute only', () => {
    let now = Date.UTC(2026, 0, 1, 10)
    const a = new SessionActivity(() => now)
    const log = a.tap(nullLog)
    log.outgoing(`8=FIX.4.4${SOH}9=5${SOH}35=A${SOH}10=000${SOH}`)
    log.incoming(`8=FIX.4.4${SOH}9=5${SOH}35=A${SOH}10=000${SOH}`)
    log.incoming(`8=FIX.4.4${SOH}9=5${SOH}35=8${SOH}10=000${SOH}`)
    now += 61000
    log.incoming(`8=FIX.4.4${SOH}9=5${SOH}35=8${SOH}10=000${SOH}`)
    const s = a.snapshot()
    assert.deepStrictEqual(s.inByType, { A: 1, 8: 2 })
    assert.deepStrictEqual(s.outByType, { A: 1 })
    assert.deepStrictEqual(s.lastMinute, { in: 1, out: 0, rejects: 0 })
    assert.strictEqual(msgTypeOfRaw('garbage'), '?')
  })

  it("follows a runtime's events: logons, the operator's logout reason, rejects, the peer address", () => {
    const a = new SessionActivity()
    const rt = new EventEmitter()
    a.follow(rt)
    rt.emit('event', { type: 'connected', remote: '127.0.0.1:5001' })
    rt.emit('event', { type: 'logon', resetSeqNum: false, heartBtInt: 30 })
    a.expectLogout('maintenance (by alice)')
    rt.emit('event', { type: 'logout', text: 'logout confirmed', initiatedBy: 'us' })
    rt.emit('event', { type: 'reject-received', msgType: '3', text: 'bad tag' })
    // A second runtime (redeploy) replaces the first: the old one is no longer heard.
    const rt2 = new EventEmitter()
    a.follow(rt2)
    rt.emit('event', { type: 'logon', resetSeqNum: false, heartBtInt: 30 })
    rt2.emit('event', { type: 'resend', begin: 1, end: 3, resent: 2, gapFills: 1 })
    const s = a.snapshot()
    assert.strictEqual(s.remote, '127.0.0.1:5001')
    assert.strictEqual(s.logons, 1)
    assert.strictEqual(s.logouts, 1)
    assert.strictEqual(s.lastLogout?.text, 'maintenance (by alice) (logout confirmed)')
    assert.strictEqual(s.rejectsReceived, 1)
    assert.strictEqual(s.resends, 1)
    assert.strictEqual(s.lastMinute.rejects, 1)
  })

  it('renders the overview in the Prometheus text format with one series ' +
    'per session, client and database', async () => {
    const o: Overview = {
      at: '',
      sessions: [
        {
          id: 's',
          name: 'FIX.4.4:A->B',
          label: 'a',
          role: 'initiator',
          address: 'h:1',
          state: 'logged-on',
          nextSenderSeq: 7,
          nextTargetSeq: 9,
          activity: {
            inByType: { 8: 4 },
            outByType: { D: 2 },
            rejectsSent: 1,
            rejectsReceived: 0,
            businessRejectsSent: 0,
            resendRequestsSent: 0,
            resends: 3,
            logons: 1,
            logouts: 0,
            lastMinute: { in: 0, out: 0, rejects: 0 }
          }
        }
      ],
      streams: [{ id: 'st', name: 'orders', subscribers: 2, rowsDelivered: 10, rate: 1, headLag: 4 }],
      clients: [
        {
          id: 'c',
          name: 'to-fix',
          stream: 'orders',
          phase: 'live',
          health: 'WARNING',
          inFlight: 3,
          limit: 100,
          delivered: 10,
          confirmed: 7,
          failed: 2,
          rate: 1,
          lag: 4
        }
      ],
      databases: [
        {
          id: 'd',
          name: 'main "db"',
          kind: 'pg',
          schema: 'fx',
          state: 'connected',
          poolTotal: 5,
          poolIdle: 3,
          poolWaiting: 1,
          errors: 2
        }
      ]
    }
    const text = await renderMetrics(o)
    for (const line of [
      'fix_streamers_session_state{session="FIX.4.4:A->B",role="initiator"} 4',
      'fix_streamers_session_next_sender_seq{session="FIX.4.4:A->B"} 7',
      'fix_streamers_session_messages_in_total{session="FIX.4.4:A->B",msg_type="8"} 4',
      'fix_streamers_session_rejects_total{session="FIX.4.4:A->B",direction="sent",kind="session"} 1',
      'fix_streamers_session_resends_total{session="FIX.4.4:A->B"} 3',
      'fix_streamers_stream_head_lag_rows{stream="orders"} 4',
      'fix_streamers_client_in_flight{client="to-fix",stream="orders"} 3',
      'fix_streamers_client_health{client="to-fix",stream="orders"} 1',
      'fix_streamers_client_failures_total{client="to-fix",stream="orders"} 2',
      'fix_streamers_database_pool_in_use{database="main \\"db\\""} 2',
      'fix_streamers_database_pool_waiting{database="main \\"db\\""} 1',
      'fix_streamers_database_errors_total{database="main \\"db\\""} 2'
    ]) { assert.ok(text.split('\n').includes(line), `missing: ${line}`) }
    assert.match(text, /^# TYPE fix_streamers_session_messages_out_total counter$/m)
  })

  it('loads prom-client at the first scrape, not with the pack, and answers with its content type', async () => {
    // A fresh process: in this one another spec may have loaded prom-client already.
    const probe = `require(${JSON.stringify(require.resolve('../../../core/ops'))})
      console.log(Object.keys(require.cache).filter(f => /[\\\\/]prom-client[\\\\/]/.test(f)).length)`
    assert.strictEqual(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }).trim(), '0')
    const prom = await import('prom-client')
    assert.strictEqual(METRICS_CONTENT_TYPE, prom.Registry.PROMETHEUS_CONTENT_TYPE)
  })

  it("follows the pack's series with the Node.js process's own: CPU, memory, heap, event loop lag and " +
    'garbage collection pauses, counted across scrapes', async () => {
    const empty: Overview = { at: '', sessions: [], streams: [], clients: [], databases: [] }
    const first = await renderMetrics(empty)
    const names = ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds', 'nodejs_active_handles_total']
    for (const name of names) {
      assert.match(first, new RegExp(`^${name} [0-9.e+-]+$`, 'm'), name)
    }
    assert.match(first, /^# TYPE nodejs_gc_duration_seconds histogram$/m)
    // The collectors run from the first scrape on: young-generation collections made now are counted by the next.
    const minor = (text: string): number =>
      Number(/^nodejs_gc_duration_seconds_count\{kind="minor"\} (\S+)$/m.exec(text)?.[1] ?? 0)
    let later = first
    for (let round = 0; round < 50 && minor(later) <= minor(first); round++) {
      const junk: Array<{ i: number }> = []
      for (let i = 0; i < 100000; i++) junk.push({ i }) // about 3 MB for the young generation
      assert.strictEqual(junk.length, 100000)
      await new Promise(resolve => setTimeout(resolve, 20))
      later = await renderMetrics(empty)
    }
    assert.ok(minor(later) > minor(first), `minor collections counted: ${minor(first)} then ${minor(later)}`)
    // A pause of a few milliseconds falls in a bucket of its own, not between 1 and 10 ms.
    assert.match(later, /^nodejs_gc_duration_seconds_bucket\{le="0\.005",kind="minor"\} \d+$/m)
    const cpu = (text: string): number => Number(/^process_cpu_user_seconds_total (\S+)$/m.exec(text)?.[1])
    assert.ok(cpu(later) > cpu(first), `user CPU ${cpu(first)} then ${cpu(later)}`)
  })

  it('counts every garbage collection of a long synchronous task, not one per event loop turn', async function () {
    this.timeout(10000) // a busy machine may take a few seconds over the allocation
    const empty: Overview = { at: '', sessions: [], streams: [], clients: [], databases: [] }
    const counts = /^nodejs_gc_duration_seconds_count\{kind="[a-z]+"\} (\S+)$/gm
    const count = (text: string): number => [...text.matchAll(counts)].reduce((n, m) => n + Number(m[1]), 0)
    let seen = 0
    const watch = new PerformanceObserver(list => { seen += list.getEntries().length })
    watch.observe({ entryTypes: ['gc'] })
    try {
      const before = count(await renderMetrics(empty))
      const from = seen
      // Without yielding, short-lived objects many times the young generation (whatever size it has
      // grown to, and however busy the machine: a count, not a time): young-generation collections,
      // all delivered in one callback after it.
      let junk: Array<{ i: number }> = []
      for (let i = 0; i < 5_000_000; i++) {
        junk.push({ i })
        if (junk.length > 50000) junk = []
      }
      await new Promise(resolve => setTimeout(resolve, 50))
      const during = seen - from
      assert.ok(during >= 3, `only ${during} collections while allocating 5 million objects`)
      const after = count(await renderMetrics(empty))
      assert.ok(after - before >= during, `${after - before} counted, ${during} happened`)
    } finally {
      watch.disconnect()
    }
  })

  it("mirrors Node-RED's scope rule: read holds every .read, write every .write, * everything", () => {
    assert.strictEqual(scopeHolds('*', 'fix-streamers.write'), true)
    assert.strictEqual(scopeHolds('read', 'fix-streamers.read'), true)
    assert.strictEqual(scopeHolds('read', 'fix-streamers.write'), false)
    assert.strictEqual(scopeHolds(['read', 'fix-streamers.write'], 'fix-streamers.write'), true)
    assert.strictEqual(scopeHolds('write', 'fix-streamers.write'), true)
    assert.strictEqual(scopeHolds(undefined, 'fix-streamers.read'), false)
  })

  it('turns a request body into a session control command, refusing anything else', () => {
    assert.deepStrictEqual(controlOf({ command: 'logout' }, 'by bob'), { command: 'logout', text: 'by bob' })
    assert.deepStrictEqual(controlOf({ command: 'set-sequence', nextSenderSeq: '12' }, ''), {
      command: 'set-sequence',
      nextSenderSeq: 12,
      nextTargetSeq: undefined
    })
    assert.throws(() => controlOf({ command: 'set-sequence' }, ''), ControlInputError)
    assert.throws(() => controlOf({ command: 'set-sequence', nextTargetSeq: 0 }, ''), /at least 1/)
    assert.throws(() => controlOf({ command: 'drop-table' }, ''), ControlInputError)
  })
})
