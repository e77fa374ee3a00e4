/** Temporary folders for tests, removed by the test or describe that made them. */
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'

export function tempDir (prefix = 'fix-streamers-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

/** `make`, whose folders the mocha hook registered with `hook` removes. */
function removedBy (hook: (fn: () => void) => void, prefix?: string): () => string {
  const made: string[] = []
  hook(() => { for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true }) })
  return () => {
    const dir = tempDir(prefix)
    made.push(dir)
    return dir
  }
}

/**
 * A mocha `afterEach` in the calling describe; returns `make`, whose folders (an embedded database's data
 * folder, with the tables a test created in it) it removes after each test. Mocha runs the `afterEach` hooks
 * of a describe in the order they were registered: call it after the one that unloads the flows using them.
 */
export function tempDirPerTest (prefix?: string): () => string {
  return removedBy(afterEach, prefix)
}

/**
 * A mocha `after` in the calling describe; returns `make`, whose folders it removes once the describe's
 * tests and the `after` hooks registered before this call are done (a data folder its tests share).
 */
export function tempDirPerSuite (prefix?: string): () => string {
  return removedBy(after, prefix)
}
