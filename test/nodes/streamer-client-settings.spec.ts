import * as assert from 'assert'
import { clientNameOf, ClientNames, clientSettings, deliverySettings } from '../../nodes/streamer-client/settings'
import type { StreamerClientDef } from '../../nodes/streamer-client/types'

const def = (d: Partial<StreamerClientDef>): StreamerClientDef => d as StreamerClientDef

describe('streamer-client settings and names', () => {
  it('names the client by its client name, else the node name, else the node id', () => {
    assert.strictEqual(clientNameOf({ clientName: ' orders ', name: 'n' }, 'id1'), 'orders')
    assert.strictEqual(clientNameOf({ clientName: '  ', name: 'n' }, 'id1'), 'n')
    assert.strictEqual(clientNameOf({}, 'id1'), 'id1')
  })

  it('reads the editor\'s fields as numbers, seconds as ms, and defaults what is not a positive number', () => {
    const fields = def({
      inFlight: '20',
      sendWarn: 2,
      sendError: '30',
      confirmWarn: 0,
      confirmError: 'x',
      maxAttempts: '3',
      skipFailed: true
    })
    assert.deepStrictEqual(clientSettings(fields), {
      replayable: true,
      inFlightLimit: 20,
      sendRange: { warnAfter: 2000, errorAfter: 30000 },
      confirmRange: { warnAfter: 5000, errorAfter: 60000 },
      maxAttempts: 3,
      skipAfterFailures: true
    })
    const none = clientSettings(def({ replayable: false }))
    assert.strictEqual(none.replayable, false)
    assert.strictEqual(none.inFlightLimit, 50)
    assert.strictEqual(none.maxAttempts, 5)
    assert.strictEqual(none.skipAfterFailures, false)
  })

  it('confirms on send only when asked, and stops on a transform error only when asked', () => {
    assert.deepStrictEqual(deliverySettings(def({})), { confirmOnSend: false, terminateOnError: false, attempts: 5 })
    assert.deepStrictEqual(
      deliverySettings(def({ confirmMode: 'send', terminateOnError: true, maxAttempts: 2 })),
      { confirmOnSend: true, terminateOnError: true, attempts: 2 }
    )
  })

  it('gives a name on a database to one node at a time, again to the same node, and frees it on release', () => {
    const names = new ClientNames()
    const key = names.claim('db:public', 'orders', 'a')
    assert.ok(key !== undefined)
    assert.strictEqual(names.claim('db:public', 'orders', 'b'), undefined)
    assert.strictEqual(names.claim('db:public', 'orders', 'a'), key)
    assert.ok(names.claim('db:other', 'orders', 'b') !== undefined)
    names.release(key, 'b') // not the holder: nothing happens
    assert.strictEqual(names.claim('db:public', 'orders', 'b'), undefined)
    names.release(key, 'a')
    assert.ok(names.claim('db:public', 'orders', 'b') !== undefined)
  })
})
