import * as assert from 'assert'
import { loadDictionary } from '../../../core/fix/dictionaries'
import { compileDictionary } from '../../../core/fix/validation/compile'
import type { FixDefinitions } from '../../../core/fix/jspurefix'

describe('The compiled dictionary gives the inbound rules each message by tag number', () => {
  let defs: FixDefinitions

  before(async function () {
    this.timeout(60000)
    defs = await loadDictionary('FIX.4.4')
  })

  it('is the same model the translator validates with: one compile per dictionary', () => {
    const dict = compileDictionary(defs)
    assert.strictEqual(compileDictionary(defs), dict)
    assert.strictEqual(dict.wire('D'), dict.wire('D'), 'the shape is made once and kept')
  })

  it('knows a message only by its MsgType code, not by its name', () => {
    const dict = compileDictionary(defs)
    assert.notStrictEqual(dict.wire('D'), undefined)
    assert.strictEqual(dict.wire('NewOrderSingle'), undefined)
    assert.strictEqual(dict.wire('ZZ'), undefined)
  })

  it('lists the header, body and trailer tags, the repeatable ones and the required body fields', () => {
    const w = compileDictionary(defs).wire('D')!
    for (const tag of [8, 9, 35, 49, 56, 34, 52, 11, 54, 38, 453, 448, 10]) assert.ok(w.contained.has(tag), `${tag}`)
    assert.ok(!w.contained.has(150), 'ExecType is not a field of NewOrderSingle')
    for (const tag of [448, 447, 452, 628]) assert.ok(w.inGroups.has(tag), `${tag} is inside a group`)
    assert.ok(!w.inGroups.has(11), 'ClOrdID is not in a group')
    for (const tag of [11, 54, 60, 40]) assert.ok(w.required.includes(tag), `${tag} is required`)
    assert.ok(!w.required.includes(8), 'the header is the session\'s business')
  })

  it('gives each body group its NumInGroup tag, the tag that starts an entry and its nested groups', () => {
    const parties = compileDictionary(defs).wire('D')!.groups.get(453)!
    assert.strictEqual(parties.delimiter, 448)
    assert.ok(parties.contained.has(447) && parties.contained.has(523))
    const sub = parties.nested.get(802)!
    assert.strictEqual(sub.delimiter, 523)
    assert.ok(!compileDictionary(defs).wire('D')!.groups.has(627), 'the header\'s NoHops is not a body group')
  })

  it('finds any field by tag with its type in capitals and its enums, and nothing for a tag it does not define', () => {
    const dict = compileDictionary(defs)
    const side = dict.field(54)!
    assert.strictEqual(side.name, 'Side')
    assert.strictEqual(side.typeKey, 'CHAR')
    assert.ok(side.enums?.has('1'))
    assert.strictEqual(dict.field(59999), undefined)
  })
})
