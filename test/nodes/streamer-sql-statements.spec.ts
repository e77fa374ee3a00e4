import * as assert from 'assert'
import { EVENT_SETTING, REASON_SETTING } from '../../core/stream'
import {
  batchSizeOf, batchStatements, MAX_BATCH, messageStatements, setParams, toParam
} from '../../nodes/streamer-sql/statements'

describe('streamer-sql statements', () => {
  it('reads the batch setting as a whole number from 1 to the maximum', () => {
    assert.deepStrictEqual(
      [undefined, '', '0', -5, '7.9', 1e9].map(batchSizeOf),
      [1, 1, 1, 1, 7, MAX_BATCH]
    )
  })

  it('binds objects as JSON text, dates as ISO text, undefined as null and buffers as they are', () => {
    const b = Buffer.from('x')
    assert.deepStrictEqual(
      [toParam({ a: [1] }), toParam(new Date(0)), toParam(undefined), toParam(b), toParam(3)],
      ['{"a":[1]}', '1970-01-01T00:00:00.000Z', null, b, 3]
    )
  })

  it("puts a message's audit event and reason before its statement, and nothing when it has neither", () => {
    const sql = 'INSERT INTO t VALUES ($1)'
    assert.deepStrictEqual(messageStatements(sql, { params: [1], event: undefined, reason: undefined }), [
      { text: sql, params: [1] }
    ])
    assert.deepStrictEqual(messageStatements(sql, { params: [1], event: 'E', reason: 9 }), [
      { text: 'SELECT set_config($1, $2, true)', params: [EVENT_SETTING, 'E'] },
      { text: 'SELECT set_config($1, $2, true)', params: [REASON_SETTING, '9'] },
      { text: sql, params: [1] }
    ])
  })

  it('sets every configured setting for each message of a batch, so none leaks into the next', () => {
    const sql = 'INSERT INTO t VALUES ($1)'
    const { statements, at } = batchStatements(sql, [
      { params: [1], event: 'E', reason: undefined },
      { params: [2], event: undefined, reason: undefined }
    ], { event: true, reason: false })
    assert.deepStrictEqual(statements, [
      { text: 'SELECT set_config($1, $2, true)', params: [EVENT_SETTING, 'E'] },
      { text: sql, params: [1] },
      { text: 'SELECT set_config($1, $2, true)', params: [EVENT_SETTING, ''] },
      { text: sql, params: [2] }
    ])
    assert.deepStrictEqual(at, [1, 3])
  })

  it("binds Batch SQL's parameter $k as the array of every message's $k value, in message order", () => {
    const v = (...params: unknown[]): { params: unknown[], event: undefined, reason: undefined } =>
      ({ params, event: undefined, reason: undefined })
    assert.deepStrictEqual(setParams([v('a', 1), v('b', 2), v('c', null)]), [['a', 'b', 'c'], [1, 2, null]])
    assert.deepStrictEqual(setParams([]), [])
  })
})
