import * as assert from 'assert'
import { loadDictionary } from '../../../core/fix/dictionaries'
import type { FixDefinitions } from '../../../core/fix/jspurefix'
import { groupCountProblem, RejectReason, validateInbound } from '../../../core/fix-session'

/** A FIX.4.4 NewOrderSingle as [tag, value] pairs, header and trailer included, with `parties` after ClOrdID. */
function order (parties: Array<[number, string]>): Array<[number, string]> {
  return [
    [8, 'FIX.4.4'], [9, '100'], [35, 'D'], [49, 'C'], [56, 'S'], [34, '2'], [52, '20261203-15:00:00.000'],
    [11, 'O1'], ...parties, [21, '1'], [55, 'ABC'], [54, '1'], [60, '20261203-15:00:00.000'], [38, '10'], [40, '1'],
    [10, '000']
  ]
}

describe('A NumInGroup tag belongs to no entry of its own group', () => {
  let defs: FixDefinitions

  before(async function () {
    this.timeout(60000)
    defs = await loadDictionary('FIX.4.4')
  })

  it('a well-formed Parties group passes both rules', () => {
    const fields = order([[453, '2'], [448, 'A'], [447, 'D'], [452, '1'], [448, 'B'], [447, 'D'], [452, '3']])
    assert.strictEqual(validateInbound(defs, 'D', fields), undefined)
    assert.strictEqual(groupCountProblem(defs, 'D', fields), undefined)
  })

  it('NoPartyIDs again inside its entries is a tag that appears more than once (373=13), not an entry field', () => {
    // Two counts whose entries add up to the first count: before, the second 453 was read as a field of
    // the first entry and the message reached the application with a count that meant nothing.
    const fields = order([[453, '2'], [448, 'A'], [447, 'D'], [452, '1'], [453, '1'], [448, 'B'], [447, 'D'],
      [452, '3']])
    const problem = validateInbound(defs, 'D', fields)
    assert.strictEqual(problem?.reason, RejectReason.TagAppearsMoreThanOnce)
    assert.strictEqual(problem?.refTag, 453)
    const count = groupCountProblem(defs, 'D', fields)
    assert.strictEqual(count?.refTag, 453, 'the first count has one entry before the group ends')
  })

  it('a nested group\'s count may repeat, once per entry of its parent', () => {
    const fields = order([[453, '2'], [448, 'A'], [447, 'D'], [452, '1'], [802, '1'], [523, 'x'], [803, '1'],
      [448, 'B'], [447, 'D'], [452, '3'], [802, '1'], [523, 'y'], [803, '2']])
    assert.strictEqual(validateInbound(defs, 'D', fields), undefined)
    assert.strictEqual(groupCountProblem(defs, 'D', fields), undefined)
  })
})
