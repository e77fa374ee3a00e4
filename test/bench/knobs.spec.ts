import * as assert from 'assert'
import { BenchSettingError, countSetting, ratesSetting, secondsSetting } from '../../bench/_knobs'

describe("the end-to-end bench's phase settings", () => {
  it('runs 100, 1,000 and 5,000 orders a second when BENCH_E2E_RATES is unset, or the rates given, in order', () => {
    assert.deepStrictEqual(ratesSetting({}), [100, 1000, 5000])
    assert.deepStrictEqual(ratesSetting({ BENCH_E2E_RATES: '1000' }), [1000])
    assert.deepStrictEqual(ratesSetting({ BENCH_E2E_RATES: ' 5000, 100 ' }), [5000, 100])
  })

  it('runs no fixed-rate phase when BENCH_E2E_RATES is empty, rather than one at 0 orders a second', () => {
    assert.deepStrictEqual(ratesSetting({ BENCH_E2E_RATES: '' }), [])
    assert.deepStrictEqual(ratesSetting({ BENCH_E2E_RATES: '  ' }), [])
  })

  it('refuses a rate that is not a whole number above zero, naming the variable and the part', () => {
    for (const bad of ['1000,abc', '100,,1000', '0', '-5', '2.5', '1e400']) {
      assert.throws(() => ratesSetting({ BENCH_E2E_RATES: bad }), (err: Error) =>
        err instanceof BenchSettingError && /^BENCH_E2E_RATES: "[^"]*" is not a whole number/.test(err.message), bad)
    }
  })

  it("takes a phase's length from its variable, the default when unset or empty, and refuses one that is not above 0",
    () => {
      assert.strictEqual(secondsSetting('BENCH_E2E_SECONDS', 60, {}), 60)
      assert.strictEqual(secondsSetting('BENCH_E2E_SECONDS', 60, { BENCH_E2E_SECONDS: '' }), 60)
      assert.strictEqual(secondsSetting('BENCH_E2E_SECONDS', 60, { BENCH_E2E_SECONDS: '2.5' }), 2.5)
      for (const bad of ['abc', '0', '-1', 'Infinity']) {
        assert.throws(() => secondsSetting('BENCH_E2E_RATE_SECONDS', 15, { BENCH_E2E_RATE_SECONDS: bad }),
          new BenchSettingError(`BENCH_E2E_RATE_SECONDS must be a number of seconds above 0, not "${bad}"`))
      }
    })

  it('leaves a window, batch or poll interval to the flows when unset or empty; refuses one not a whole number > 0',
    () => {
      assert.strictEqual(countSetting('BENCH_E2E_INFLIGHT', {}), undefined)
      assert.strictEqual(countSetting('BENCH_E2E_INFLIGHT', { BENCH_E2E_INFLIGHT: ' ' }), undefined)
      assert.strictEqual(countSetting('BENCH_E2E_INFLIGHT', { BENCH_E2E_INFLIGHT: '500' }), 500)
      for (const bad of ['abc', '0', '-1', '2.5']) {
        assert.throws(() => countSetting('BENCH_E2E_BATCH', { BENCH_E2E_BATCH: bad }),
          new BenchSettingError(`BENCH_E2E_BATCH must be a whole number above 0, not "${bad}"`))
      }
    })
})
