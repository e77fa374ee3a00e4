import * as path from 'path'
import { builtinDictionary } from '../../core/fix'

/** The dictionary reference a config names: a builtin id, or the custom XML's path. */
export function dictionaryRefOf (def: { dictionary?: string, dictionaryPath?: string }): string {
  const d = def.dictionary ?? 'FIX.4.4'
  return d === 'custom' ? String(def.dictionaryPath ?? '').trim() : d
}

export function dictionaryLabel (ref: string): string {
  return builtinDictionary(ref)?.label ?? path.basename(ref)
}
