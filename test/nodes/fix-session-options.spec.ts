import * as assert from 'assert'
import { dictionaryOf, receiveTypesOf, tlsSettingsOf } from '../../nodes/fix-session/options'

describe('fix-session options', () => {
  it("loads the chosen dictionary, else the BeginString's own", () => {
    assert.deepStrictEqual(dictionaryOf({ dictionary: '', beginString: 'FIXT.1.1' }), { ref: 'FIX.5.0SP2' })
    assert.deepStrictEqual(dictionaryOf({ dictionary: ' FIX.4.4 ', beginString: 'FIX.4.4' }), { ref: 'FIX.4.4' })
    assert.deepStrictEqual(dictionaryOf({ dictionary: '/x/FIX44.xml', beginString: 'FIX.4.2' }),
      { ref: '/x/FIX44.xml' })
  })

  it('names the BeginString a builtin dictionary is for when the session uses another', () => {
    assert.deepStrictEqual(dictionaryOf({ dictionary: 'FIX.4.2', beginString: 'FIX.4.4' }),
      { ref: 'FIX.4.2', mismatch: 'FIX.4.2' })
  })

  it('resolves "Receive only" names and codes, takes all when empty, and names the first unknown one', () => {
    const codes: Record<string, string> = { NewOrderSingle: 'D', D: 'D', ExecutionReport: '8' }
    const lookup = (w: string): string | undefined => codes[w]
    assert.deepStrictEqual(receiveTypesOf('NewOrderSingle, 8x ExecutionReport', lookup), { unknown: '8x' })
    assert.deepStrictEqual(receiveTypesOf('NewOrderSingle,ExecutionReport  D', lookup), { types: ['D', '8', 'D'] })
    assert.deepStrictEqual(receiveTypesOf('  ', lookup), {})
    assert.deepStrictEqual(receiveTypesOf(undefined, lookup), {})
  })

  it('verifies certificates unless the tls-config unticks it, and asks clients for one only as a mutual-TLS acceptor',
    () => {
      const opts = { cert: 'c', key: 'k', ca: 'a', servername: 'fix.example' }
      assert.deepStrictEqual(tlsSettingsOf({ role: 'initiator', requestCert: true }, opts), {
        key: 'k',
        cert: 'c',
        ca: 'a',
        passphrase: undefined,
        servername: 'fix.example',
        rejectUnauthorized: true,
        requestCert: false
      })
      const acceptor = tlsSettingsOf({ role: 'acceptor', requestCert: true }, { ...opts, rejectUnauthorized: false })
      assert.deepStrictEqual([acceptor.rejectUnauthorized, acceptor.requestCert], [false, true])
    })
})
