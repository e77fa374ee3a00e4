// Status texts on the demo tabs (issue 20): no node's status label runs under another node or
// another status label. The check is proved able to fail on every run: the same measurement with
// a deliberately long status (the gateway's text before it was put in plain words, 73 characters)
// set on the tab's nodes must report overlaps, or the check is broken. Used by
// scripts/test-browser.js and scripts/browser-sidebar.js (npm run test:sidebar).
'use strict'

/** The gateway's status before bc45615: it ran under the neighbouring node. */
const LONG_STATUS = 'listener error: listen EADDRINUSE: address already in use 127.0.0.1:9876'

/**
 * In the page: for each node of tab `id` with a visible status, the nodes and status labels its
 * status label overlaps. With `long`, every node of the tab first shows that text (the editor's own
 * status path: node.status, dirtyStatus, redrawStatus) until restoreStatuses(); the runtime's
 * next update of a node replaces it too.
 */
async function statusOverlaps (page, id, long) {
  return await page.evaluate(({ id, long }) => {
    const saved = (window.__savedStatuses = [])
    if (long !== undefined) {
      RED.nodes.eachNode(n => {
        if (n.z !== id || n.type === 'comment') return
        saved.push([n, n.status])
        n.status = { fill: 'red', shape: 'ring', text: long }
        n.dirtyStatus = true
        n.dirty = true
        RED.view.redrawStatus(n)
      })
    }
    const rects = []
    RED.nodes.eachNode(n => {
      if (n.z !== id) return
      const g = document.getElementById(n.id)
      const body = g && g.querySelector('.red-ui-flow-node')
      const st = g && g.querySelector('.red-ui-flow-node-status-group')
      const sr = st && st.style.display !== 'none' ? st.getBoundingClientRect() : undefined
      rects.push({
        name: n.name || n.type,
        body: body && body.getBoundingClientRect(),
        status: sr && sr.width > 0 ? sr : undefined,
        text: n.status && n.status.text
      })
    })
    const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
    const found = []
    for (const a of rects) {
      if (a.status === undefined) continue
      for (const b of rects) {
        if (a === b) continue
        if ((b.body && hit(a.status, b.body)) || (b.status && hit(a.status, b.status))) {
          found.push(`${a.name} (${a.text}) / ${b.name}`)
        }
      }
    }
    return found
  }, { id, long })
}

async function restoreStatuses (page) {
  await page.evaluate(() => {
    for (const [n, s] of window.__savedStatuses || []) {
      n.status = s
      n.dirtyStatus = true
      n.dirty = true
      RED.view.redrawStatus(n)
    }
    window.__savedStatuses = []
  })
}

/**
 * On each demo tab: no status label under another node; and the same check, with the long status
 * on the tab's nodes, does report overlaps (it can fail). `tabs` are { id, label }.
 */
async function checkStatusTexts (page, tabs, { check, shot }) {
  let provedOn = ''
  for (const tab of tabs) {
    await page.evaluate(id => { RED.workspaces.show(id); RED.view.select('') }, tab.id)
    await page.waitForTimeout(1000)
    const overlaps = await statusOverlaps(page, tab.id)
    const texts = await page.evaluate(id => {
      const t = []
      RED.nodes.eachNode(n => { if (n.z === id && n.status && n.status.text) t.push(n.status.text) })
      return t
    }, tab.id)
    check(
      `tab "${tab.label}": no status text runs under another node (${texts.length} statuses shown)`,
      overlaps.length === 0,
      overlaps.join(', ')
    )
    const withLong = await statusOverlaps(page, tab.id, LONG_STATUS)
    if (withLong.length > 0 && provedOn === '') {
      provedOn = `${tab.label}: ${withLong.length} overlaps, e.g. ${withLong[0]}`
      if (shot !== undefined) await shot(`23-status-check-proof-${tab.label.replace(/[^A-Za-z0-9]+/g, '-')}`)
    }
    await restoreStatuses(page)
  }
  check('the status check fails for a 73-character status on the demo tabs (it can fail)', provedOn !== '', provedOn)
  if (provedOn !== '') console.log(`    (${provedOn})`)
  return provedOn
}

module.exports = { statusOverlaps, restoreStatuses, checkStatusTexts, LONG_STATUS }
