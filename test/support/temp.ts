/** Temporary folders for tests (each test removes its own). */
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'

export function tempDir (prefix = 'fix-streamers-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

/**
 * A mocha `afterEach` in the calling describe; returns `make`, whose folders (an embedded database's data
 * folder, with the tables a test created in it) it removes after each test.
 */
export function tempDirPerTest (prefix?: string): () => string {
  const made: string[] = []
  afterEach(() => { for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true }) })
  return () => {
    const dir = tempDir(prefix)
    made.push(dir)
    return dir
  }
}
