import * as assert from 'assert'
import { ChildProcess, spawn } from 'child_process'
import * as fs from 'fs'
import * as path from 'path'
import { describeEachDatabase, eventually, tempDir, uniqueSchema } from '../../support/databases'
import { fixFixture } from '../../support/fix-fixture'
import { acceptorRuntime, record, uniqueTag } from './support'

/** Runs the initiator child; collects its stdout lines. */
function child (cfg: object): { proc: ChildProcess, lines: string[], exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [path.join(__dirname, 'crash-child.js'), JSON.stringify(cfg)], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: string[] = []
  let buf = ''
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString()
    const parts = buf.split('\n')
    buf = parts.pop() ?? ''
    lines.push(...parts)
  })
  proc.stderr!.on('data', () => {})
  const exited = new Promise<number | null>(resolve => proc.on('exit', code => resolve(code)))
  return { proc, lines, exited }
}

describeEachDatabase('FIX session: kill -9 between send and checkpoint', target => {
  const f = fixFixture(target, 'fixcrash')
  const { running } = f
  let dir: string

  before(() => {
    dir = tempDir('fix-crash-')
  })
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('restarts with exact sequence continuity and the order reaches the counterparty once', async function () {
    this.timeout(180000)
    const tag = uniqueTag()
    const acc = acceptorRuntime({ db: f.db, schema: f.schema, codec: f.codec, tag }, 0)
    running.push(acc)
    const a = record(acc)
    await acc.start()
    // The child's own database: a PGlite folder on disk, or a schema on the server.
    const childDb = target.name === 'postgres'
      ? { url: process.env.DATABASE_URL, schema: uniqueSchema('fixcrashchild') }
      : { dataDir: path.join(dir, 'pglite'), schema: 'fix' }
    const cfg = { ...childDb, port: acc.port, tag, orders: 8 }

    const first = child({ ...cfg, holdAfter: 5 })
    await eventually(() => first.lines.includes('HOLDING'), 90000, 'the child to send order 5').catch(err => {
      throw new Error(`${(err as Error).message}: ${first.lines.join(' | ')}`)
    })
    await eventually(() => a.messages.length === 5, 10000, 'order 5 at the counterparty')
    first.proc.kill('SIGKILL')
    await first.exited
    assert.ok(!first.lines.some(l => l.startsWith('ERROR')), first.lines.join('\n'))

    const second = child(cfg)
    const code = await second.exited
    assert.strictEqual(code, 0, second.lines.join('\n'))
    assert.ok(
      second.lines.includes('SENT 5 duplicate 6'),
      `order 5 is recognised as journaled: ${second.lines.join(' | ')}`
    )
    assert.deepStrictEqual(
      second.lines.filter(l => l.startsWith('SENT')).map(l => l.split(' ')[2]),
      ['duplicate', 'sent', 'sent', 'sent']
    )

    await eventually(() => a.messages.length >= 8)
    await new Promise(resolve => setTimeout(resolve, 300))
    const ids = a.messages.map(m => m.body.ClOrdID)
    assert.deepStrictEqual(ids, ['K1', 'K2', 'K3', 'K4', 'K5', 'K6', 'K7', 'K8'], 'every order exactly once, in order')
    // Sequence continuity: run 1 used 1 (Logon) and 2-6 (orders 1-5); run 2 logs on with 7,
    // orders 6-8 are 8-10, Logout 11.
    assert.deepStrictEqual(a.messages.map(m => m.seq), [2, 3, 4, 5, 6, 8, 9, 10])
    assert.ok(!a.has('resend-request-sent'), 'no gap: nothing was lost')
    assert.ok(!a.has('logout', e => /too low/.test(e.text)))
    const done = second.lines.find(l => l.startsWith('DONE'))!.split(' ')
    assert.strictEqual(Number(done[1]), 12, 'next sender seq after Logout 11')
    await eventually(() => acc.session.state.nextTargetSeq === 12)
    if (target.name === 'postgres') await f.db.query(`DROP SCHEMA IF EXISTS "${childDb.schema}" CASCADE`)
  })
})
