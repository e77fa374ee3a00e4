import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { FileSessionLog, printableFix, teeLog } from '../../../core/fix-session'
import { eventually } from '../../support/databases'
import { tempDirPerTest } from '../../support/temp'

const logon = [
  '8=FIX.4.4',
  '9=90',
  '35=A',
  '34=1',
  '49=CLI',
  '56=BRK',
  '98=0',
  '108=30',
  '553=trader',
  '554=s3cret!',
  '925=n3w',
  '10=123',
  ''
].join('\x01')

describe('FIX message log', function () {
  const tempDir = tempDirPerTest()

  it('prints a frame with | for SOH and masks every password field', () => {
    const line = printableFix(logon)
    assert.strictEqual(line, '8=FIX.4.4|9=90|35=A|34=1|49=CLI|56=BRK|98=0|108=30|553=trader|554=***|925=***|10=123|')
    assert.ok(!line.includes('s3cret') && !line.includes('n3w'))
    // A tag that merely ends in 554 is not a password.
    assert.strictEqual(printableFix('1554=x\x0158=554=y\x01'), '1554=x|58=554=y|')
  })

  it('writes messages and events to daily files named after the session, masked, and ' +
    'starts new files each UTC day', async () => {
    const dir = path.join(tempDir(), 'logs', 'nested')
    let at = new Date('2026-11-22T23:59:59.500Z')
    const log = new FileSessionLog({ directory: dir, sessionName: 'FIX.4.4:CLI->BRK', now: () => at })
    log.outgoing(logon)
    log.event('logon sent')
    at = new Date('2026-11-23T00:00:00.100Z')
    log.incoming(logon.replace('35=A', '35=0'))
    await log.close()
    log.event('after close: dropped')
    const files = fs.readdirSync(dir).sort()
    assert.deepStrictEqual(files, [
      'FIX.4.4_CLI-_BRK.events.2026-11-22.log',
      'FIX.4.4_CLI-_BRK.messages.2026-11-22.log',
      'FIX.4.4_CLI-_BRK.messages.2026-11-23.log'
    ])
    const day1 = fs.readFileSync(path.join(dir, files[1]), 'utf8')
    assert.strictEqual(day1, `2026-11-22T23:59:59.500Z >> ${printableFix(logon)}\n`)
    assert.ok(!day1.includes('s3cret'))
    assert.match(
      fs.readFileSync(path.join(dir, files[2]), 'utf8'),
      /^2026-11-23T00:00:00\.100Z << 8=FIX\.4\.4\|9=90\|35=0\|/
    )
    assert.strictEqual(fs.readFileSync(path.join(dir, files[0]), 'utf8'), '2026-11-22T23:59:59.500Z logon sent\n')
  })

  it('close waits for the previous day\'s file to be flushed, not only today\'s', async () => {
    // Which file finishes first is up to the thread pool, so the day change is tried many times:
    // a close that waited for today's file alone left yesterday's short in about a third of them.
    const big = 'x'.repeat(1024 * 1024)
    for (let run = 0; run < 30; run++) {
      const dir = tempDir()
      let at = new Date('2026-01-02T23:59:59.000Z')
      const log = new FileSessionLog({ directory: dir, sessionName: 's', now: () => at })
      log.event(big)
      at = new Date('2026-01-03T00:00:00.000Z')
      log.event('a new day')
      await log.close()
      const day1 = fs.readFileSync(path.join(dir, 's.events.2026-01-02.log'), 'utf8')
      assert.strictEqual(day1.length, '2026-01-02T23:59:59.000Z '.length + big.length + 1, `run ${run}`)
    }
  })

  it('appends to the day\'s file across restarts', async () => {
    const dir = tempDir()
    const now = (): Date => new Date('2026-01-02T10:00:00.000Z')
    for (const text of ['first run', 'second run']) {
      const log = new FileSessionLog({ directory: dir, sessionName: 's', now })
      log.event(text)
      await log.close()
    }
    assert.strictEqual(
      fs.readFileSync(path.join(dir, 's.events.2026-01-02.log'), 'utf8').split('\n').filter(Boolean).length,
      2
    )
  })

  it('reports a file it cannot write once, without throwing, and a directory it cannot create at once', async () => {
    const dir = tempDir()
    const errors: Error[] = []
    let at = new Date('2026-01-02T10:00:00.000Z')
    const log = new FileSessionLog({
      directory: dir,
      sessionName: 's',
      now: () => at,
      onError: err => errors.push(err)
    })
    log.event('day one')
    // The next day's file goes where a directory used to be: the write fails, the caller hears once.
    fs.rmSync(dir, { recursive: true, force: true })
    at = new Date('2026-01-03T10:00:00.000Z')
    log.event('day two')
    log.incoming(logon)
    await eventually(() => errors.length > 0, 5000, 'the write error')
    await log.close()
    assert.strictEqual(errors.length, 1)
    assert.match(errors[0].message, /ENOENT/)
    const file = path.join(tempDir(), 'a-file')
    fs.writeFileSync(file, '')
    assert.throws(() => new FileSessionLog({ directory: path.join(file, 'sub'), sessionName: 's' }), /ENOTDIR|EEXIST/)
  })

  it('tees every line to each log', () => {
    const seen: string[] = []
    const a = {
      incoming: (r: string) => seen.push(`a<${r}`),
      outgoing: (r: string) => seen.push(`a>${r}`),
      event: (t: string) => seen.push(`a:${t}`)
    }
    const b = {
      incoming: (r: string) => seen.push(`b<${r}`),
      outgoing: (r: string) => seen.push(`b>${r}`),
      event: (t: string) => seen.push(`b:${t}`)
    }
    const both = teeLog(a, b)
    both.incoming('x')
    both.outgoing('y')
    both.event('z')
    assert.deepStrictEqual(seen, ['a<x', 'b<x', 'a>y', 'b>y', 'a:z', 'b:z'])
  })
})
