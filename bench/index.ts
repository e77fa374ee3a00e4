import * as fs from 'fs'
import * as path from 'path'

/**
 * `npm run bench`: runs every part in this folder (each exports `run()`), or only the parts
 * named on the command line (`npm run bench -- translator`).
 */
async function main (): Promise<void> {
  const wanted = process.argv.slice(2)
  const parts = fs.readdirSync(__dirname)
    .filter(f => f.endsWith('.js') && f !== 'index.js')
    .map(f => f.slice(0, -3))
    .filter(p => wanted.length === 0 || wanted.includes(p))
    .sort()
  for (const part of parts) {
    const mod = require(path.join(__dirname, part)) as { run?: () => Promise<void> }
    if (typeof mod.run !== 'function') continue
    console.log(`\n== ${part} ==`)
    await mod.run()
  }
}

main().catch(err => {
  console.error(err)
  process.exitCode = 1
})
