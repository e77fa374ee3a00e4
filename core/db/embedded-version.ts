import * as fs from 'fs'

/**
 * The PostgreSQL major version of the embedded engine this pack depends on (PGlite 0.6 runs
 * PostgreSQL 19). A spec checks it against the installed engine, so a dependency bump that moves
 * PostgreSQL to a new major fails the tests until this constant, and the upgrade below, follow.
 */
export const ENGINE_MAJOR = 19

/** The command that moves an embedded database of an older major to ENGINE_MAJOR (bin/). */
export const UPGRADE_COMMAND = 'fix-streamers-upgrade-embedded'

/**
 * The folders around a data folder that an upgrade uses. An upgrade builds the new database in
 * `staging`, then renames the old folder to `backup` and `staging` to the data folder; its dump
 * stays in `dump`. Nothing of the old folder is ever deleted.
 */
export function upgradePaths (dataDir: string, fromMajor: number): { staging: string, backup: string, dump: string } {
  return {
    staging: `${dataDir}.upgrading`,
    backup: `${dataDir}.pg${fromMajor}`,
    dump: `${dataDir}.pg${fromMajor}.sql`
  }
}

/** The major version a data folder was made by (its PG_VERSION file), or undefined if it has none. */
export function dataDirMajor (dataDir: string): number | undefined {
  let text: string
  try {
    text = fs.readFileSync(`${dataDir}/PG_VERSION`, 'utf8')
  } catch {
    return undefined
  }
  const major = Number.parseInt(text.trim(), 10)
  return Number.isInteger(major) ? major : undefined
}

/**
 * The data folder was made by another PostgreSQL major version than the embedded engine's, or an
 * upgrade of it was interrupted. The engine cannot read another major's files (PostgreSQL never
 * can: a major upgrade dumps and restores), and opening it anyway would fail with PGlite's bare
 * "failed to initialize", or, for an interrupted upgrade whose data folder is renamed away,
 * silently create an empty database in its place (every checkpoint and sequence number gone).
 * So the pack opens nothing and changes nothing, and says what to do. Only a person can clear it:
 * an older folder is upgraded by the command; a newer one (the pack was downgraded after a newer
 * version upgraded the folder) has no way back to an older major, so the message names the fix,
 * the newer pack again, and never the upgrade command, which would refuse it.
 */
export class EmbeddedVersionError extends Error {
  readonly needsOperator = true

  constructor (readonly dataDir: string, readonly foundMajor: number | undefined, interrupted = false) {
    // The words before " (" are what a status shows (shortReason); a log line has it all.
    super(interrupted
      ? `upgrade of the folder interrupted (the embedded database in ${dataDir}: nothing was opened or ` +
        `changed; run "npx ${UPGRADE_COMMAND} ${dataDir}" in the Node-RED user folder to finish it)`
      : foundMajor !== undefined && foundMajor > ENGINE_MAJOR
        ? newerFolder(dataDir, foundMajor)
        : `PostgreSQL ${String(foundMajor)} folder needs upgrading (the embedded database in ${dataDir} was made ` +
          `by PostgreSQL ${String(foundMajor)} and this version of the pack embeds PostgreSQL ${ENGINE_MAJOR}, ` +
          'which cannot read it: nothing was opened or changed; ' +
          `run "npx ${UPGRADE_COMMAND} ${dataDir}" in the Node-RED user folder to upgrade it, the old folder is kept)`)
    this.name = 'EmbeddedVersionError'
  }
}

/** What to say of a folder of a newer major than the engine's: the pack is too old for it. */
export function newerFolder (dataDir: string, major: number): string {
  return `PostgreSQL ${major} folder: pack too old (the embedded database in ${dataDir} was made by ` +
    `PostgreSQL ${major}, by a newer version of the pack; this version embeds PostgreSQL ${ENGINE_MAJOR}, ` +
    'which cannot read it, and no folder goes back to an older major: nothing was opened or changed; ' +
    'install the newer version of the pack again)'
}

/**
 * Throws EmbeddedVersionError unless the engine may open (or create) the data folder: it holds
 * ENGINE_MAJOR's files, or none yet and no upgrade of it is under way.
 */
export function assertEngineCanOpen (dataDir: string): void {
  const major = dataDirMajor(dataDir)
  if (major !== undefined && major !== ENGINE_MAJOR) throw new EmbeddedVersionError(dataDir, major)
  if (major === undefined && fs.existsSync(upgradePaths(dataDir, 0).staging)) {
    throw new EmbeddedVersionError(dataDir, undefined, true)
  }
}
