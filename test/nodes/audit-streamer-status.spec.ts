import * as assert from 'assert'
import { auditStreamerStatus, databaseOutage, streamerStatus } from '../../nodes/audit-streamer/status-text'
import { startSetting, streamerSettings, defaultChannel } from '../../nodes/audit-streamer/config'

const labels = { live: 'live', idle: 'idle', starting: 'starting', replaying: 'replaying' }

describe('audit-streamer status and settings', () => {
  it('shows replay progress of the subscriber furthest behind, with thousands separators', () => {
    const s = streamerStatus(
      [
        { phase: 'live' },
        { phase: 'replaying', delivered: 120000, remaining: 880000 },
        { phase: 'replaying', delivered: 5, remaining: 5 }
      ],
      labels
    )
    assert.deepStrictEqual(s, { fill: 'blue', shape: 'dot', text: 'replaying 120,000 / 1,000,000' })
  })
  it('shows live in green, and faults in red with the reason', () => {
    assert.deepStrictEqual(streamerStatus([{ phase: 'live' }], labels), { fill: 'green', shape: 'dot', text: 'live' })
    const r = streamerStatus(
      [{ phase: 'live' }, { phase: 'retrying', error: 'connection refused', retryInMs: 1000 }],
      labels
    )
    assert.strictEqual(r.fill, 'red')
    assert.strictEqual(r.text, 'waiting for database: connection refused')
    assert.strictEqual(
      streamerStatus([{ phase: 'failed', error: 'table "a.b" does not exist' }], labels).text,
      'table "a.b" does not exist'
    )
  })
  it('says "waiting for database: <reason>" during an outage, in a few words, and not for other retries', () => {
    const refused = 'connection refused: is the server running and listening on that host and port? ' +
      '(connect ECONNREFUSED 127.0.0.1:5432)'
    const shutdown = 'the server is shutting down (terminating connection due to administrator command)'
    const text = (s: Parameters<typeof streamerStatus>[0][0]): unknown => streamerStatus([s], labels).text
    assert.strictEqual(
      text({ phase: 'retrying', error: refused, retryInMs: 1000 }),
      'waiting for database: connection refused'
    )
    assert.strictEqual(
      text({ phase: 'retrying', error: shutdown, retryInMs: 1000 }),
      'waiting for database: the server is shutting down'
    )
    // A missing table waits for a person, a failed delivery for the subscriber: not the database.
    assert.strictEqual(
      text({ phase: 'retrying', error: 'table "app.orders" does not exist', retryInMs: 1000, needsAction: true }),
      'table "app.orders" does not exist'
    )
    assert.strictEqual(
      text({ phase: 'retrying', error: 'delivery failed: the target is full', retryInMs: 1000 }),
      'delivery failed: the target is full'
    )
    // Before any subscription ran, the connection's own retry says the same.
    assert.deepStrictEqual(
      auditStreamerStatus({ connection: { state: 'retrying', error: refused }, states: [] }, labels),
      { fill: 'red', shape: 'ring', text: 'waiting for database: connection refused' }
    )
  })
  it('knows one database outage across subscriptions and backoff rounds, and when it ends', () => {
    const down = { phase: 'retrying' as const, error: 'Connection terminated unexpectedly', retryInMs: 500 }
    assert.strictEqual(databaseOutage({ states: [{ phase: 'live' }, down] }), 'Connection terminated unexpectedly')
    assert.strictEqual(databaseOutage({ connection: { state: 'retrying', error: 'x' }, states: [] }), 'x')
    assert.strictEqual(databaseOutage({ states: [{ phase: 'live' }, { ...down, needsAction: true }] }), undefined)
    assert.strictEqual(databaseOutage({ connection: { state: 'connected' }, states: [{ phase: 'live' }] }), undefined)
    // The database node tries again through 'connecting': that does not end the outage.
    assert.strictEqual(databaseOutage({ connection: { state: 'connecting' }, states: [], outage: 'x' }), 'x')
    assert.strictEqual(databaseOutage({ connection: { state: 'connecting' }, states: [] }), undefined)
  })
  it('maps the panel to streamer options, managed audit tables included', () => {
    const plain = streamerSettings(
      {
        table: 'app.fix_in',
        positionColumns: 'tx, seq',
        batchSize: '',
        listen: true,
        columns: [{ column: 'a', as: '' }]
      }
    )
    assert.deepStrictEqual(
      [plain.name, plain.table, plain.positionColumns, plain.batchSize, plain.listenChannel, plain.columns],
      ['fix_in', 'app.fix_in', ['tx', 'seq'], 500, 'fs_app_fix_in', [{ column: 'a', as: undefined }]]
    )
    const managed = streamerSettings({ table: 'orders', managed: true, stream: 'orders', listen: false })
    assert.deepStrictEqual(
      [managed.table, managed.positionColumns, managed.timeColumn, managed.listenChannel, managed.managedSource],
      ['public.orders_audit', ['audit_tx', 'audit_seq'], 'audit_event_time', undefined, 'orders']
    )
    // Notify on INSERT statements only: for a managed table that listens; otherwise every change.
    assert.strictEqual(streamerSettings({ table: 'orders', managed: true, notifyOn: 'insert' }).notifyOn, 'insert')
    assert.strictEqual(streamerSettings({ table: 'orders', managed: true }).notifyOn, undefined)
    const unmanaged = streamerSettings({ table: 'orders', positionColumns: 'seq', managed: false, notifyOn: 'insert' })
    assert.strictEqual(unmanaged.notifyOn, undefined)
    // Record (managed table): a list or a comma-separated text, checked; missing or unmanaged means every event.
    assert.deepStrictEqual(streamerSettings({ table: 'orders', managed: true, auditEvents: ['insert'] }).auditEvents,
      ['insert'])
    assert.deepStrictEqual(
      streamerSettings({ table: 'orders', managed: true, auditEvents: 'delete, INSERT' }).auditEvents,
      ['insert', 'delete'])
    assert.strictEqual(streamerSettings({ table: 'orders', managed: true }).auditEvents, undefined)
    assert.strictEqual(streamerSettings({ table: 'o', positionColumns: 'seq', auditEvents: [] }).auditEvents, undefined)
    assert.throws(() => streamerSettings({ table: 'orders', managed: true, auditEvents: [] }),
      { name: 'AuditEventsError', message: /no audit events chosen: record at least one of insert, update, delete/ })
    assert.throws(() => streamerSettings({ table: 'orders', managed: true, auditEvents: 'insert,truncate' }),
      /unknown audit event "truncate": choose from insert, update, delete/)
    assert.throws(() => streamerSettings({ table: '' }), /no source table/)
    assert.throws(() => streamerSettings({ table: 't', positionColumns: 'seq', batchSize: 0 }), /batch size/)
    assert.throws(
      () => streamerSettings({ table: 't', positionColumns: 'seq', listen: true, channel: 'Bad-Channel' }),
      /lower-case identifier/
    )
    assert.ok(defaultChannel('s.' + 'x'.repeat(100)).length <= 63)
  })
  it('reads the output start setting', () => {
    assert.deepStrictEqual(startSetting({ start: 'position', startValue: '7421, 1093' }), {
      kind: 'after',
      position: ['7421', '1093']
    })
    assert.deepStrictEqual(startSetting({ start: 'position', startValue: '["7", "9"]' }), {
      kind: 'after',
      position: ['7', '9']
    })
    assert.deepStrictEqual(startSetting({ start: 'timestamp', startValue: '2024-01-31T09:00:00Z' }), {
      kind: 'timestamp',
      at: '2024-01-31T09:00:00Z'
    })
    assert.throws(() => startSetting({ start: 'timestamp', startValue: 'soon' }), /not a timestamp/)
  })
  it('hands the start setting to the streamer as where clients with no checkpoint start', () => {
    const base = { table: 'app.fix_in', positionColumns: 'tx, seq', listen: false }
    assert.deepStrictEqual(streamerSettings({ ...base }).initialStart, { kind: 'live' })
    assert.deepStrictEqual(streamerSettings({ ...base, start: 'beginning' }).initialStart, { kind: 'beginning' })
    assert.deepStrictEqual(
      streamerSettings({ ...base, start: 'position', startValue: '7421, 1093' }).initialStart,
      { kind: 'after', position: ['7421', '1093'] }
    )
    assert.throws(
      () => streamerSettings({ ...base, start: 'position', startValue: '1093' }),
      /start position \["1093"\] must be a list of 2 whole numbers/
    )
    assert.throws(
      () => streamerSettings({ ...base, start: 'position', startValue: '7421, x' }),
      /start position .* holds "x"/
    )
    assert.throws(() => streamerSettings({ ...base, start: 'timestamp', startValue: 'soon' }), /not a timestamp/)
    assert.throws(
      () => streamerSettings({ ...base, start: 'timestamp', startValue: '2024-01-31T09:00:00Z' }),
      /needs a time column/
    )
    assert.deepStrictEqual(
      streamerSettings(
        { ...base, timeColumn: 'received', start: 'timestamp', startValue: '2024-01-31T09:00:00Z' }
      ).initialStart,
      { kind: 'timestamp', at: '2024-01-31T09:00:00Z' }
    )
  })
})
