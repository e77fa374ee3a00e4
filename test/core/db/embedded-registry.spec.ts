import * as assert from 'assert'
import { EmbeddedRegistry } from '../../../core/db/embedded-registry'
import { tempDirPerTest } from '../../support/temp'

describe('embedded databases shared per data folder', () => {
  const tempDir = tempDirPerTest()

  it('gives every opener of one folder the same database, and closes it with the last handle', async () => {
    const registry = new EmbeddedRegistry()
    const dir = tempDir()
    const [a, b] = await Promise.all([registry.open(dir), registry.open(dir)])
    await a.query('CREATE TABLE shared (v int)')
    await b.query('INSERT INTO shared VALUES (1)')
    assert.deepStrictEqual((await a.query('SELECT v FROM shared')).rows, [{ v: 1 }])
    assert.strictEqual(registry.openFolders.get(dir), 2)
    await a.close()
    assert.ok(a.closed)
    await assert.rejects(a.query('SELECT 1'), /closed/)
    assert.deepStrictEqual(
      (await b.query('SELECT count(*)::int AS n FROM shared')).rows,
      [{ n: 1 }],
      'the other handle still works'
    )
    await b.close()
    assert.strictEqual(registry.openFolders.has(dir), false)
    // Reopening after the last close gets a fresh instance on the same files.
    const c = await registry.open(dir)
    assert.deepStrictEqual((await c.query('SELECT v FROM shared')).rows, [{ v: 1 }])
    await c.close()
  })

  it('waits for a close in progress before reopening the folder', async () => {
    const registry = new EmbeddedRegistry()
    const dir = tempDir()
    const a = await registry.open(dir)
    await a.query('CREATE TABLE t (v int)')
    const closing = a.close()
    const b = await registry.open(dir) // must not open the files while the old instance still has them
    await closing
    await b.query('INSERT INTO t VALUES (2)')
    assert.deepStrictEqual((await b.query('SELECT v FROM t')).rows, [{ v: 2 }])
    await b.close()
  })
})
