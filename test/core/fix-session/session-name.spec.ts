import * as assert from 'assert'
import { sessionName, normalizeSettings } from '../../../core/fix-session'

describe('the default session name', () => {
  const ids = { beginString: 'FIX.4.4', senderCompID: 'BUY', targetCompID: 'SELL' }

  it('is BeginString:SenderCompID->TargetCompID when no name is given', () => {
    assert.strictEqual(sessionName(ids), 'FIX.4.4:BUY->SELL')
  })

  it('is the given name, trimmed, when there is one', () => {
    assert.strictEqual(sessionName({ ...ids, name: '  desk-1 ' }), 'desk-1')
  })

  it('treats a blank name as none', () => {
    assert.strictEqual(sessionName({ ...ids, name: '   ' }), 'FIX.4.4:BUY->SELL')
    assert.strictEqual(sessionName({ ...ids, name: '' }), 'FIX.4.4:BUY->SELL')
  })

  it('is the name the validated settings carry, so the store and the node agree', () => {
    const base = { ...ids, role: 'initiator' as const, heartBtInt: 30, resetPolicy: 'never' as const }
    assert.strictEqual(normalizeSettings(base).name, 'FIX.4.4:BUY->SELL')
    assert.strictEqual(normalizeSettings({ ...base, name: ' desk-1 ' }).name, 'desk-1')
  })
})
