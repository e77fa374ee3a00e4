import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { FileSessionLog, SOH } from '../../../core/fix-session'
import { maskSecretFields } from '../../../core/fix-session/session-log'
import { describeEachDatabase, eventually } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { tempDirPerTest } from '../../support/temp'
import { acceptorRuntime, frameText, RawPeer, record, uniqueTag } from './support'

const SECRET = 'hunter2-s3cret'

describe('secret FIX fields in any text', () => {
  it('are masked with SOH or | delimiters, cut short, or after other text; other tags are not', () => {
    assert.strictEqual(
      maskSecretFields(`35=A\x01554=${SECRET}\x01925=n3w\x0110=1`),
      '35=A\x01554=***\x01925=***\x0110=1'
    )
    assert.strictEqual(
      maskSecretFields(`CheckSum wrong: 8=FIX.4.4|554=${SECRET}|96=token|1554=x|58=554=y`),
      'CheckSum wrong: 8=FIX.4.4|554=***|96=***|1554=x|58=554=y'
    )
    assert.strictEqual(maskSecretFields(`garbage 554=${SECRET.slice(0, 5)}`), 'garbage 554=***')
    assert.strictEqual(maskSecretFields('x554=1|A554=2'), 'x554=1|A554=2')
  })
})

describe('FIX session log files', () => {
  const tempDir = tempDirPerTest()

  it('are created readable by their owner only, and narrow a file an older version left readable', async () => {
    const dir = path.join(tempDir(), 'logs')
    const at = new Date('2026-11-22T10:00:00Z')
    const old = new FileSessionLog({ directory: dir, sessionName: 'S', now: () => at })
    fs.writeFileSync(old.pathOf('events', at), 'from an older version\n', { mode: 0o644 })
    fs.chmodSync(old.pathOf('events', at), 0o644)
    const saved = process.umask(0)
    try {
      old.incoming('8=FIX.4.4\x0135=0\x01')
      old.event('an event')
      await old.close()
    } finally {
      process.umask(saved)
    }
    for (const kind of ['messages', 'events'] as const) {
      assert.strictEqual(fs.statSync(old.pathOf(kind, at)).mode & 0o777, 0o600, kind)
    }
  })
})

describeEachDatabase('Secrets from a FIX peer', target => {
  const f = fixFixture(target, 'fixsecret')
  const tempDir = tempDirPerTest() // after the fixture's hooks: its sessions have closed their logs

  it('never reach events, statuses or log files in clear, garbled frames included', async function () {
    this.timeout(30000)
    const tag = uniqueTag()
    const dir = tempDir()
    const log = new FileSessionLog({ directory: dir, sessionName: `S${tag}` })
    const rt = acceptorRuntime({ db: f.db, schema: f.schema, codec: f.codec, tag, acceptorRuntime: { log } }, 0)
    f.running.push(rt)
    const acc = record(rt)
    await rt.start()
    // A frame with a wrong CheckSum, then bytes that are no frame at all, both carrying a password.
    const first = await RawPeer.connect(rt.port!, f.codec, `CLI${tag}`, `BRK${tag}`)
    f.peers.push(first)
    first.sendRaw(`junk 554=${SECRET}|925=${SECRET}|`)
    first.sendRaw(
      frameText(`35=A|49=CLI${tag}|56=BRK${tag}|34=1|52=20240102-03:04:05.000|98=0|108=30|554=${SECRET}|`).replace(
        /10=\d{3}/,
        '10=000'
      )
    )
    await eventually(() => acc.has('garbled') || first.closed, 5000, 'the bad bytes to be noticed')
    first.close()
    // Then a good Logon with a password.
    const peer = await RawPeer.connect(rt.port!, f.codec, `CLI${tag}`, `BRK${tag}`)
    f.peers.push(peer)
    peer.logon({ extra: `554=${SECRET}${SOH}` })
    await peer.waitFor('A')
    await rt.stop()
    f.running.pop()
    await log.close()
    const shown = JSON.stringify([acc.events, acc.statuses])
    assert.ok(!shown.includes(SECRET), `events and statuses hold the password: ${shown.slice(0, 400)}`)
    const files = fs.readdirSync(dir)
    assert.ok(files.length >= 2, 'messages and events were logged')
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8')
      assert.ok(!text.includes(SECRET), `${f} holds the password`)
      assert.strictEqual(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, `${f} is the owner's only`)
    }
    assert.ok(fs.readFileSync(path.join(dir, files.find(f => f.includes('messages'))!), 'utf8').includes('554=***'))
  })
})
