import * as assert from 'assert'
import { JournalEntry, SOH } from '../../../core/fix-session'
import type { SessionRuntime } from '../../../core/fix-session'
import { databaseTargets, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { er, loggedOnPeer, RawPeer } from './support'

/**
 * A ResendRequest for a long range is answered page by page from the journal, and only as fast as
 * the peer reads: a peer that asks for everything, or asks again and again, and stops reading
 * cannot make the session load the whole journal or fill memory with unsent frames.
 */
describe('FIX session: resend answers paged from the journal, waiting for the socket to drain', () => {
  const f = fixFixture(databaseTargets()[0], 'fixpage')
  const total = 3000

  /**
   * A logged-on acceptor that has sent `total` ExecutionReports of 8 KB (24 MB in all: more than
   * loopback's socket buffers take, so a session that does not wait for 'drain' reads, and queues,
   * journal entries while the peer reads nothing), its peer, and a spy on the real store: what each
   * journal read asked for and got.
   */
  async function sentJournal (): Promise<{
    rt: SessionRuntime
    peer: RawPeer
    reads: Array<{ limit?: number, got: number }>
  }> {
    const { acc, peer } = await loggedOnPeer(f)
    const rt = acc.runtime
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
    const reads: Array<{ limit?: number, got: number }> = []
    const store = rt.store
    const original = store.sentRange.bind(store)
    store.sentRange = async (begin: number, end: number, limit?: number): Promise<JournalEntry[]> => {
      const rows = await original(begin, end, limit)
      reads.push({ limit, got: rows.length })
      return rows
    }
    return { rt, peer, reads }
  }
  const entriesRead = (reads: Array<{ got: number }>): number => reads.reduce((n, r) => n + r.got, 0)
  const resent = (peer: RawPeer): number[] =>
    peer.received.filter(m => m.get(35) === '8' && m.get(43) === 'Y').map(m => Number(m.get(34)))

  it('reads the journal 500 entries at a time and stops reading while the peer does not read', async function () {
    this.timeout(120000)
    const { rt, peer, reads } = await sentJournal()
    peer.socket.pause()
    peer.send('2', `7=1${SOH}16=0${SOH}`)
    // The first page read (4 MB from the journal) can take a while on a loaded machine: waited for, then
    // 2 s more, in which a session that does not wait for 'drain' would read the whole journal.
    await eventually(() => reads.length >= 1, 6000, 'the resend started')
    await new Promise(resolve => setTimeout(resolve, 2000))
    const entriesWhilePaused = entriesRead(reads)
    // Entries, not queries, count: one query for the whole journal is one read too (as before paging).
    assert.ok(
      entriesWhilePaused < total,
      `the session waits for the peer to read: ${entriesWhilePaused} of ${total} journal entries read while paused`
    )

    peer.socket.resume()
    await eventually(() => resent(peer).length === total, 60000, 'every message resent')
    assert.ok(reads.every(r => r.limit === 500 && r.got <= 500), JSON.stringify(reads))
    assert.ok(reads.length >= total / 500, `${reads.length} pages`)
    assert.deepStrictEqual(resent(peer).slice(0, 3), [2, 3, 4], 'in order, from the first application message')
    assert.strictEqual(rt.session.phase, 'logged-on')
  })

  it('answers a storm of ResendRequests one after another, each page waiting for the peer to read', async function () {
    this.timeout(180000)
    const { rt, peer, reads } = await sentJournal()
    // 20 requests of 300 messages each (one page each, 2.4 MB): 6,000 entries, twice the journal.
    const requests = 20
    const per = 300
    peer.socket.pause()
    for (let i = 0; i < requests; i++) peer.send('2', `7=2${SOH}16=${1 + per}${SOH}`)
    // Up to 5 s (less than the 10 s after which a peer that reads nothing is disconnected), or until
    // the session has read a whole journal's worth.
    const until = Date.now() + 5000
    while (Date.now() < until && entriesRead(reads) < total) await new Promise(resolve => setTimeout(resolve, 100))
    const entriesWhilePaused = entriesRead(reads)
    assert.ok(reads.length >= 1, 'the resends started')
    assert.ok(
      entriesWhilePaused < total,
      `${entriesWhilePaused} journal entries read for ${requests} ResendRequests while the peer read nothing`
    )

    peer.socket.resume()
    await eventually(() => resent(peer).length === requests * per, 120000, 'every request answered')
    const got = resent(peer)
    for (let i = 0; i < requests; i++) {
      assert.deepStrictEqual(got.slice(i * per, (i + 1) * per), Array.from({ length: per }, (_v, k) => 2 + k))
    }
    assert.strictEqual(rt.session.phase, 'logged-on')
  })
})
