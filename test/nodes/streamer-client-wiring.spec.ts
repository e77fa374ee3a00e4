import * as assert from 'assert'
import type { FlowGraph } from '../../nodes/shared/links'
import { Downstream, hasConfirmPath, leaseResourceOf, streamersFeeding } from '../../nodes/streamer-client/wiring'

/** A deployed flow as the graph of nodes/shared/links.ts sees it: each node's type and its wires. */
function graph (types: Record<string, string>, wires: Array<[string, string]>): FlowGraph {
  return {
    typeOf: id => types[id],
    next: id => wires.filter(([from]) => from === id).map(([, to]) => to),
    previous: id => wires.filter(([, to]) => to === id).map(([from]) => from)
  }
}

describe('streamer-client wiring', () => {
  const types = {
    s1: 'audit-streamer',
    s2: 'audit-streamer',
    c: 'streamer-client',
    out: 'link out',
    in: 'link in',
    fn: 'function',
    gw: 'fix-gateway',
    done: 'complete'
  }

  it('finds the streamers wired into the client, through link nodes too', () => {
    assert.deepStrictEqual(streamersFeeding(graph(types, [['s1', 'c']]), 'c'), ['s1'])
    assert.deepStrictEqual(streamersFeeding(graph(types, [['s1', 'out'], ['out', 'in'], ['in', 'c']]), 'c'), ['s1'])
    assert.deepStrictEqual(streamersFeeding(graph(types, [['s1', 'c'], ['s2', 'c'], ['fn', 'c']]), 'c'), ['s1', 's2'])
    assert.deepStrictEqual(streamersFeeding(graph(types, [['fn', 'c']]), 'c'), [])
  })

  it('sees a confirmation path in a wire back or a FIX gateway downstream, not in the streamer\'s own wire', () => {
    assert.strictEqual(hasConfirmPath(graph(types, [['s1', 'c'], ['c', 'fn']]), 'c'), false)
    assert.strictEqual(hasConfirmPath(graph(types, [['s1', 'c'], ['c', 'fn'], ['fn', 'c']]), 'c'), true)
    const throughLinks = graph(types, [['s1', 'c'], ['done', 'out'], ['out', 'in'], ['in', 'c']])
    assert.strictEqual(hasConfirmPath(throughLinks, 'c'), true)
    assert.strictEqual(hasConfirmPath(graph(types, [['s1', 'c'], ['c', 'fn'], ['fn', 'gw']]), 'c'), true)
  })

  it('runs under the session\'s lease when a gateway downstream names a session, else under its own', () => {
    const g = graph(types, [['c', 'fn'], ['fn', 'gw']])
    assert.strictEqual(leaseResourceOf(g, 'c', 'orders', () => 'FIX.4.4:A->B'), 'fix-session:FIX.4.4:A->B')
    assert.strictEqual(leaseResourceOf(g, 'c', 'orders', () => undefined), 'streamer-client:orders')
    assert.strictEqual(leaseResourceOf(graph(types, []), 'c', 'orders', () => 'x'), 'streamer-client:orders')
  })

  it('sees a deploy that restarted a node after the client, then or now, and not one that restarted another', () => {
    const downstream = new Downstream()
    const before = graph(types, [['s1', 'c'], ['c', 'fn'], ['fn', 'gw']])
    assert.strictEqual(downstream.restarted(before, 'c'), false) // the first start: nothing was in flight
    assert.strictEqual(downstream.restarted(before, 'c', { type: 'flows', diff: { changed: ['s2'] } }), false)
    assert.strictEqual(downstream.restarted(before, 'c', { type: 'flows', diff: { changed: ['gw'] } }), true)
    // The gateway rewired away and removed in one deploy: it was after the client, its rows were dropped.
    const after = graph(types, [['s1', 'c'], ['c', 'fn']])
    assert.strictEqual(downstream.restarted(after, 'c', { type: 'flows', diff: { removed: ['gw'] } }), true)
    assert.strictEqual(downstream.restarted(after, 'c', { type: 'flows', diff: { removed: ['gw'] } }), false)
  })
})
