import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { eventLine, fileLogOf, frameLog, statusLine, traceEnabled } from '../../nodes/fix-session/log-lines'
import { tempDirPerTest } from '../support/temp'
import { eventually } from '../support/wait'

describe('fix-session log lines', () => {
  it('prints frames only when some logger is at trace level, and keeps them when the settings cannot be read', () => {
    assert.strictEqual(traceEnabled(() => ({ console: { level: 'info' }, file: { level: 'trace' } })), true)
    assert.strictEqual(traceEnabled(() => ({ console: { level: 'debug' } })), false)
    assert.strictEqual(traceEnabled(() => undefined), false)
    assert.strictEqual(traceEnabled(() => { throw new Error('no such setting') }), true)
  })

  it('logs frames at trace level with secrets masked, and events at debug', () => {
    const lines: string[] = []
    const log = frameLog(true, { trace: t => lines.push(`trace ${t}`), debug: t => lines.push(`debug ${t}`) })
    log.incoming('35=A\x01554=secret\x01')
    log.outgoing('35=0\x01')
    log.event('heartbeat')
    assert.deepStrictEqual(lines, ['trace << 35=A|554=***|', 'trace >> 35=0|', 'debug heartbeat'])
  })

  it('formats no frame when nothing prints trace lines', () => {
    const lines: string[] = []
    const log = frameLog(false, { trace: t => lines.push(t), debug: t => lines.push(t) })
    log.incoming('35=A\x01')
    log.outgoing('35=A\x01')
    assert.deepStrictEqual(lines, [])
  })

  it('logs logons, logouts, refusals and sequence changes at info, errors as warnings, and nothing else', () => {
    assert.deepStrictEqual(eventLine({ type: 'logon', resetSeqNum: false, heartBtInt: 30 }),
      { level: 'log', text: 'logon: {"type":"logon","resetSeqNum":false,"heartBtInt":30}' })
    assert.strictEqual(eventLine({ type: 'logout', text: 'bye', initiatedBy: 'peer' })?.level, 'log')
    assert.strictEqual(eventLine({ type: 'logon-refused', text: 'no' })?.level, 'log')
    assert.strictEqual(eventLine({ type: 'sequence-numbers', nextSenderSeq: 1, nextTargetSeq: 1, reason: 'r' })?.level,
      'log')
    assert.deepStrictEqual(eventLine({ type: 'error', text: 'store failed' }), { level: 'warn', text: 'store failed' })
    assert.strictEqual(eventLine({ type: 'state', phase: 'logged-on', nextSenderSeq: 1, nextTargetSeq: 1 }), undefined)
    assert.strictEqual(eventLine({ type: 'test-request-sent', id: 'x' }), undefined)
  })

  it("logs the store's whole outage text while the status keeps it short, and other texts as shown", () => {
    const raw = 'waiting for database: connect ECONNREFUSED 127.0.0.1:5432 (retry 3)'
    assert.strictEqual(statusLine(raw, 'waiting for database: connection refused'), raw)
    assert.strictEqual(statusLine('reconnecting in 9 s', 'connection refused; retry in 9 s'),
      'connection refused; retry in 9 s')
  })

  const tempDir = tempDirPerTest('fixlog')

  it('opens no log files without a folder, and otherwise writes them under the user directory', async () => {
    const userDir = tempDir()
    assert.strictEqual(fileLogOf('  ', userDir, 'S', () => {}), undefined)
    assert.strictEqual(fileLogOf(undefined, userDir, 'S', () => {}), undefined)
    const log = fileLogOf('logs', userDir, 'FIX.4.4-A-B', () => {})
    assert.ok(log !== undefined)
    log.incoming('8=FIX.4.4\x0135=A\x01')
    await log.close()
    const files = await eventually(() => {
      const dir = path.join(userDir, 'logs')
      return fs.existsSync(dir) && fs.readdirSync(dir).length > 0 ? fs.readdirSync(dir) : undefined
    }, 5000, 'a log file')
    assert.ok(files?.some(f => f.includes('FIX.4.4-A-B')), String(files))
  })

  it('reports a log file that cannot be written, once for many lines', async () => {
    const userDir = tempDir()
    const errors: Error[] = []
    const log = fileLogOf('logs', userDir, 'S', err => errors.push(err))
    assert.ok(log !== undefined)
    fs.rmSync(path.join(userDir, 'logs'), { recursive: true }) // the folder goes away under the session
    for (let i = 0; i < 5; i++) log.incoming('35=0\x01')
    log.event('logon')
    await eventually(() => errors.length > 0, 5000, 'the error')
    await new Promise(resolve => setTimeout(resolve, 100))
    await log.close()
    assert.strictEqual(errors.length, 1)
    assert.match(errors[0].message, /ENOENT/)
  })
})
