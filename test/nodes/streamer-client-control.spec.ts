import * as assert from 'assert'
import { answerInput, describeStart, InputActions, readInput } from '../../nodes/streamer-client/control'

describe('streamer-client input and control', () => {
  const mine = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ stream: { clientId: 'c1', client: 'orders', position: ['7'] }, ...extra })

  it('takes a row of its own wired back as a confirmation, or as a failure when it carries msg.error', () => {
    assert.deepStrictEqual(readInput(mine(), 'c1'), { kind: 'confirm', position: ['7'] })
    assert.deepStrictEqual(readInput(mine({ error: { message: 'down' } }), 'c1'), { kind: 'failed', position: ['7'] })
    assert.deepStrictEqual(readInput(mine({ error: null }), 'c1'), { kind: 'confirm', position: ['7'] })
  })

  it('ignores rows straight from a streamer and its own rows without a position, and refuses another client\'s', () => {
    assert.deepStrictEqual(readInput({ stream: { name: 's', position: ['1'] } }, 'c1'), { kind: 'ignore' })
    assert.deepStrictEqual(readInput({ stream: { clientId: 'c1' } }, 'c1'), { kind: 'ignore' })
    assert.deepStrictEqual(readInput(mine(), 'c2'), { kind: 'foreign', client: 'orders' })
    assert.deepStrictEqual(readInput({ stream: { clientId: 'c9' } }, 'c1'), { kind: 'foreign', client: 'c9' })
  })

  it('reads the control commands by msg.topic, the rewind target from msg.payload', () => {
    assert.deepStrictEqual(readInput({ topic: 'redeliver' }, 'c1'), { kind: 'redeliver' })
    assert.deepStrictEqual(readInput({ topic: 'reset' }, 'c1'), { kind: 'rewind', target: 'reset' })
    assert.deepStrictEqual(readInput({ topic: 'rewind', payload: 'beginning' }, 'c1'),
      { kind: 'rewind', target: { kind: 'beginning' } })
    assert.deepStrictEqual(readInput({ topic: 'hello' }, 'c1'), { kind: 'unknown', topic: 'hello' })
    assert.deepStrictEqual(readInput({ payload: 1 }, 'c1'), { kind: 'unknown', topic: 'undefined' })
    assert.throws(() => readInput({ topic: 'rewind', payload: 'yesterday' }, 'c1'), /a rewind takes/)
  })

  it('describes a start for the log', () => {
    assert.strictEqual(describeStart({ kind: 'after', position: ['3', '7'] }), 'after [3, 7]')
    const at = '2024-01-02T03:04:05.000Z'
    assert.strictEqual(describeStart({ kind: 'timestamp', at }), `from ${at}`)
    assert.strictEqual(describeStart({ kind: 'live' }), 'live')
  })

  describe('answering an input', () => {
    const acts = (done: string[], outcome: Promise<unknown> = Promise.resolve()): InputActions => ({
      confirm: p => done.push(`confirm ${p.join()}`),
      failed: p => done.push(`failed ${p.join()}`),
      redeliver: async () => { done.push('redeliver'); return await outcome },
      rewind: async t => { done.push(`rewind ${JSON.stringify(t)}`); return await outcome },
      refused: input => new Error(`refused ${input.kind}`)
    })
    const answer = async (msg: Record<string, unknown>, a: InputActions): Promise<Error | undefined> =>
      await new Promise(resolve => answerInput(msg, 'c1', a, resolve))

    it('confirms or fails a row of its own, then calls done without an error', async () => {
      const done: string[] = []
      assert.strictEqual(await answer(mine(), acts(done)), undefined)
      assert.strictEqual(await answer(mine({ error: { message: 'down' } }), acts(done)), undefined)
      assert.deepStrictEqual(done, ['confirm 7', 'failed 7'])
    })

    it('calls done only when a redeliver or rewind has finished, with its error when it failed', async () => {
      const done: string[] = []
      let finish: () => void = () => {}
      const slow = new Promise<void>(resolve => { finish = resolve })
      let answered = false
      const p = answer({ topic: 'redeliver' }, acts(done, slow)).then(e => { answered = true; return e })
      await new Promise(resolve => setImmediate(resolve))
      assert.strictEqual(answered, false, 'done came before the redeliver finished')
      finish()
      assert.strictEqual(await p, undefined)
      const failed = await answer({ topic: 'rewind', payload: 'live' }, acts(done, Promise.reject(new Error('busy'))))
      assert.strictEqual(failed?.message, 'busy')
      assert.deepStrictEqual(done, ['redeliver', 'rewind {"kind":"live"}'])
    })

    it('gives done the error for another client\'s row, an unknown command or a bad rewind target', async () => {
      const done: string[] = []
      assert.strictEqual(await answer(mine(), acts(done)), undefined)
      assert.strictEqual((await answer({ stream: { clientId: 'c9' } }, acts(done)))?.message, 'refused foreign')
      assert.strictEqual((await answer({ topic: 'hello' }, acts(done)))?.message, 'refused unknown')
      const bad = await answer({ topic: 'rewind', payload: 'yesterday' }, acts(done))
      assert.match(bad?.message ?? '', /a rewind takes/)
      assert.deepStrictEqual(done, ['confirm 7'])
    })
  })
})
