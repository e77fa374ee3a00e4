import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { EmbeddedDatabaseError, PgliteDatabase } from '../../../core/db/pglite-database'
import { tempDir } from '../../support/databases'
import { ProcessErrors } from '../../support/process-errors'

/**
 * Issue 17, PGlite's error paths: each failure of the embedded database is a rejection of the
 * call that met it, with a clear message, never an uncaught exception or unhandled rejection
 * (either would end Node-RED). Real PGlite on real data folders.
 */
describe('PGlite error paths reject the call, with a clear message [pglite]', function () {
  this.timeout(60000)
  let dir: string
  let recorded: ProcessErrors

  beforeEach(() => {
    dir = tempDir('fix-streamers-pglite-')
    recorded = new ProcessErrors()
  })
  afterEach(async () => {
    await new Promise(resolve => setTimeout(resolve, 50)) // a late rejection would show here
    recorded.stop()
    fs.rmSync(dir, { recursive: true, force: true })
    assert.deepStrictEqual(recorded.errors, [], 'nothing reached the process as an uncaught error')
  })

  it('an error inside a transaction rejects with its SQLSTATE, rolls back, and the database goes on', async () => {
    const db = await PgliteDatabase.open({ dataDir: path.join(dir, 'db') })
    try {
      await db.query('CREATE TABLE t (n int PRIMARY KEY)')
      const err = await db.transaction(async tx => {
        await tx.query('INSERT INTO t VALUES (1)')
        await tx.query('INSERT INTO t VALUES (1)')
      }).then(() => undefined, (e: { code?: string }) => e)
      assert.strictEqual(err?.code, '23505')
      assert.deepStrictEqual((await db.query('SELECT count(*)::int AS n FROM t')).rows, [{ n: 0 }])
      await db.query('INSERT INTO t VALUES (2)')
    } finally {
      await db.close()
    }
  })

  it('a query after close rejects saying the database is closed; close lets a running query finish', async () => {
    const db = await PgliteDatabase.open()
    const running = db.query<{ x: number }>('SELECT 1 AS x FROM pg_sleep(0.3)')
    const closing = db.close()
    assert.deepStrictEqual((await running).rows, [{ x: 1 }])
    await closing
    await assert.rejects(db.query('SELECT 1'), /the embedded database is closed/)
    await assert.rejects(db.transaction(async tx => await tx.query('SELECT 1')), /closed/)
    await assert.rejects(db.exec('SELECT 1'), /closed/)
    await db.close() // twice is fine
  })

  it('a damaged data folder: open rejects with EmbeddedDatabaseError naming the folder', async () => {
    const folder = path.join(dir, 'db')
    const db = await PgliteDatabase.open({ dataDir: folder })
    await db.close()
    fs.writeFileSync(path.join(folder, 'global', 'pg_control'), Buffer.alloc(8192, 7))
    const err = await PgliteDatabase.open({ dataDir: folder }).then(() => undefined, (e: Error) => e)
    assert.ok(err instanceof EmbeddedDatabaseError, String(err))
    assert.ok(err.message.includes(folder), err.message)
  })

  it('a file where the data folder should be: open rejects with EmbeddedDatabaseError and a readable reason',
    async () => {
      const file = path.join(dir, 'not-a-folder')
      fs.writeFileSync(file, 'x')
      const err = await PgliteDatabase.open({ dataDir: file }).then(() => undefined, (e: Error) => e)
      assert.ok(err instanceof EmbeddedDatabaseError, String(err))
      assert.match(err.message, /could not be opened: .*(error|not)/)
      assert.ok(err.message.includes(file), err.message)
    })
})
