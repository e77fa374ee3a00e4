import * as assert from 'assert'
import { dictionaryFailedText, readyText } from '../../nodes/fix-translator/status-text'

describe('fix-translator status texts', () => {
  it('shows what it translates when ready', () => {
    const order = { name: 'NewOrderSingle', msgType: 'D' }
    assert.strictEqual(readyText('FIX 4.4', true, order), 'FIX 4.4 → NewOrderSingle (D)')
    assert.strictEqual(readyText('FIX 4.4', true), 'FIX 4.4 → FIX')
    assert.strictEqual(readyText('FIX 4.4', false), 'FIX 4.4 → object')
  })
  it('says a dictionary that did not load in a few words: "FIX dictionary not loaded: file not found"', () => {
    const text = dictionaryFailedText(
      reason => `FIX dictionary not loaded: ${reason}`,
      "ENOENT: no such file or directory, open '/data/dictionaries/my-venue-FIX44.xml'"
    )
    assert.strictEqual(text, 'FIX dictionary not loaded: file not found')
  })
})
