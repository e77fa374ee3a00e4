import * as assert from 'assert'
import type { NodeMessage } from 'node-red'
import type { Disposition, FailOutcome } from '../../core/client'
import type { StreamRow } from '../../core/stream'
import { translator } from '../../nodes/shared/i18n'
import { DeliveryHost, DeliveryOptions, dispose, targetFailed } from '../../nodes/streamer-client/delivery'
import type { Transform } from '../../nodes/streamer-client/transform'
import catalog = require('../../nodes/streamer-client/locales/en-US/streamer-client.json')

const t = translator({ _: (key: string) => key }, catalog)

/** A node as delivery sees it: what it sent and which errors it raised. */
function host (): DeliveryHost & { sent: Array<Array<NodeMessage | null>>, errors: Array<[string, NodeMessage]> } {
  const sent: Array<Array<NodeMessage | null>> = []
  const errors: Array<[string, NodeMessage]> = []
  const send = (m: Array<NodeMessage | null>): void => { sent.push(m) }
  const error = (text: string, msg: NodeMessage): void => { errors.push([text, msg]) }
  return { id: 'c1', type: 'streamer-client', name: 'orders in', sent, errors, send, error }
}

/** Two outputs by side: buys on the first, sells on the second, the rest nowhere; qty 0 filtered out. */
const bySide: Transform = {
  outputs: 2,
  keep: async row => (row.row as { qty: number }).qty !== 0,
  route: async row => ['B', 'S'].indexOf((row.row as { side: string }).side),
  payload: async row => {
    const r = row.row as { qty: number, side: string }
    if (r.qty < 0) throw new Error('qty must be positive')
    return { quantity: r.qty }
  }
}

const row = (id: number, r: Record<string, unknown>): StreamRow =>
  ({ stream: 'orders', position: [String(id)], row: r, replay: false }) as unknown as StreamRow

let n = 0
const options = (o: Partial<DeliveryOptions> = {}): DeliveryOptions => ({
  clientName: 'orders', confirmOnSend: false, terminateOnError: false, attempts: 5, newId: () => `m${++n}`, t, ...o
})

describe('streamer-client delivery', () => {
  it('sends a kept row on its route\'s output, msg.stream saying where it is from, when the client says', async () => {
    const h = host()
    const d = await dispose(row(3, { qty: 5, side: 'S' }), bySide, 's1', h, options())
    assert.strictEqual(d.action, 'send')
    assert.strictEqual(h.sent.length, 0)
    if (d.action === 'send') d.send()
    assert.strictEqual(h.sent.length, 1)
    const [first, second, errors] = h.sent[0] as any[]
    assert.strictEqual(first, null)
    assert.strictEqual(errors, null)
    assert.deepStrictEqual(second.payload, { quantity: 5 })
    assert.strictEqual(second.topic, 'orders')
    assert.deepStrictEqual(second.stream,
      { name: 'orders', streamer: 's1', client: 'orders', clientId: 'c1', position: ['3'], replay: false })
    assert.strictEqual(d.action === 'send' && d.confirmed, false)
    const onSend = await dispose(row(4, { qty: 1, side: 'B' }), bySide, 's1', h, options({ confirmOnSend: true }))
    assert.strictEqual(onSend.action === 'send' && onSend.confirmed, true)
  })

  it('answers at once, with no promise, when the filter, route and payload are not JSONata', () => {
    const plain: Transform = {
      outputs: 2,
      keep: row => (row.row as { qty: number }).qty !== 0,
      route: row => ['B', 'S'].indexOf((row.row as { side: string }).side),
      payload: row => {
        const r = row.row as { qty: number, side: string }
        if (r.qty < 0) throw new Error('qty must be positive')
        return { quantity: r.qty }
      }
    }
    const h = host()
    const sent = dispose(row(5, { qty: 2, side: 'B' }), plain, 's1', h, options())
    assert.ok(!(sent instanceof Promise))
    assert.strictEqual(sent.action, 'send')
    if (sent.action === 'send') sent.send()
    assert.deepStrictEqual((h.sent[0] as any[])[0].payload, { quantity: 2 })
    assert.deepStrictEqual(dispose(row(6, { qty: 0, side: 'B' }), plain, 's1', h, options()), { action: 'skip' })
    assert.deepStrictEqual(dispose(row(7, { qty: 1, side: 'X' }), plain, 's1', h, options()), { action: 'skip' })
    const failed = dispose(row(8, { qty: -1, side: 'S' }), plain, 's1', h, options())
    assert.ok(!(failed instanceof Promise))
    assert.strictEqual(failed.action, 'reject')
    // A JSONata-like (asynchronous) transform still gives a promise.
    assert.ok(dispose(row(9, { qty: 1, side: 'B' }), bySide, 's1', h, options()) instanceof Promise)
  })

  it('skips a row filtered out or routed nowhere', async () => {
    const skip = { action: 'skip' }
    assert.deepStrictEqual(await dispose(row(1, { qty: 0, side: 'B' }), bySide, 's1', host(), options()), skip)
    assert.deepStrictEqual(await dispose(row(2, { qty: 1, side: 'X' }), bySide, 's1', host(), options()), skip)
  })

  it('sends a row the transform fails to the error output with msg.error, and raises the error', async () => {
    const h = host()
    const d: Disposition = await dispose(row(9, { qty: -1, side: 'B' }), bySide, 's1', h, options())
    assert.strictEqual(d.action, 'reject')
    if (d.action === 'reject') d.report()
    assert.strictEqual(h.errors.length, 1)
    assert.strictEqual(h.errors[0][0], 'row [9]: qty must be positive')
    const out = h.sent[0] as any[]
    assert.deepStrictEqual([out[0], out[1]], [null, null])
    assert.deepStrictEqual(out[2].payload, { qty: -1, side: 'B' })
    assert.deepStrictEqual(out[2].error, {
      message: 'qty must be positive', source: { id: 'c1', type: 'streamer-client', name: 'orders in' }
    })
  })

  it('stops before a row the transform fails with terminate on error, sending nothing', async () => {
    const h = host()
    const d = await dispose(row(9, { qty: -1, side: 'B' }), bySide, 's1', h, options({ terminateOnError: true }))
    assert.strictEqual(d.action, 'stop')
    if (d.action === 'stop') {
      assert.strictEqual(d.error.message, 'qty must be positive')
      d.report()
    }
    assert.strictEqual(h.errors.length, 1)
    assert.strictEqual(h.sent.length, 0)
  })

  it('sends a row its target failed to the error output once the client gives up on it, not before', () => {
    const h = host()
    const msg = { payload: 1, error: { message: 'session down' } }
    const told: Array<[unknown, string]> = []
    const fail = (outcome: FailOutcome) => (p: unknown, e: string): FailOutcome => { told.push([p, e]); return outcome }
    assert.strictEqual(targetFailed(msg, ['4'], fail('redeliver'), 2, h, options()), false)
    assert.strictEqual(h.sent.length + h.errors.length, 0)
    assert.strictEqual(targetFailed(msg, ['4'], fail('skipped'), 2, h, options({ attempts: 3 })), true)
    assert.strictEqual(h.errors[0][0], 'row [4] failed 3 times, skipped: session down')
    assert.deepStrictEqual(h.sent[0], [null, null, msg])
    assert.strictEqual(targetFailed(msg, ['4'], fail('stopped'), 2, h, options()), true)
    assert.match(h.errors[1][0], /client stopped before it: session down$/)
    assert.deepStrictEqual(told, [[['4'], 'session down'], [['4'], 'session down'], [['4'], 'session down']])
  })
})
