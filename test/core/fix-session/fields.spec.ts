import * as assert from 'assert'
import { formatUtc, parseUtc } from '../../../core/fix-session/fields'

describe('FIX session fields: UTCTimestamp', () => {
  it('parses seconds and ms, us, ns fractions to the millisecond, without rounding', () => {
    const iso = (t: string): string | undefined => parseUtc(t)?.toISOString()
    assert.strictEqual(iso('20240102-03:04:05'), '2024-01-02T03:04:05.000Z')
    assert.strictEqual(iso('20240102-03:04:05.6'), '2024-01-02T03:04:05.600Z')
    assert.strictEqual(iso('20240102-03:04:05.67'), '2024-01-02T03:04:05.670Z')
    assert.strictEqual(iso('20240102-03:04:05.678'), '2024-01-02T03:04:05.678Z')
    assert.strictEqual(iso('20240102-03:04:05.678999'), '2024-01-02T03:04:05.678Z')
    assert.strictEqual(iso('20241231-23:59:59.999999999'), '2024-12-31T23:59:59.999Z')
    const now = new Date('2026-11-22T15:16:17.189Z')
    assert.strictEqual(parseUtc(formatUtc(now))?.getTime(), now.getTime())
  })

  it('refuses anything that is not a UTCTimestamp', () => {
    for (const bad of [
      undefined,
      '',
      '20240102',
      '20240102-03:04',
      '20240102 03:04:05',
      '20240102-03:04:05.',
      '20240102-03:04:05.1234567890',
      '20241302-03:04:05',
      '20240100-03:04:05',
      '20240102-24:04:05',
      '20240102-03:60:05',
      '20240102-03:04:61',
      '2024010a-03:04:05',
      '20240102-03:04:05.12a',
      '20240102-03:04:05Z',
      '-2024102-03:04:05',
      '20240102-03-04:05',
      '20240102-03:04:05,123'
    ]) {
      assert.strictEqual(parseUtc(bad), undefined, String(bad))
    }
  })
})
