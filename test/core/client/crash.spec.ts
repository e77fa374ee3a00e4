import * as assert from 'assert'
import * as path from 'path'
import { spawn } from 'child_process'
import { Database, FLUSH_WINDOW, migrate, PgDatabase } from '../../../core'
import { eventually, serverOptions, uniqueSchema } from '../../support/databases'
import { createSourceTable } from '../../support/source-table'

const child = path.join(__dirname, '..', '..', 'support', 'client-child.js')

/** Runs the client in a child process; returns its output lines and the process. */
function start (schema: string): { lines: string[], proc: ReturnType<typeof spawn> } {
  const proc = spawn(process.execPath, [child, schema], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: string[] = []
  let rest = ''
  proc.stdout!.on('data', (b: Buffer) => {
    const parts = (rest + b.toString()).split('\n')
    rest = parts.pop() ?? ''
    lines.push(...parts)
  })
  return { lines, proc }
}

const ids = (lines: string[], kind: string): number[] =>
  lines.filter(l => l.startsWith(kind + ' ')).map(l => Number(l.split(' ')[1]))

;(serverOptions() === undefined ? describe.skip : describe)('streamer client: kill -9 [postgres]', function () {
  this.timeout(60000)
  let db: Database
  let schema: string
  before(async () => {
    db = await PgDatabase.open(serverOptions()!)
    schema = uniqueSchema('k9')
    await migrate(db, schema)
    const table = await createSourceTable(db, schema)
    await db.query(`INSERT INTO ${table} (sym, qty) SELECT 'VOD', g FROM generate_series(1, 3000) g`)
  })
  after(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await db.close()
  })

  it('resumes after SIGKILL from its oldest unconfirmed row: nothing lost, order kept, repeats only rows in flight ' +
    'or confirmed within the flush window', async () => {
    const first = start(schema)
    await eventually(() => ids(first.lines, 'confirmed').length >= 800, 30000, '800 confirmations')
    first.proc.kill('SIGKILL') // our own child, by its handle
    await new Promise(resolve => first.proc.once('exit', resolve))
    const sent1 = ids(first.lines, 'sent')
    const confirmed1 = new Set(ids(first.lines, 'confirmed'))
    const cp = (
      await db.query<{ position: string[] }>(`SELECT position FROM "${schema}".checkpoints WHERE client_name = 'k9'`)
    ).rows[0].position
    const written = Number(cp[0])
    // The stored checkpoint never claims a row that was not confirmed, nor any before an open one.
    for (let id = 1; id <= written; id++) {
      assert.ok(confirmed1.has(id), `checkpoint ${written} claims unconfirmed ` +
      `row ${id}`)
    }

    const second = start(schema)
    await eventually(() => ids(second.lines, 'sent').includes(3000), 30000, 'the rest of the stream')
    second.proc.kill('SIGKILL')
    await new Promise(resolve => second.proc.once('exit', resolve))
    const sent2 = ids(second.lines, 'sent')
    assert.strictEqual(sent2[0], written + 1, 'resumes right after the written checkpoint')
    assert.deepStrictEqual(sent2, Array.from({ length: 3000 - written }, (_, i) => written + 1 + i), 'in order, no gap')
    const repeated = sent2.filter(id => sent1.includes(id))
    const lastSent1 = Math.max(...sent1)
    assert.ok(
      repeated.every(id => id > written && id <= lastSent1),
      'repeats only rows after the checkpoint that run 1 had sent'
    )
    // In flight (20) plus confirmed since the last completed write: one window of 500 rows, and
    // at most one more that was being written when the process died.
    assert.ok(repeated.length <= 20 + 2 * FLUSH_WINDOW.rows, `${repeated.length} rows repeated`)
    console.log(`      run 1 sent ${sent1.length}, checkpoint ${written}, repeated ${repeated.length} (in flight or ` +
      'confirmed within the last flush window)')
  })
})
