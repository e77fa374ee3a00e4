/**
 * CPU time on Linux (/proc), for figures that a machine shared with other work moves little: CPU ms
 * per order by part of the system, the share of the machine's CPU time stolen by the hypervisor or
 * left idle during a phase. Elsewhere every reading is undefined and the bench prints "?".
 */
import * as fs from 'fs'
import type { Client } from 'pg'

/** CPU time (user + system) a process has used so far, in ms (100 ticks/s); undefined when it is gone. */
export function cpuMs (pid: number | undefined): number | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid ?? 0}/stat`, 'utf8')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) * 10
  } catch {
    return undefined
  }
}

/** Machine-wide CPU ticks so far: stolen (other guests' time), idle (idle + iowait), all. */
function machineTicks (): { steal: number, idle: number, all: number } | undefined {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number)
    return { steal: f[7], idle: f[3] + f[4], all: f.reduce((a, b) => a + b, 0) }
  } catch {
    return undefined
  }
}

/**
 * Starts measuring the machine; the returned function gives the shares of its CPU time since then
 * that were stolen and idle, as "x.x%". Idle left during a phase that runs as fast as it can means
 * the phase waited on something other than CPU (commits, windows, polling).
 */
export function machineMeter (): () => { steal: string, idle: string } {
  const a = machineTicks()
  return () => {
    const b = machineTicks()
    if (a === undefined || b === undefined || b.all === a.all) return { steal: '?', idle: '?' }
    const share = (x: number): string => `${((x / (b.all - a.all)) * 100).toFixed(1)}%`
    return { steal: share(b.steal - a.steal), idle: share(b.idle - a.idle) }
  }
}

/** CPU ms of each process and backend at one moment, keyed by process, with the part it belongs to. */
export type CpuSnapshot = Map<string, { part: string, ms: number }>

/**
 * CPU used by each part of the system, so runs on a machine shared with other work can be
 * compared per order: the Node-RED and counterparty processes, and the PostgreSQL backends
 * serving them (by application name, opened since the bench started; same machine only).
 */
export async function cpuByPart (
  db: Client | undefined,
  since: Date,
  nodeRedPid: number,
  counterpartyPid: number
): Promise<CpuSnapshot> {
  const snap: CpuSnapshot = new Map()
  const add = (key: string, part: string, ms: number | undefined): void => {
    if (ms !== undefined) snap.set(key, { part, ms })
  }
  add(`process ${nodeRedPid}`, 'Node-RED', cpuMs(nodeRedPid))
  add(`process ${counterpartyPid}`, 'counterparty', cpuMs(counterpartyPid))
  if (db !== undefined) {
    const r = await db.query<{ pid: number, app: string }>(
      'SELECT pid, application_name AS app FROM pg_stat_activity WHERE datname = current_database() AND ' +
        'backend_start >= $1 AND pid <> pg_backend_pid()', [since])
    for (const x of r.rows) {
      const part =
        x.app === 'node-red-fix-streamers:e2e-db'
          ? 'PostgreSQL for Node-RED'
          : x.app === 'node-red-fix-streamers'
            ? 'PostgreSQL for the counterparty'
            : x.app === ''
              ? 'PostgreSQL for the inserts'
              : undefined
      if (part !== undefined) add(`backend ${x.pid}`, part, cpuMs(x.pid))
    }
  }
  return snap
}

/**
 * CPU ms of each part between two snapshots, process by process: one opened in between counts
 * from its start; one closed in between (a pool's idle backend) is not counted at all, rather than
 * its whole past being subtracted from the part (which made a part's figure low, even negative).
 */
export function cpuBetween (a: CpuSnapshot, b: CpuSnapshot): Map<string, number> {
  const parts = new Map<string, number>()
  for (const [key, { part, ms }] of b) parts.set(part, (parts.get(part) ?? 0) + ms - (a.get(key)?.ms ?? 0))
  return parts
}
