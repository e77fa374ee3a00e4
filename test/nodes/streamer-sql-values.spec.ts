import * as assert from 'assert'
import * as path from 'path'
import { valueReader } from '../../nodes/streamer-sql/values'
import { runtimeName } from '../support/node-red'

const runtimeDir = path.dirname(require.resolve(`${process.env.NODE_RED_RUNTIME ?? 'node-red'}/package.json`))
const util = require(require.resolve('@node-red/util', { paths: [runtimeDir] })).util
const RED = { util } as any
const node = {} as any

/** A streamer-sql definition with these typed inputs as parameters (and event, reason when given). */
const def = (params: Array<[string, string]>, more: Record<string, string> = {}): any =>
  ({ params: params.map(([v, vt]) => ({ v, vt })), event: '', reason: '', ...more })

describe(`streamer-sql: reading a message's values on ${runtimeName}`, () => {
  const msg = (): any => ({ _msgid: 'm1', payload: { ExecID: 'E1', CumQty: 100, Text: 'x' } })

  it('reads msg properties at once, with no promise, in the parameters\' order', () => {
    const read = valueReader(RED, node, def([['payload.ExecID', 'msg'], ['payload.CumQty', 'msg']]))
    const v = read(msg())
    assert.ok(!(v instanceof Promise))
    assert.deepStrictEqual(v, { params: ['E1', 100], event: undefined, reason: undefined })
  })

  it('awaits the values from the first asynchronous one on, in the same order, event and reason last', async () => {
    const read = valueReader(RED, node, def(
      [['payload.ExecID', 'msg'], ['payload.CumQty * 2', 'jsonata'], ['payload.Text', 'msg']],
      { event: 'payload.Text', eventType: 'msg', reason: 'because', reasonType: 'str' }))
    const v = read(msg())
    assert.ok(v instanceof Promise)
    assert.deepStrictEqual(await v, { params: ['E1', 200, 'x'], event: 'x', reason: 'because' })
    const onlyReason = valueReader(RED, node, def([['payload.ExecID', 'msg']],
      { event: 'payload.Text', eventType: 'msg', reason: '"r"', reasonType: 'jsonata' }))
    assert.deepStrictEqual(await onlyReason(msg()), { params: ['E1'], event: 'x', reason: 'r' })
  })

  it('throws a missing parent at once, as Node-RED\'s getMessageProperty does', () => {
    const read = valueReader(RED, node, def([['payload.Missing.Deep', 'msg']]))
    assert.throws(() => read(msg()), TypeError)
  })
})
