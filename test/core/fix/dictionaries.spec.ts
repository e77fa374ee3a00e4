import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { loadDictionary, MAX_CUSTOM_DICTIONARIES, MAX_DICTIONARY_BYTES } from '../../../core/fix/dictionaries'
import { tempDir } from '../../support/databases'

const FIX44 = path.resolve(__dirname, '..', '..', '..', '..', 'node_modules', 'jspurefix', 'data', 'FIX44.xml')

describe('custom dictionary cache', function () {
  this.timeout(60000)
  let dir = ''
  before(() => { dir = tempDir('fs-dicts-') })
  after(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('parses one file once however its path is spelled (symlink, /proc/self/root, dot segments)', async () => {
    const file = path.join(dir, 'venue.xml')
    fs.copyFileSync(FIX44, file)
    fs.symlinkSync(file, path.join(dir, 'link.xml'))
    const first = await loadDictionary(file)
    for (const spelling of [
      path.join(dir, 'link.xml'),
      `/proc/self/root${file}`,
      `/proc/self/root/proc/self/root${file}`,
      `${dir}/./venue.xml`
    ]) {
      assert.strictEqual(await loadDictionary(spelling), first, spelling)
    }
  })

  it(`keeps at most ${MAX_CUSTOM_DICTIONARIES} custom files, dropping the least recently used`, async () => {
    const files = Array.from({ length: MAX_CUSTOM_DICTIONARIES + 1 }, (_v, i) => path.join(dir, `d${i}.xml`))
    for (const f of files) fs.copyFileSync(FIX44, f)
    const first = await loadDictionary(files[0])
    const second = await loadDictionary(files[1])
    for (const f of files.slice(2)) await loadDictionary(f)
    await loadDictionary(files[1]) // used again: now the most recent
    assert.notStrictEqual(await loadDictionary(files[0]), first, 'the oldest was dropped and is parsed again')
    assert.strictEqual(await loadDictionary(files[1]), second)
  })

  it('refuses a file far larger than any dictionary, without reading it', async () => {
    const big = path.join(dir, 'big.xml')
    const fd = fs.openSync(big, 'w')
    fs.ftruncateSync(fd, MAX_DICTIONARY_BYTES + 1)
    fs.closeSync(fd)
    await assert.rejects(loadDictionary(big), /larger than/)
    await assert.rejects(loadDictionary('/dev/zero'), /not a file/)
  })
})
