import * as assert from 'assert'
import {
  BenchSettingError, countOr, countSetting, countsSetting, ratesSetting, secondsSetting
} from '../../bench/_knobs'

describe("the benches' settings", () => {
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

  it("takes a part's sizes and counts from their variables, the default when unset, and refuses one out of range",
    () => {
      assert.strictEqual(countOr('BENCH_STREAMER_ROWS', 1000000, {}), 1000000)
      assert.strictEqual(countOr('BENCH_STREAMER_ROWS', 1000000, { BENCH_STREAMER_ROWS: '5000' }), 5000)
      for (const bad of ['abc', '0', '1e400']) {
        assert.throws(() => countOr('BENCH_WAKE_ROUNDS', 3, { BENCH_WAKE_ROUNDS: bad }),
          new BenchSettingError(`BENCH_WAKE_ROUNDS must be a whole number above 0, not "${bad}"`))
      }
      assert.strictEqual(countOr('BENCH_E2E_PRODUCERS', 2, { BENCH_E2E_PRODUCERS: '4' }, 4), 4)
      assert.throws(() => countOr('BENCH_E2E_PRODUCERS', 2, { BENCH_E2E_PRODUCERS: '8' }, 4),
        new BenchSettingError('BENCH_E2E_PRODUCERS must be at most 4, not 8'))
    })

  it('reads a list such as the notify bench\'s writers in the order given, and refuses an entry that is not a count',
    () => {
      assert.deepStrictEqual(countsSetting('BENCH_NOTIFY_WRITERS', [1, 4, 16], 'of writers', {}), [1, 4, 16])
      assert.deepStrictEqual(countsSetting('BENCH_NOTIFY_WRITERS', [1, 4, 16], 'of writers',
        { BENCH_NOTIFY_WRITERS: '8, 2' }), [8, 2])
      const writers = { BENCH_NOTIFY_WRITERS: '1,x' }
      assert.throws(() => countsSetting('BENCH_NOTIFY_WRITERS', [1, 4, 16], 'of writers', writers),
        new BenchSettingError('BENCH_NOTIFY_WRITERS: "x" is not a whole number of writers above 0 (e.g. 1,4,16; ' +
          'empty for none)'))
    })
})
