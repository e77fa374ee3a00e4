import * as assert from 'assert'
import { Registry } from '../../nodes/shared/registry'

describe('node registry', () => {
  it('tells a watcher about an entry registered after it started watching', () => {
    const r = new Registry<{ name: string }>()
    const seen: string[] = []
    r.watch('s1', v => seen.push(v.name))
    assert.deepStrictEqual(seen, [], 'nothing yet')
    r.register('s1', { name: 'first' })
    assert.deepStrictEqual(seen, ['first'])
  })

  it('gives a watcher the entry already there, and then each replacement', () => {
    const r = new Registry<{ name: string }>()
    const old = { name: 'old' }
    r.register('s1', old)
    const seen: string[] = []
    r.watch('s1', v => seen.push(v.name))
    r.unregister('s1', old)
    assert.strictEqual(r.get('s1'), undefined)
    r.register('s1', { name: 'new' })
    assert.deepStrictEqual(seen, ['old', 'new'])
  })

  it('keeps the entry of a replacement when the node it replaced closes late', () => {
    const r = new Registry<{ name: string }>()
    const old = { name: 'old' }
    const replacement = { name: 'new' }
    r.register('s1', old)
    r.register('s1', replacement)
    r.unregister('s1', old)
    assert.strictEqual(r.get('s1'), replacement)
  })

  it('tells only the watchers of that id, and nobody once they stop watching', () => {
    const r = new Registry<number>()
    const seen: Array<[string, number]> = []
    const stop = r.watch('a', v => seen.push(['a', v]))
    r.watch('b', v => seen.push(['b', v]))
    r.register('a', 1)
    r.register('b', 2)
    stop()
    r.register('a', 3)
    assert.deepStrictEqual(seen, [['a', 1], ['b', 2]])
    assert.deepStrictEqual(r.size, { entries: 2, watched: 1 })
  })

  it('still tells the other watchers when one of them throws', () => {
    const r = new Registry<number>()
    const seen: number[] = []
    r.watch('a', () => { throw new Error('a watcher bug') })
    r.watch('a', v => seen.push(v))
    r.register('a', 7)
    assert.deepStrictEqual(seen, [7])
  })
})
