#!/usr/bin/env node
// fix-streamers-upgrade-embedded: moves a streamer-database's embedded (PGlite) folder made by an
// older PostgreSQL major to the one this version of the pack embeds (core/db/embedded-upgrade.ts).
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { spawnSync } from 'child_process'
import { Readable } from 'stream'
import { pipeline } from 'stream/promises'
import type { ReadableStream as WebReadableStream } from 'stream/web'
import { createRequire } from 'module'
import { ENGINE_MAJOR, UPGRADE_COMMAND, dataDirMajor, newerFolder, upgradePaths } from '../core/db/embedded-version'
import { EmbeddedUpgradeError, EngineDatabase, OldEngine, upgradeEmbedded } from '../core/db/embedded-upgrade'

/**
 * The npm package that reads each older major: PGlite's pg_dump, which brings the PGlite it was
 * built with as its peer (pglite-tools 0.4.8: PGlite 0.5.8, PostgreSQL 18.3, which reads every
 * PGlite 0.5 folder). Installed only for an upgrade, in a folder of its own.
 */
export const OLD_ENGINES: Readonly<Record<number, string>> = { 18: '@electric-sql/pglite-tools@0.4.8' }

/** Installs the engine of `major` under `prefix` (npm, from the registry the machine uses). */
export function installOldEngine (major: number, prefix: string): void {
  const spec = OLD_ENGINES[major]
  if (spec === undefined) throw new EmbeddedUpgradeError(`no upgrade from PostgreSQL ${major} is known`)
  fs.mkdirSync(prefix, { recursive: true })
  const args = ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', spec]
  // Under npx or npm, npm_execpath is npm's own script: run it with this Node.
  const npmCli = process.env.npm_execpath
  const r = npmCli !== undefined && /npm-cli\.js$/.test(npmCli)
    ? spawnSync(process.execPath, [npmCli, ...args], { stdio: 'inherit' })
    : spawnSync('npm', args, { stdio: 'inherit', shell: process.platform === 'win32' })
  if (r.status !== 0) {
    throw new EmbeddedUpgradeError(`npm could not install ${spec} into ${prefix} (exit ${String(r.status ?? r.error)})`)
  }
}

/** The engine of `major` installed under `prefix`, loaded in this process beside the pack's own. */
export function loadOldEngine (major: number, prefix: string): OldEngine {
  const load = createRequire(path.join(path.resolve(prefix), 'package.json'))
  let PGlite: { create: (dataDir: string) => Promise<EngineDatabase> }
  let pgDump: (o: { pg: unknown, args?: string[] }) => Promise<Blob>
  try {
    PGlite = load('@electric-sql/pglite').PGlite
    pgDump = load('@electric-sql/pglite-tools/pg_dump').pgDump
  } catch (err) {
    throw new EmbeddedUpgradeError(`no PostgreSQL ${major} engine under ${prefix}: ${(err as Error).message}`)
  }
  return {
    major,
    open: async dataDir => await PGlite.create(dataDir),
    dump: async (db, file) => {
      const dumped = await pgDump({ pg: db, args: ['--no-owner'] })
      const from = Readable.fromWeb(dumped.stream() as WebReadableStream)
      await pipeline(from, fs.createWriteStream(file, { mode: 0o600 }))
    }
  }
}

const USAGE = `usage: ${UPGRADE_COMMAND} <data folder> [--engine <folder>]

Moves an embedded database (a streamer-database node's PGlite folder) made by an older PostgreSQL
major version to PostgreSQL ${ENGINE_MAJOR}, which this version of the pack embeds. The old folder is
kept as <data folder>.pg<major> and its dump as <data folder>.pg<major>.sql. Run it while no
Node-RED uses the folder (the pack refuses to open one that needs upgrading). Running it again
after an interruption finishes the upgrade.

  --engine <folder>  the older engine is installed there already (npm install --prefix <folder>
                     ${Object.values(OLD_ENGINES).join(' or ')}); by default it is installed from
                     npm into a temporary folder, removed at the end.`

export async function main (argv: readonly string[], out = console.log): Promise<number> {
  const args = [...argv]
  if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
    out(USAGE)
    return args.length === 0 ? 2 : 0
  }
  let engineDir: string | undefined
  const at = args.indexOf('--engine')
  if (at >= 0) {
    engineDir = args[at + 1]
    args.splice(at, 2)
  }
  if (args.length !== 1 || engineDir === '') {
    out(USAGE)
    return 2
  }
  const dataDir = path.resolve(args[0])
  // A run stopped between its two renames left no data folder, a staging one and the backup.
  const resuming = dataDirMajor(dataDir) === undefined && fs.existsSync(upgradePaths(dataDir, 0).staging)
  const major = resuming
    ? Object.keys(OLD_ENGINES).map(Number).find(m => dataDirMajor(upgradePaths(dataDir, m).backup) === m)
    : dataDirMajor(dataDir)
  if (major === undefined) {
    out(`${dataDir} is not an embedded database folder (no PG_VERSION in it)`)
    return 1
  }
  if (major > ENGINE_MAJOR) {
    out(`${UPGRADE_COMMAND}: ${newerFolder(dataDir, major)}`)
    return 1
  }
  const needsEngine = !resuming && major !== ENGINE_MAJOR
  const temporary = engineDir === undefined && needsEngine
    ? fs.mkdtempSync(path.join(os.tmpdir(), 'fix-streamers-engine-'))
    : undefined
  try {
    let old: OldEngine = { major, open: notNeeded, dump: notNeeded }
    if (needsEngine) {
      const prefix = engineDir ?? (temporary as string)
      if (engineDir === undefined) {
        out(`installing PostgreSQL ${major}'s engine (${OLD_ENGINES[major] ?? '?'}) into ${prefix}`)
        installOldEngine(major, prefix)
      }
      old = loadOldEngine(major, prefix)
    }
    const report = await upgradeEmbedded(dataDir, old, out)
    if (report.outcome === 'current') out(`${dataDir} holds PostgreSQL ${ENGINE_MAJOR} already: nothing to do`)
    else if (report.outcome === 'upgraded') {
      out(`done: ${report.tables} tables and ${report.rows} rows, every table's rows and every sequence counted ` +
        `equal before and after; remove ${String(report.backup)} and ${String(report.dump)} once satisfied`)
    } else out(`done: the upgrade is finished; the old folder is ${String(report.backup)}`)
    return 0
  } catch (err) {
    out(`${UPGRADE_COMMAND}: ${err instanceof Error ? err.message : String(err)}`)
    return 1
  } finally {
    if (temporary !== undefined) fs.rmSync(temporary, { recursive: true, force: true })
  }
}

async function notNeeded (): Promise<never> {
  throw new Error('the older engine is not needed for this folder')
}

if (require.main === module) {
  main(process.argv.slice(2)).then(code => { process.exitCode = code }, err => {
    console.error(err)
    process.exitCode = 1
  })
}
