import * as assert from 'assert'
import * as v8 from 'v8'
import * as vm from 'vm'
import { assessHealth, ConfirmTracker, estimateLag, parsePosition, RateMeter } from '../../../core'

describe('confirm tracker', () => {
  it('tells positions apart only by their parts as text: numbers confirm text, split parts never meet', () => {
    const t = new ConfirmTracker()
    t.add(['12', '3'], false)
    t.add(['1', '23'], false)
    t.add(['1:2', '3'], false)
    assert.strictEqual(t.isOpen(['123']), false)
    assert.strictEqual(t.isOpen(['12', '3', '']), false)
    assert.strictEqual(t.isOpen(['1', '2:3']), false)
    assert.deepStrictEqual(t.confirm(['1', 23]), { known: true, checkpoint: undefined }, 'a number matches its text')
    assert.strictEqual(t.isOpen(['12', '3']), true)
    assert.strictEqual(t.isOpen(['1:2', '3']), true)
    assert.deepStrictEqual(t.confirm([12, 3]), { known: true, checkpoint: ['1', '23'] })
    assert.deepStrictEqual(t.confirm(['1:2', '3']), { known: true, checkpoint: ['1:2', '3'] })
    assert.deepStrictEqual(t.confirm(['1:2', '3']), { known: false }, 'a second confirmation changes nothing')
  })

  it('advances only over the contiguous confirmed prefix, whatever the confirmation order', () => {
    const t = new ConfirmTracker()
    for (const id of ['1', '2', '3', '4', '5']) assert.strictEqual(t.add([id], false), undefined)
    assert.strictEqual(t.unconfirmed, 5)
    assert.deepStrictEqual(t.confirm(['3']), { known: true, checkpoint: undefined })
    assert.deepStrictEqual(t.confirm(['5']), { known: true, checkpoint: undefined })
    assert.deepStrictEqual(t.confirm(['2']), { known: true, checkpoint: undefined }, 'row 1 is still open: no move')
    assert.deepStrictEqual(t.confirm(['1']), { known: true, checkpoint: ['3'] }, 'jumps to 3, not past open 4')
    assert.strictEqual(t.unconfirmed, 1)
    assert.deepStrictEqual(t.confirm(['4']), { known: true, checkpoint: ['5'] })
    assert.strictEqual(t.unconfirmed, 0)
  })

  it('ignores confirmations of unknown or already confirmed positions', () => {
    const t = new ConfirmTracker()
    t.add(['7', '1'], false)
    assert.deepStrictEqual(t.confirm(['9', '9']), { known: false })
    assert.deepStrictEqual(t.confirm(['7', '1']), { known: true, checkpoint: ['7', '1'] })
    assert.deepStrictEqual(t.confirm(['7', '1']), { known: false }, 'a second confirmation changes nothing')
  })

  it('accepts a position handed back as numbers', () => {
    const t = new ConfirmTracker()
    t.add(['42'], false)
    assert.deepStrictEqual(t.confirm([42]), { known: true, checkpoint: ['42'] })
  })

  it('treats filtered rows as confirmed, but never lets them jump an open row', () => {
    const t = new ConfirmTracker()
    assert.deepStrictEqual(t.add(['1'], true), ['1'], 'nothing open before it: moves at once')
    t.add(['2'], false)
    assert.strictEqual(t.add(['3'], true), undefined, 'row 2 is open')
    assert.strictEqual(t.unconfirmed, 1)
    assert.deepStrictEqual(t.confirm(['2']).checkpoint, ['3'])
  })

  it('forgets everything on clear', () => {
    const t = new ConfirmTracker()
    t.add(['1'], false)
    t.clear()
    assert.strictEqual(t.unconfirmed, 0)
    assert.deepStrictEqual(t.confirm(['1']), { known: false })
  })

  it('keeps a long run in order (compaction of the consumed prefix)', () => {
    const t = new ConfirmTracker()
    let last: readonly string[] | undefined
    for (let i = 1; i <= 5000; i++) {
      t.add([String(i)], false)
      if (i % 2 === 0) {
        t.confirm([String(i)])
        last = t.confirm([String(i - 1)]).checkpoint ?? last
      }
    }
    assert.deepStrictEqual(last, ['5000'])
    assert.strictEqual(t.size, 0)
  })

  it('lets go of each row as soon as the checkpoint passes it, not when the passed rows are next cut off', async () => {
    v8.setFlagsFromString('--expose-gc')
    const gc: () => void = vm.runInNewContext('gc')
    const t = new ConfirmTracker()
    const passed: Array<WeakRef<string[]>> = []
    const stillOpen: Array<WeakRef<string[]>> = [];
    // In a function of its own, so no local of the test keeps a position alive.
    (() => {
      for (let i = 1; i <= 300; i++) {
        const position = [String(i)]
        ;(i <= 200 ? passed : stillOpen).push(new WeakRef(position))
        t.add(position, false)
      }
      for (let i = 1; i <= 200; i++) t.confirm([String(i)])
      for (let i = 250; i <= 300; i++) t.confirm([String(i)]) // confirmed, but behind the open row 201
    })()
    // A WeakRef keeps its target for the rest of the job that made it: collect in a later one.
    await new Promise(resolve => setImmediate(resolve))
    gc()
    gc()
    assert.strictEqual(passed.filter(r => r.deref() !== undefined).length, 0, 'rows the checkpoint passed are released')
    assert.strictEqual(stillOpen.filter(r => r.deref() !== undefined).length, 100, 'rows not yet passed are kept')
    assert.strictEqual(t.size, 100)
    for (let i = 201; i < 250; i++) t.confirm([String(i)])
    assert.strictEqual(t.size, 0)
    assert.strictEqual(t.passed, 300)
  })
})

