import * as assert from 'assert'
import { paced, TICK_MS } from '../../bench/_paced'

describe("the fixed-rate bench's open loop", () => {
  it('goes on sending on schedule while an INSERT stalls, and counts the latency of the orders due ' +
    'during the stall from when they were due', async function () {
    this.timeout(10000)
    const rate = 1000
    const starts: Array<{ at: number, dueAt: number[] }> = []
    let calls = 0
    // The schedule starts at the loop's own first reading of the clock: a reading taken here, before the
    // call, can be a few ms earlier on a loaded machine (the process descheduled between the two).
    let t0: number | undefined
    const now = (): number => { const t = Date.now(); t0 ??= t; return t }
    const r = await paced(rate, 0.6, now, async dueAt => {
      starts.push({ at: Date.now(), dueAt })
      // The tenth INSERT stalls for 200 ms, as one behind a slow WAL flush would.
      if (++calls === 10) await new Promise(resolve => setTimeout(resolve, 200))
    })
    const due = starts.flatMap(s => s.dueAt)
    assert.strictEqual(due.length, r.sent)
    assert.ok(r.sent >= 550 && r.sent <= 600, `${r.sent} orders in 0.6 s at 1,000/s`)
    const stall = starts[9].at
    const during = starts.filter(s => s.at > stall + 20 && s.at < stall + 180)
    assert.ok(during.length >= 8, `${during.length} INSERTs started during the 200 ms stall (one per 10 ms tick)`)
    assert.ok(r.overlapped >= during.length, `${r.overlapped} INSERTs overlapped one still running`)
    // Each order counts from its own tick: never later than when its INSERT started, and never more
    // than a tick after the moment the rate made it due (order k at k ms).
    for (const s of starts) for (const at of s.dueAt) assert.ok(at <= s.at, 'due before its INSERT started')
    const start = t0!
    for (let k = 0; k < due.length; k++) {
      const ideal = start + (k + 1) * 1000 / rate
      assert.ok(due[k] >= ideal - 2 && due[k] <= ideal + TICK_MS + 2,
        `order ${k + 1} due at +${due[k] - start} ms, its schedule +${ideal - start} ms`)
    }
  })

  it('fails the phase with the error of an INSERT that failed, after every INSERT has finished', async () => {
    let finished = 0
    let calls = 0
    await assert.rejects(paced(500, 0.1, () => Date.now(), async () => {
      const call = ++calls
      await new Promise(resolve => setTimeout(resolve, 30))
      finished++
      if (call === 2) throw new Error('relation "orders" does not exist')
    }), /relation "orders" does not exist/)
    assert.strictEqual(finished, calls)
  })
})
