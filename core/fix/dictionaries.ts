import * as fs from 'fs'
import * as path from 'path'
import { FileDuplex, FixDefinitions, makeEmptyLogger, QuickFixGraphFileParser } from './jspurefix'

export interface BuiltinDictionary {
  id: 'FIX.4.2' | 'FIX.4.4' | 'FIX.5.0SP2'
  label: string
  /** BeginString (8) on the wire: FIXT.1.1 for FIX 5.0 application messages. */
  beginString: 'FIX.4.2' | 'FIX.4.4' | 'FIXT.1.1'
  /** DefaultApplVerID (1137) sent at logon for FIXT sessions. */
  defaultApplVerID?: string
  /** jspurefix's alias of the QuickFIX XML it ships. */
  alias: string
}

/** The QuickFIX-format dictionaries jspurefix ships (they need no install script to be present). */
export const BUILTIN_DICTIONARIES: readonly BuiltinDictionary[] = [
  { id: 'FIX.4.2', label: 'FIX 4.2', beginString: 'FIX.4.2', alias: 'qf42' },
  { id: 'FIX.4.4', label: 'FIX 4.4', beginString: 'FIX.4.4', alias: 'qf44' },
  {
    id: 'FIX.5.0SP2',
    label: 'FIX 5.0 SP2 (FIXT.1.1)',
    beginString: 'FIXT.1.1',
    defaultApplVerID: '9',
    alias: 'qf50sp2'
  }
]

export function builtinDictionary (ref: string): BuiltinDictionary | undefined {
  return BUILTIN_DICTIONARIES.find(d => d.id === ref)
}

/**
 * Loaded dictionaries, one per resolved source for the whole process: FIX 5.0SP2 takes over a
 * second and ~190 MB of heap to load, so every node and session shares one copy. Keys are
 * jspurefix aliases or real paths (symlinks and /proc/self/root prefixes resolved), so one file
 * is parsed once however it is named; at most MAX_CUSTOM_DICTIONARIES custom files are kept,
 * least recently used first out (a node keeps the definitions it holds; only a reload re-parses).
 */
const loaded = new Map<string, Promise<FixDefinitions>>()
export const MAX_CUSTOM_DICTIONARIES = 8
/** A QuickFIX XML of FIX 5.0SP2 is about 1.5 MB; anything much bigger is not a dictionary. */
export const MAX_DICTIONARY_BYTES = 32 * 1024 * 1024

/**
 * Loads a dictionary once per process: a builtin id ('FIX.4.4'), or an absolute path to a
 * QuickFIX XML file. A failed load is not cached, so a corrected file can be retried.
 */
export async function loadDictionary (ref: string): Promise<FixDefinitions> {
  const source = dictionarySource(ref)
  let p = loaded.get(source)
  if (p !== undefined) {
    loaded.delete(source)
    loaded.set(source, p)
  } else {
    // Defer to the next turn so a caller (e.g. a node constructor) is never blocked by the parse.
    p = new Promise<void>(resolve => setImmediate(resolve))
      .then(async () => await parseQuickFixXml(dictionaryFile(source)))
    loaded.set(source, p)
    const mine = p
    p.catch(() => { if (loaded.get(source) === mine) loaded.delete(source) })
    evictCustom()
  }
  return await p
}

/** jspurefix's folder: its aliases name QuickFIX XML files there (data/dictionary.json). */
const JSPUREFIX_ROOT = path.dirname(require.resolve('jspurefix/package.json'))

/** The file of a source: a builtin's alias resolved as jspurefix's DefinitionFactory does, or the checked path. */
function dictionaryFile (source: string): string {
  if (path.isAbsolute(source)) return source
  const aliases = JSON.parse(fs.readFileSync(path.join(JSPUREFIX_ROOT, 'data', 'dictionary.json'), 'utf8')) as
    Record<string, { dict: string } | undefined>
  const dict = aliases[source]?.dict
  if (dict === undefined) throw new DictionaryError(`jspurefix has no dictionary "${source}"`)
  return path.join(JSPUREFIX_ROOT, dict)
}

/**
 * A QuickFIX XML file parsed by the parser jspurefix's DefinitionFactory picks for a file, called
 * directly: the factory's module loads all of jspurefix (transports, the generated types of every
 * FIX version: about 8 MB of heap that stays).
 */
async function parseQuickFixXml (file: string): Promise<FixDefinitions> {
  return await new QuickFixGraphFileParser(() => new FileDuplex(file), makeEmptyLogger).parse()
}

function evictCustom (): void {
  const custom = [...loaded.keys()].filter(k => path.isAbsolute(k))
  for (const k of custom.slice(0, Math.max(0, custom.length - MAX_CUSTOM_DICTIONARIES))) loaded.delete(k)
}

/** A dictionary reference that names no dictionary: not a builtin id, nor an absolute path to a readable file. */
export class DictionaryError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'DictionaryError'
  }
}

/** jspurefix's alias for a builtin, or the real path of a checked custom XML file. */
export function dictionarySource (ref: string): string {
  const builtin = builtinDictionary(ref)
  if (builtin !== undefined) return builtin.alias
  if (typeof ref !== 'string' || ref.trim() === '') throw new DictionaryError('no FIX dictionary chosen')
  // jspurefix resolves relative paths inside its own package folder: insist on absolute ones.
  if (!path.isAbsolute(ref)) {
    throw new DictionaryError(`custom FIX dictionary "${ref}" must be an absolute path to a QuickFIX XML file`)
  }
  let real: string
  try {
    real = fs.realpathSync(ref)
  } catch {
    throw new DictionaryError(`custom FIX dictionary "${ref}" does not exist`)
  }
  const st = fs.statSync(real)
  if (!st.isFile()) throw new DictionaryError(`custom FIX dictionary "${ref}" is not a file`)
  if (st.size > MAX_DICTIONARY_BYTES) {
    throw new DictionaryError(`custom FIX dictionary "${ref}" is larger than ${MAX_DICTIONARY_BYTES} bytes`)
  }
  return real
}
