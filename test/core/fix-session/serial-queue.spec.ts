import * as assert from 'assert'
import { SerialQueue } from '../../../core/fix-session/serial-queue'

/** A promise and its resolve, to hold a job open. */
function gate (): { open: () => void, wait: Promise<void> } {
  let open!: () => void
  const wait = new Promise<void>(resolve => { open = resolve })
  return { open, wait }
}

const turn = async (): Promise<void> => await new Promise(resolve => setImmediate(resolve))

describe('the session queue: an inbound lane and an outbound lane beside jobs that run alone', () => {
  it('runs an inbound job while an outbound job is held open, and each lane in order', async () => {
    const q = new SerialQueue()
    const seen: string[] = []
    const held = gate()
    const out1 = q.runLane('out', async () => { seen.push('out1 start'); await held.wait; seen.push('out1 end') })
    const out2 = q.runLane('out', async () => { seen.push('out2') })
    const in1 = q.runLane('in', async () => { seen.push('in1') })
    const in2 = q.runLane('in', async () => { seen.push('in2') })
    await in1
    await in2
    assert.deepStrictEqual(seen, ['out1 start', 'in1', 'in2'], 'the inbound lane did not wait for the outbound one')
    assert.strictEqual(q.length, 2, 'the held outbound job and the one behind it')
    held.open()
    await out1
    await out2
    assert.deepStrictEqual(seen.slice(3), ['out1 end', 'out2'])
    assert.strictEqual(q.length, 0)
  })

  it('starts a job that runs alone only after both lanes finished, and holds both lanes behind it', async () => {
    const q = new SerialQueue()
    const seen: string[] = []
    const heldIn = gate()
    const heldOut = gate()
    const heldAlone = gate()
    const a = q.runLane('in', async () => { await heldIn.wait; seen.push('in') })
    const b = q.runLane('out', async () => { await heldOut.wait; seen.push('out') })
    const alone = q.run(async () => { seen.push('alone start'); await heldAlone.wait; seen.push('alone end') })
    const afterIn = q.runLane('in', async () => { seen.push('in after') })
    const afterOut = q.runLane('out', async () => { seen.push('out after') })
    heldOut.open()
    await b
    for (let i = 0; i < 5; i++) await turn()
    assert.deepStrictEqual(seen, ['out'], 'the job that runs alone waits for the inbound lane too')
    heldIn.open()
    await a
    for (let i = 0; i < 5; i++) await turn()
    assert.deepStrictEqual(seen, ['out', 'in', 'alone start'], 'neither lane runs beside it')
    heldAlone.open()
    await Promise.all([alone, afterIn, afterOut])
    assert.deepStrictEqual(seen.slice(3).sort(), ['alone end', 'in after', 'out after'].sort())
    assert.strictEqual(seen[3], 'alone end')
  })

  it('goes on after a failed job, and idle() waits for both lanes', async () => {
    const q = new SerialQueue()
    const seen: string[] = []
    await assert.rejects(q.runLane('in', async () => { throw new Error('boom') }), /boom/)
    const held = gate()
    void q.runLane('out', async () => { await held.wait; seen.push('out') })
    void q.runLane('in', async () => { seen.push('in') })
    let idle = false
    const p = q.idle().then(() => { idle = true })
    for (let i = 0; i < 5; i++) await turn()
    assert.deepStrictEqual(seen, ['in'])
    assert.strictEqual(idle, false)
    held.open()
    await p
    assert.deepStrictEqual(seen, ['in', 'out'])
  })
})
