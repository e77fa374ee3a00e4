/**
 * The fuzz run in small (2,000 mutated frames, FUZZ_SEED or 16) as part of `npm test`; CI runs
 * 100,000 with `npm run test:fuzz` (fuzz.ts).
 */
import * as assert from 'assert'
import { details, runFuzz, summary } from './fuzz-run'
import { mutate, serialize } from './mutator'
import { draft } from './messages'
import { Random } from './random'

describe('fuzz: mutated frames against a live fix-session acceptor', function () {
  this.timeout(300_000)

  it('mutates reproducibly: the same seed gives the same bytes, another seed others, nearly all changed', () => {
    const id = { beginString: 'FIX.4.4', sender: 'A', target: 'B', logonExtra: [] }
    const d = draft(id, 'D', 7, new Date(0), [['11', 'X'], ['55', 'INTC'], ['38', '100']])
    const run = (seed: number): string[] => {
      const r = new Random(seed)
      return Array.from({ length: 50 }, () => mutate(r, d).bytes.toString('latin1'))
    }
    assert.deepStrictEqual(run(16), run(16))
    assert.notDeepStrictEqual(run(16), run(17))
    // A mutation may land where it changes nothing (a field moved to its own place): rarely.
    const changed = run(16).filter(b => b !== serialize(d).toString('latin1')).length
    assert.ok(changed >= 45, `${changed} of 50 frames changed`)
  })

  it('2,000 mutated frames: no exception, the session up at the end, every answer legal', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 16)
    const res = await runFuzz({ frames: 2000, seed })
    console.log(`      ${summary(res)}`)
    assert.deepStrictEqual(res.problems, [], `${details(res)}\n${res.transcript.slice(-20).join('\n')}\n` +
      `engine:\n${res.engineLog.slice(-20).join('\n')}`)
    assert.ok(res.mutated >= 2000 && res.answers > 0)
  })
})
