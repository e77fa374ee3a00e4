import * as assert from 'assert'
import { JournalEntry, SOH } from '../../../core/fix-session'
import { databaseTargets, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { acceptorRuntime, er, RawPeer, record, uniqueTag } from './support'

/**
 * A ResendRequest for a long range is answered page by page from the journal, and only as fast as
 * the peer reads: a peer that asks for everything and stops reading cannot make the session load
 * the whole journal or fill memory with unsent frames.
 */
describe('FIX session: resend answers paged from the journal, waiting for the socket to drain', () => {
  const f = fixFixture(databaseTargets()[0], 'fixpage')

  it('reads the journal 500 entries at a time and stops reading while the peer does not read', async function () {
    this.timeout(120000)
    const tag = uniqueTag()
    const rt = acceptorRuntime({ db: f.db, schema: f.schema, codec: f.codec, tag }, 0)
    f.running.push(rt)
    record(rt)
    await rt.start()
    const peer = await RawPeer.connect(rt.port!, f.codec, `CLI${tag}`, `BRK${tag}`)
    f.peers.push(peer)
    peer.logon()
    await peer.waitFor('A')
    const total = 3000
    // 24 MB in all: more than loopback's socket buffers take, so a session that does not wait
    // for 'drain' reads (and queues) the whole journal while the peer reads nothing.
    const text = 'x'.repeat(8000)
    for (let i = 0; i < total; i += 250) {
      await Promise.all(
        Array.from(
          { length: 250 },
          async (_v, k) => await rt.send({ msgType: '8', body: { ...er(`P${i + k}`, 1), Text: text } })
        )
      )
    }
    await eventually(() => peer.ofType('8').length === total, 60000, 'every message at the peer')

    // A spy on the real store: what each journal read asked for and got.
    const reads: Array<{ limit?: number, got: number }> = []
    const store = rt.store
    const original = store.sentRange.bind(store)
    store.sentRange = async (begin: number, end: number, limit?: number): Promise<JournalEntry[]> => {
      const rows = await original(begin, end, limit)
      reads.push({ limit, got: rows.length })
      return rows
    }

    peer.socket.pause()
    peer.send('2', `7=1${SOH}16=0${SOH}`)
    await new Promise(resolve => setTimeout(resolve, 2000))
    const whilePaused = reads.length
    const entriesWhilePaused = reads.reduce((n, r) => n + r.got, 0)
    assert.ok(whilePaused >= 1, 'the resend started')
    // Entries, not queries, count: one query for the whole journal is one read too (as before paging).
    assert.ok(
      entriesWhilePaused < total,
      `the session waits for the peer to read: ${entriesWhilePaused} of ${total} journal entries read while paused`
    )

    peer.socket.resume()
    await eventually(
      () => peer.received.filter(m => m.get(35) === '8' && m.get(43) === 'Y').length === total,
      60000,
      'every message resent'
    )
    assert.ok(reads.every(r => r.limit === 500 && r.got <= 500), JSON.stringify(reads))
    assert.ok(reads.length >= total / 500, `${reads.length} pages`)
    const resent = peer.received.filter(m => m.get(35) === '8' && m.get(43) === 'Y').map(m => Number(m.get(34)))
    assert.deepStrictEqual(resent.slice(0, 3), [2, 3, 4], 'in order, from the first application message')
    assert.strictEqual(rt.session.phase, 'logged-on')
  })
})
