import type { NodeAPI } from 'node-red'
import { createHash } from 'crypto'
import { SchemaNewerError } from '../../core/db'
import { LeaseSettings, leaseSettingsFrom } from '../../core/ha'
import { shortReason } from './status-text'

/**
 * This instance's lease settings (several Node-RED instances on one PostgreSQL, core/ha), from
 * settings.js: `fixStreamers: { ha: { instance, leaseTime, renewInterval } }` (times in ms; each
 * optional; `ha: true` takes every default). Absent: undefined, and every node runs as a single
 * instance, exactly as without HA. Throws LeaseSettingsError on values that cannot work.
 */
export function haSettings (RED: NodeAPI): LeaseSettings | undefined {
  let ha: unknown
  try {
    ha = (RED.settings as unknown as { fixStreamers?: { ha?: unknown } }).fixStreamers?.ha
  } catch {
    return undefined // not in settings.js: RED.settings throws for unknown keys
  }
  if (ha === undefined || ha === null || ha === false) return undefined
  return leaseSettingsFrom(ha === true ? {} : ha as Record<string, unknown>)
}

/** The status text of a node standing by: who is active, as the lease table says. */
export function standbyText (activeOn: string | undefined, error?: unknown): string {
  if (error instanceof SchemaNewerError) return `standby (${shortReason(error.message)})`
  if (error !== undefined) return `standby (lease unknown: ${shortReason((error as Error)?.message ?? String(error))})`
  return activeOn === undefined ? 'standby (taking over)' : `standby (active on ${activeOn})`
}

/**
 * A short fingerprint of a node's configuration (the given fields of its definition), stored with
 * the lease: a standby whose flow differs for the same session or client sees it and says so.
 */
export function configFingerprint (def: Record<string, unknown>, fields: readonly string[]): string {
  const picked = fields.map(f => [f, def[f] ?? null])
  return createHash('sha256').update(JSON.stringify(picked)).digest('hex').slice(0, 16)
}

/** The standby's status when the active instance runs the resource with another configuration. */
export function differsText (activeOn: string): string {
  return `standby (active on ${activeOn}, with a different configuration: the flows differ)`
}
