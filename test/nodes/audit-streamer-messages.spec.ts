import * as assert from 'assert'
import { PgliteDatabase } from '../../core/db'
import type { AuditTableResult, StreamRow } from '../../core/stream'
import { auditTableLines, rowMessages, subscriptionLine } from '../../nodes/audit-streamer/messages'
import { streamerDatabase } from '../../nodes/audit-streamer/managed-table'
import { translator } from '../../nodes/shared/i18n'
import catalog = require('../../nodes/audit-streamer/locales/en-US/audit-streamer.json')

// No runtime catalog: the node's own en-US texts, as under node-red-node-test-helper.
const t = translator({ _: (key: string) => key }, catalog)

describe('audit-streamer messages and log lines', () => {
  const rows: StreamRow[] = [
    { stream: 'orders', position: ['1', '1'], replay: true, row: { id: 1 } },
    { stream: 'orders', position: ['1', '2'], replay: false, row: { id: 2 } }
  ]

  it('sends one message per row, with its stream, position and replay flag', () => {
    const stream = (seq: string, replay: boolean): unknown =>
      ({ name: 'orders', streamer: 's1', position: ['1', seq], replay })
    assert.deepStrictEqual(rowMessages(rows, { topic: 'orders', streamer: 's1', perBatch: false }), [
      { payload: { id: 1 }, topic: 'orders', stream: stream('1', true) },
      { payload: { id: 2 }, topic: 'orders', stream: stream('2', false) }
    ])
  })

  it("sends one message per batch with the last row's position and the count", () => {
    assert.deepStrictEqual(rowMessages(rows, { topic: 'orders', streamer: 's1', perBatch: true }), [{
      payload: [{ id: 1 }, { id: 2 }],
      topic: 'orders',
      stream: { name: 'orders', streamer: 's1', position: ['1', '2'], replay: false, count: 2 }
    }])
  })

  it('logs a created audit table, warns of added columns and passes its warnings on', () => {
    const r = (over: Partial<AuditTableResult>): AuditTableResult => ({
      source: { schema: 'public', name: 'orders' },
      audit: { schema: 'public', name: 'orders_audit' },
      created: false,
      addedColumns: [],
      warnings: [],
      ...over
    })
    assert.deepStrictEqual(auditTableLines(r({ created: true, addedColumns: ['id'] }), t), [
      { level: 'log', text: 'created the audit table public.orders_audit' }
    ])
    assert.deepStrictEqual(auditTableLines(r({ addedColumns: ['qty', 'px'], warnings: ['px changed type'] }), t), [
      { level: 'warn', text: 'added columns to public.orders_audit: qty, px' },
      { level: 'warn', text: 'px changed type' }
    ])
    assert.deepStrictEqual(auditTableLines(r({}), t), [])
  })

  it('logs a stopped stream as an error, a retry a person must fix as an error, other retries as warnings, ' +
    'and a database outage not at all', () => {
    assert.deepStrictEqual(subscriptionLine({ phase: 'failed', error: 'bad' }, 'orders', t),
      { level: 'error', text: 'stream orders stopped: bad' })
    assert.deepStrictEqual(
      subscriptionLine({ phase: 'retrying', error: 'no table', retryInMs: 1, needsAction: true }, 'orders', t),
      { level: 'error', text: 'stream orders is retrying: no table' })
    assert.deepStrictEqual(
      subscriptionLine({ phase: 'retrying', error: 'delivery failed: x', retryInMs: 1 }, 'orders', t)?.level, 'warn')
    assert.strictEqual(subscriptionLine({ phase: 'retrying', error: 'connection refused', retryInMs: 1 }, 'o', t),
      undefined)
    assert.strictEqual(subscriptionLine({ phase: 'live' }, 'orders', t), undefined)
  })

  it('creates a managed audit table once per deploy, before the first read', async () => {
    const db = await PgliteDatabase.open()
    try {
      await db.exec('CREATE TABLE orders (id int PRIMARY KEY, qty int)')
      const results: AuditTableResult[] = []
      const open = streamerDatabase(async () => db, { managedSource: 'orders' }, r => results.push(r))
      assert.strictEqual(await open(), db)
      assert.strictEqual(await open(), db)
      assert.deepStrictEqual(results.map(r => [r.audit.name, r.created]), [['orders_audit', true]])
      const plain = streamerDatabase(async () => db, {}, r => results.push(r))
      assert.strictEqual(await plain(), db)
      assert.strictEqual(results.length, 1, 'no managed table: nothing done')
    } finally {
      await db.close()
    }
  })
})
