import * as assert from 'assert'
import { FixTranslator } from '../../core/fix'
import {
  decodedFix, firstProblem, invalidFix, msgTypeToBuild, routeOutputs
} from '../../nodes/fix-translator/messages'

describe('fix-translator message building', () => {
  const m = { payload: 1 }

  it('routes all decoded messages to one output by default', () => {
    assert.deepStrictEqual(routeOutputs('all', ['D'], '8', m), [m])
  })

  it('filters the listed types to the first output and the rest to the second', () => {
    assert.deepStrictEqual(routeOutputs('filter', ['D', '8'], '8', m), [m, null])
    assert.deepStrictEqual(routeOutputs('filter', ['D', '8'], 'F', m), [null, m])
  })

  it('routes each listed type to its own output in list order, and the rest to the last', () => {
    assert.deepStrictEqual(routeOutputs('route', ['D', '8'], '8', m), [null, m, null])
    assert.deepStrictEqual(routeOutputs('route', ['D', '8'], 'G', m), [null, null, m])
  })

  it("builds the node's own message type, else the message's msg.fix.msgType, else nothing", () => {
    assert.strictEqual(msgTypeToBuild('D', { msgType: 'F' }), 'D')
    assert.strictEqual(msgTypeToBuild('', { msgType: 'F' }), 'F')
    assert.strictEqual(msgTypeToBuild(undefined, undefined), '')
  })

  it('names the first problem by field and tag for the status, and lists every problem in msg.fix', async () => {
    const t = await FixTranslator.create('FIX.4.4')
    const r = t.toFix('D', { ClOrdID: 'A' })
    assert.ok(!r.ok)
    assert.match(firstProblem(r.problems), /^\w+ \(\d+\)$/)
    const fix = invalidFix(r, t)
    assert.deepStrictEqual(
      [fix.msgType, fix.msgTypeName, fix.beginString, fix.dictionary],
      ['D', 'NewOrderSingle', 'FIX.4.4', 'FIX.4.4']
    )
    assert.strictEqual(fix.problems, r.problems)
    assert.strictEqual(firstProblem([]), '')
  })

  it('keeps the other columns of a fix_in row under msg.fix.row, without the raw bytes', async () => {
    const t = await FixTranslator.create('FIX.4.4')
    const head = '8=FIX.4.4\x019=5\x0135=0\x01'
    const sum = [...Buffer.from(head)].reduce((a, b) => a + b, 0) % 256
    const text = `${head}10=${String(sum).padStart(3, '0')}\x01`
    const row = { raw: Buffer.from(text), raw_text: text, connection: 7, seq: '3' }
    const fromRow = decodedFix(t.fromFix(row), row)
    assert.deepStrictEqual(fromRow.row, { connection: 7, seq: '3' })
    assert.strictEqual(decodedFix(t.fromFix(text), text).row, undefined)
    assert.strictEqual(decodedFix(t.fromFix(Buffer.from(text)), Buffer.from(text)).row, undefined)
  })
})
