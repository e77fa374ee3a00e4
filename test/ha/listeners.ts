import * as fs from 'fs'

/**
 * The ids of the processes with a TCP socket listening on `port` (IPv4 or IPv6), read from /proc:
 * the socket's inode in /proc/net/tcp*, then which process holds a descriptor to it. Linux only.
 */
export function listenerPids (port: number): number[] {
  const inodes = new Set<string>()
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try { text = fs.readFileSync(file, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      // local address "0100007F:1F90", state 0A = LISTEN, inode in column 10
      if (cols.length > 9 && cols[1].endsWith(`:${hexPort}`) && cols[3] === '0A') inodes.add(cols[9])
    }
  }
  const pids: number[] = []
  if (inodes.size === 0) return pids
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let fds: string[] = []
    try { fds = fs.readdirSync(`/proc/${entry}/fd`) } catch { continue }
    for (const fd of fds) {
      let link = ''
      try { link = fs.readlinkSync(`/proc/${entry}/fd/${fd}`) } catch { continue }
      const m = /^socket:\[(\d+)\]$/.exec(link)
      if (m !== null && inodes.has(m[1])) { pids.push(Number(entry)); break }
    }
  }
  return pids
}
