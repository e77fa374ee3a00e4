/** Temporary folders for tests (each test removes its own). */
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'

export function tempDir (prefix = 'fix-streamers-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}
