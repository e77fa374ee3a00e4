/**
 * `npm run bench [-- part ...]`: runs every benchmark part (bench/<part>.ts exporting `run`),
 * or only the named ones. Each part measures its baseline in the same run and prints ratios.
 */
import * as fs from 'fs'
import * as path from 'path'

interface Part { run: () => Promise<void> }

async function main (): Promise<void> {
  const wanted = process.argv.slice(2)
  const parts = fs.readdirSync(__dirname)
    .filter(f => f.endsWith('.js') && f !== 'index.js' && !f.startsWith('_'))
    .map(f => f.replace(/\.js$/, ''))
    .sort()
    .filter(p => wanted.length === 0 || wanted.includes(p))
  if (parts.length === 0) throw new Error(`no benchmark parts${wanted.length > 0 ? ` named ${wanted.join(', ')}` : ''}`)
  console.log(`node ${process.version}, ${require('os').cpus().length} CPUs; parts: ${parts.join(', ')}`)
  for (const p of parts) {
    console.log(`\n## ${p}`)
    const part = require(path.join(__dirname, p)) as Part
    await part.run()
  }
}

main().then(() => process.exit(0), err => {
  console.error(err)
  process.exit(1)
})
