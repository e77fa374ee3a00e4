// The processes a process started, and theirs, read from /proc: so that a test job stopped by the runner
// takes with it the Node-RED instances, proxies and servers its specs started, instead of leaving them
// to hold ports and CPU for the rest of the run. Linux only; elsewhere a tree is just its root.
'use strict'
const fs = require('fs')

/** Every process's parent, by PID, from /proc/<pid>/stat (the field after the command's closing paren). */
function parents () {
  const parentOf = new Map()
  let entries = []
  try {
    entries = fs.readdirSync('/proc')
  } catch {
    return parentOf
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    let stat
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // it ended while we looked
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    parentOf.set(Number(entry), Number(fields[1]))
  }
  return parentOf
}

/** `pid` and every process below it, parents before their children. */
function tree (pid) {
  const childrenOf = new Map()
  for (const [child, parent] of parents()) {
    if (!childrenOf.has(parent)) childrenOf.set(parent, [])
    childrenOf.get(parent).push(child)
  }
  const all = [pid]
  for (let i = 0; i < all.length; i++) all.push(...(childrenOf.get(all[i]) ?? []))
  return all
}

/**
 * Sends `signal` to `pid` and everything below it. The whole tree is read before the first signal: a
 * process whose parent ends first is handed to init, and could no longer be found by its parent.
 * A process that detached itself earlier (pg_ctl's server) is not in the tree, and is not reached.
 */
function killTree (pid, signal) {
  for (const p of tree(pid)) {
    try {
      process.kill(p, signal)
    } catch {} // it has ended
  }
}

module.exports = { tree, killTree }
