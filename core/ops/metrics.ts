import type { Counter, Gauge } from 'prom-client'
import { HEALTH_CODES, Overview, SESSION_STATE_CODES } from './overview'
import { processRegistry } from './process-metrics'

/**
 * The Prometheus text exposition of an Overview, written by prom-client. A fresh registry per
 * scrape: every value is read from the live parts at scrape time, so nothing here can drift from
 * what the sidebar shows. Counters are the parts' own running totals (monotonic while Node-RED
 * runs; a restart starts them at 0, which Prometheus' rate() handles). The Node.js process's own series
 * (process-metrics.ts) follow the pack's.
 */
/** prom-client's Registry.PROMETHEUS_CONTENT_TYPE (the metrics spec checks they agree). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export async function renderMetrics (o: Overview): Promise<string> {
  // Loaded at the first scrape, not with the pack: about 1.5 MB of heap a Node-RED nobody scrapes need not keep.
  const { Counter, Gauge, Registry } = await import('prom-client')
  const registers = [new Registry()]
  const gauge = (name: string, help: string, labelNames: string[]): Gauge =>
    new Gauge({ name, help, labelNames, registers })
  const counter = (name: string, help: string, labelNames: string[]): Counter =>
    new Counter({ name, help, labelNames, registers })

  const sState = gauge('fix_streamers_session_state', 'FIX session state: 4 logged on, 3 logon pending, 2 ' +
    'connecting, 1 disconnected, 5 logging out, 0 not started, -1 error', ['session', 'role'])
  const sUp = gauge('fix_streamers_session_logged_on', '1 when the FIX session is logged on', ['session'])
  const sSender = gauge('fix_streamers_session_next_sender_seq', 'Next outgoing MsgSeqNum', ['session'])
  const sTarget = gauge('fix_streamers_session_next_target_seq', 'Next expected incoming MsgSeqNum', ['session'])
  const sIn = counter(
    'fix_streamers_session_messages_in_total',
    'FIX messages received, by MsgType (admin messages included)',
    ['session', 'msg_type']
  )
  const sOut = counter(
    'fix_streamers_session_messages_out_total',
    'FIX messages sent, by MsgType (admin messages and resends included)',
    ['session', 'msg_type']
  )
  const sResends = counter('fix_streamers_session_resends_total', 'ResendRequests answered', ['session'])
  const sResendReq = counter('fix_streamers_session_resend_requests_sent_total', 'ResendRequests sent (gaps seen)', [
    'session'
  ])
  const sRejects = counter('fix_streamers_session_rejects_total', 'Rejects, by direction and kind', [
    'session',
    'direction',
    'kind'
  ])
  const sLogons = counter('fix_streamers_session_logons_total', 'Logons completed', ['session'])
  const sLogouts = counter('fix_streamers_session_logouts_total', 'Logouts (either side)', ['session'])
  const sProblem = gauge(
    'fix_streamers_session_problem',
    '1 when the session cannot be read or started (database down, dictionary not loaded)',
    ['session']
  )
  for (const s of o.sessions) {
    sState.set({ session: s.name, role: s.role }, SESSION_STATE_CODES[s.state] ?? 0)
    sUp.set({ session: s.name }, s.state === 'logged-on' ? 1 : 0)
    if (s.nextSenderSeq !== undefined) sSender.set({ session: s.name }, s.nextSenderSeq)
    if (s.nextTargetSeq !== undefined) sTarget.set({ session: s.name }, s.nextTargetSeq)
    sProblem.set({ session: s.name }, s.problem !== undefined ? 1 : 0)
    const a = s.activity
    if (a === undefined) continue
    for (const [t, n] of Object.entries(a.inByType)) sIn.inc({ session: s.name, msg_type: t }, n)
    for (const [t, n] of Object.entries(a.outByType)) sOut.inc({ session: s.name, msg_type: t }, n)
    sResends.inc({ session: s.name }, a.resends)
    sResendReq.inc({ session: s.name }, a.resendRequestsSent)
    sRejects.inc({ session: s.name, direction: 'sent', kind: 'session' }, a.rejectsSent)
    sRejects.inc({ session: s.name, direction: 'sent', kind: 'business' }, a.businessRejectsSent)
    sRejects.inc({ session: s.name, direction: 'received', kind: 'session' }, a.rejectsReceived)
    sLogons.inc({ session: s.name }, a.logons)
    sLogouts.inc({ session: s.name }, a.logouts)
  }

  const stDelivered = counter(
    'fix_streamers_stream_rows_delivered_total',
    'Rows the stream delivered to its streamer clients',
    ['stream']
  )
  const stLag = gauge(
    'fix_streamers_stream_head_lag_rows',
    'Rows between the slowest client and the head of the stream (counted up to 10000)',
    ['stream']
  )
  const stRead = counter(
    'fix_streamers_stream_rows_read_total',
    'Rows the streamer read from its source table (the rows its filter passed)',
    ['stream']
  )
  const stSubs = gauge('fix_streamers_stream_subscribers', 'Open subscriptions', ['stream'])
  const stProblem = gauge('fix_streamers_stream_problem', '1 when the stream cannot read (its reason is in the ' +
    'sidebar)', ['stream'])
  for (const s of o.streams) {
    stDelivered.inc({ stream: s.name }, s.rowsDelivered)
    if (s.rowsRead !== undefined) stRead.inc({ stream: s.name }, s.rowsRead)
    stProblem.set({ stream: s.name }, s.problem !== undefined ? 1 : 0)
    stSubs.set({ stream: s.name }, s.subscribers)
    if (s.headLag !== undefined) stLag.set({ stream: s.name }, s.headLag)
  }

  const cDelivered = counter('fix_streamers_client_delivered_total', 'Rows the client handed to its target', [
    'client',
    'stream'
  ])
  const cConfirmed = counter('fix_streamers_client_confirmed_total', 'Rows the target confirmed', ['client', 'stream'])
  const cInFlight = gauge('fix_streamers_client_in_flight', 'Rows sent and not yet confirmed', ['client', 'stream'])
  const cLimit = gauge('fix_streamers_client_in_flight_limit', 'The in-flight window', ['client', 'stream'])
  const cLag = gauge('fix_streamers_client_lag_rows', 'Rows behind the head of the stream (counted up to 10000)', [
    'client',
    'stream'
  ])
  const cHealth = gauge('fix_streamers_client_health', 'Client health: 0 healthy, 1 warning, 2 error', [
    'client',
    'stream'
  ])
  const cFailed = gauge('fix_streamers_client_failed', '1 when the client stopped or failed and needs a person', [
    'client',
    'stream'
  ])
  const cFailures = counter(
    'fix_streamers_client_failures_total',
    'Rows given up after repeated failures (skipped, or the one the client stopped before)',
    ['client', 'stream']
  )
  const cProblem = gauge('fix_streamers_client_problem', '1 when something keeps the client from streaming (its ' +
    'reason is in the sidebar)', ['client', 'stream'])
  for (const c of o.clients) {
    const l = { client: c.name, stream: c.stream ?? '' }
    cProblem.set(l, c.problem !== undefined ? 1 : 0)
    cDelivered.inc(l, c.delivered)
    cConfirmed.inc(l, c.confirmed)
    cInFlight.set(l, c.inFlight)
    cLimit.set(l, c.limit)
    if (c.lag !== undefined) cLag.set(l, c.lag)
    cHealth.set(l, HEALTH_CODES[c.health ?? ''] ?? 0)
    cFailed.set(l, c.phase === 'failed' || c.phase === 'stopped' ? 1 : 0)
    cFailures.inc(l, c.failed)
  }

  const dUp = gauge('fix_streamers_database_connected', '1 when the database is open and migrated', [
    'database',
    'kind'
  ])
  const dInUse = gauge('fix_streamers_database_pool_in_use', 'Pool connections checked out', ['database'])
  const dIdle = gauge('fix_streamers_database_pool_idle', 'Pool connections idle', ['database'])
  const dWaiting = gauge('fix_streamers_database_pool_waiting', 'Queries waiting for a pool connection', ['database'])
  const dErrors = counter('fix_streamers_database_errors_total', 'Connection failures (each retry) and pool errors', [
    'database'
  ])
  for (const d of o.databases) {
    dUp.set({ database: d.name, kind: d.kind }, d.state === 'connected' ? 1 : 0)
    if (d.poolTotal !== undefined && d.poolIdle !== undefined) {
      dInUse.set({ database: d.name }, d.poolTotal - d.poolIdle)
      dIdle.set({ database: d.name }, d.poolIdle)
    }
    if (d.poolWaiting !== undefined) dWaiting.set({ database: d.name }, d.poolWaiting)
    dErrors.inc({ database: d.name }, d.errors)
  }
  return await Registry.merge([registers[0], await processRegistry()]).metrics()
}
