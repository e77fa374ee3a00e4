import { IdentifierError } from './identifiers'

/**
 * LISTEN channel names are written into SQL unquoted by PGlite, so they are held to
 * lower-case plain identifiers on both engines (no case folding surprises).
 */
export function validateChannel (channel: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new IdentifierError(`LISTEN channel "${channel.slice(0, 70)}" must be a lower-case identifier`)
  }
  return channel
}