describe('client health (Genesis warning ranges)', () => {
  const base = {
    now: 100000,
    limit: 3,
    lastSendAt: undefined,
    lastConfirmAt: undefined,
    oldestUnconfirmedAt: undefined
  }
  it('is HEALTHY with nothing in flight, however long ago anything happened', () => {
    assert.strictEqual(assessHealth({ ...base, inFlight: 0, lastSendAt: 0 }).health, 'HEALTHY')
  })
  it('grades a full window by the time since the last send', () => {
    assert.strictEqual(
      assessHealth({ ...base, inFlight: 3, lastSendAt: 98000, oldestUnconfirmedAt: 99000 }).health,
      'HEALTHY'
    )
    const w = assessHealth({ ...base, inFlight: 3, lastSendAt: 90000, oldestUnconfirmedAt: 99000 })
    assert.deepStrictEqual([w.health, w.reason], ['WARNING', 'send-stalled'])
    assert.strictEqual(
      assessHealth({ ...base, inFlight: 3, lastSendAt: 30000, oldestUnconfirmedAt: 99000 }).health,
      'ERROR'
    )
  })
  it('grades unconfirmed rows by the time since the last confirmation, even with room left', () => {
    const r = assessHealth({
      ...base,
      inFlight: 1,
      lastSendAt: 99000,
      lastConfirmAt: 10000,
      oldestUnconfirmedAt: 80000
    })
    assert.deepStrictEqual([r.health, r.reason, r.stalledMs], ['WARNING', 'confirm-stalled', 20000])
    assert.strictEqual(
      assessHealth({ ...base, inFlight: 1, lastConfirmAt: 10000, oldestUnconfirmedAt: 20000 }).health,
      'ERROR'
    )
  })
  it('uses the configured ranges', () => {
    const r = assessHealth({ ...base, inFlight: 1, oldestUnconfirmedAt: 99000 }, undefined, {
      warnAfter: 500,
      errorAfter: 900
    })
    assert.strictEqual(r.health, 'ERROR')
  })
})

describe('client metrics', () => {
  it('measures a rate over the last seconds', () => {
    const m = new RateMeter(5, 0)
    m.add(50, 100)
    m.add(50, 1100)
    assert.strictEqual(m.rate(1500), 20)
    assert.strictEqual(m.rate(7000), 0, 'old buckets roll out')
  })
  it('estimates lag from the last position column, exactly for bigints', () => {
    assert.strictEqual(estimateLag(['9', '9007199254740999'], ['3', '9007199254740990']), 9)
    assert.strictEqual(estimateLag(['10'], ['12']), 0)
    assert.strictEqual(estimateLag(undefined, ['1']), 0)
    assert.strictEqual(estimateLag(['abc'], ['1']), undefined)
  })
  it('parses positions from control messages and rejects anything else', () => {
    assert.deepStrictEqual(parsePosition(['1', 2]), ['1', '2'])
    assert.deepStrictEqual(parsePosition(17), ['17'])
    assert.throws(() => parsePosition([]), /array of strings/)
    assert.throws(() => parsePosition({ a: 1 }), /array of strings/)
  })
})
