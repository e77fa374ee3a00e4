import type { StreamerClientOptions } from '../../core/client'
import type { DeliveryOptions } from './delivery'
import type { StreamerClientDef } from './types'

/** A positive number from the editor's field, else the default. */
export function positive (v: unknown, fallback: number): number {
  const n = Number(v)
  return Number.isFinite(n) && n > 0 ? n : fallback
}

/** The client's name: its checkpoint's key, so it outlives renames of the node when set. */
export function clientNameOf (def: { clientName?: string, name?: string }, nodeId: string): string {
  return (def.clientName ?? '').trim() || def.name || nodeId
}

export type ClientSettings = Pick<StreamerClientOptions,
'replayable' | 'inFlightLimit' | 'sendRange' | 'confirmRange' | 'skipAfterFailures'> & { maxAttempts: number }

/** The StreamerClient's settings from the node's configuration (times in the editor are seconds). */
export function clientSettings (def: StreamerClientDef): ClientSettings {
  return {
    replayable: def.replayable !== false,
    inFlightLimit: positive(def.inFlight, 50),
    sendRange: { warnAfter: positive(def.sendWarn, 5) * 1000, errorAfter: positive(def.sendError, 60) * 1000 },
    confirmRange: { warnAfter: positive(def.confirmWarn, 5) * 1000, errorAfter: positive(def.confirmError, 60) * 1000 },
    maxAttempts: positive(def.maxAttempts, 5),
    skipAfterFailures: def.skipFailed === true
  }
}

/** How the node hands rows on: who confirms them, what a failing transform does, when to give up. */
export function deliverySettings (def: StreamerClientDef): Omit<DeliveryOptions, 'clientName' | 'newId' | 't'> {
  return {
    confirmOnSend: def.confirmMode === 'send',
    terminateOnError: def.terminateOnError === true,
    attempts: positive(def.maxAttempts, 5)
  }
}

/**
 * Client names in use per database (its config node and schema): two clients on one database
 * with the same name would share, and overwrite, one checkpoint. The first to claim a name holds
 * it until it releases it; a redeploy of the same node claims it again.
 */
export class ClientNames {
  private readonly holders = new Map<string, string>()

  /** Claims `name` on `database` for node `nodeId`: the key to release it with, or undefined when taken. */
  claim (database: string, name: string, nodeId: string): string | undefined {
    const key = `${database}:${name}`
    const holder = this.holders.get(key)
    if (holder !== undefined && holder !== nodeId) return undefined
    this.holders.set(key, nodeId)
    return key
  }

  /** Gives the name back, unless another node holds it by now. */
  release (key: string, nodeId: string): void {
    if (this.holders.get(key) === nodeId) this.holders.delete(key)
  }

  get size (): number {
    return this.holders.size
  }
}
