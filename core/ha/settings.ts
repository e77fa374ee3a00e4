import * as os from 'os'
import { LEASE_DEFAULTS, LeaseSettings, LeaseSettingsError } from './lease'

/** What a user may write (settings.js `fixStreamers.ha`, or the environment): all optional. */
export interface LeaseSettingsInput {
  instance?: unknown
  leaseTime?: unknown
  renewInterval?: unknown
}

/** The default instance name: host name and process id, unique among running processes. */
export function defaultInstanceName (): string {
  return `${os.hostname()}:${process.pid}`
}

const NAME = /^[\p{L}\p{N}._:@/+-]{1,100}$/u

/**
 * Checked lease settings from user input; times in milliseconds. The renewal interval must leave
 * room for at least two renewals per lease, or one slow renewal would lose the lease.
 */
export function leaseSettingsFrom (input: LeaseSettingsInput): LeaseSettings {
  const instance = input.instance === undefined || input.instance === null || String(input.instance).trim() === ''
    ? defaultInstanceName()
    : String(input.instance).trim()
  if (!NAME.test(instance)) {
    throw new LeaseSettingsError(`instance name "${instance}" must be 1-100 letters, digits or ._:@/+-`)
  }
  const leaseMs = millis(input.leaseTime, LEASE_DEFAULTS.leaseMs, 'lease time')
  const renewMs = millis(input.renewInterval, Math.min(LEASE_DEFAULTS.renewMs, Math.floor(leaseMs / 4)),
    'renew interval')
  if (renewMs * 2 > leaseMs) {
    throw new LeaseSettingsError(`the renew interval (${renewMs} ms) must be at most half the lease time ` +
      `(${leaseMs} ms)`)
  }
  return { instance, leaseMs, renewMs }
}

function millis (v: unknown, fallback: number, what: string): number {
  if (v === undefined || v === null || v === '') return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n < 50 || n > 3600000) {
    throw new LeaseSettingsError(`${what} must be 50-3600000 ms, not ${String(v)}`)
  }
  return Math.round(n)
}
