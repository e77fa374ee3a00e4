#!/usr/bin/env node
// Browser check of the operator console (the "FIX" sidebar tab) on the running trading demo:
// each part shows live data; Logout then Logon of the demo's initiator changes its state; one
// order's NewOrderSingle and its two ExecutionReports are found by ClOrdID and one is opened
// decoded. scripts/test-browser.js calls checkSidebar() once the demo runs; run alone
// (`node scripts/browser-sidebar.js`), it starts Node-RED with the example flows and adminAuth
// itself (NODE_RED_RUNTIME=node-red-5 for 5.x), runs the same checks as an operator, then as a
// read-only user (no buttons; a session name written as HTML shows as text). Before the sidebar, the
// demo tabs' status texts (scripts/browser-status.js: none runs under another node, and the check can fail).
// Prints "sidebar: N passed, N failed".
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')

const { checkStatusTexts } = require('./browser-status')
const { operatorAndViewer, root, startNodeRed } = require('./embedded-node-red')

const DEMO_TABS = ['Outbound orders', 'Inbound execution reports', 'Demo exchange', 'One streamer, two clients']
const INITIATOR = 'f1e5da7a00005e01' // the demo's "CLIENT -> EXCHANGE (initiator)"
const ACCEPTOR = 'f1e5da7a00005e02'
const BLOTTER = 'f1e5da7a05000003'

async function checkSidebar (page, { check, shot }) {
  const card = `.fix-streamers-card[data-session="${INITIATOR}"]`
  const stateOf = async () => (await page.locator(`${card} .fix-streamers-state`).innerText().catch(() => '')).trim()
  const waitState = async (want, ms) => {
    const until = Date.now() + ms
    let s = ''
    while (Date.now() < until) {
      s = await stateOf()
      if (want(s)) return s
      await page.waitForTimeout(300)
    }
    return s
  }

  // The sidebar refreshes itself every 2 s and stamps the time (.fix-streamers-at): true once the stamp
  // has changed from what it says now, false after 10 s without a refresh.
  const refreshed = async () => {
    const stamp = await page.locator('.fix-streamers-at').innerText()
    return await page
      .waitForFunction(t => document.querySelector('.fix-streamers-at').textContent !== t, stamp, { timeout: 10000 })
      .then(() => true, () => false)
  }

  // Sessions
  await page.evaluate(() => RED.sidebar.show('fix-streamers'))
  await page.locator('.fix-streamers-switch button[data-part="sessions"]').click()
  await page.waitForSelector(card, { timeout: 20000 })
  const up = await waitState(s => s === 'logged-on', 20000)
  const seqs = await page.locator(`${card} .fix-streamers-next-seq-out-in`).innerText()
  const minute = await page.locator(`${card} .fix-streamers-last-minute`).innerText()
  await shot('40-sidebar-sessions')
  check(
    'sidebar Sessions shows the demo initiator logged on with sequence numbers',
    up === 'logged-on' && /^\d+ \/ \d+$/.test(seqs.trim()),
    `${up} ${seqs}`
  )
  check('sidebar Sessions counts messages of the last minute', /in [1-9]\d*, out [1-9]\d*/.test(minute), minute)
  // Live: the tab refreshes itself (every 2 s) while it is shown.
  check('the sidebar refreshes by itself while shown', await refreshed(), 'no new stamp in 10 s')
  const sessions = await page.locator('.fix-streamers-card[data-session]').count()
  check('sidebar Sessions lists both demo sessions', sessions >= 2, String(sessions))

  // Logout, then Logon, each confirmed in a dialog.
  await page.locator(`${card} .fix-streamers-logout`).click()
  await page.locator('.fix-streamers-reason').fill('browser test')
  await shot('41-sidebar-logout-confirm')
  await page.locator('.fix-streamers-confirm-yes').click()
  const down = await waitState(s => s !== 'logged-on' && s !== '', 20000)
  await page.waitForTimeout(500)
  await shot('42-sidebar-logged-out')
  const lastLogout = await page.locator(`${card} .fix-streamers-last-logout`).innerText().catch(() => '')
  check(
    'Logout (confirmed) takes the session down and shows the reason',
    down !== 'logged-on' && /browser test/.test(lastLogout),
    `${down} / ${lastLogout}`
  )
  await page.locator(`${card} .fix-streamers-logon`).click()
  await page.locator('.fix-streamers-confirm-yes').click()
  const back = await waitState(s => s === 'logged-on', 30000)
  await shot('43-sidebar-logged-on-again')
  check('Logon (confirmed) brings it back to logged-on', back === 'logged-on', back)

  // Journal: an order that has had time for both ExecutionReports, by its ClOrdID.
  await page.locator('.fix-streamers-switch button[data-part="journal"]').click()
  await page.selectOption('.fix-streamers-j-session', INITIATOR)
  // The session list stays as it is across a refresh (rebuilt, it closed under the operator).
  const option = await page.locator(`.fix-streamers-j-session option[value="${INITIATOR}"]`).elementHandle()
  const afterList = await refreshed()
  const chosen = await option.evaluate(e => e.isConnected && e.selected)
  check(
    "a refresh leaves the Journal's session list as it is, the chosen one still chosen",
    afterList && chosen,
    `refreshed ${afterList}, still chosen ${chosen}`
  )
  await page.fill('.fix-streamers-j-msgtype', 'NewOrderSingle')
  await page.locator('.fix-streamers-j-search').click()
  await page.waitForSelector('.fix-streamers-j-entry', { timeout: 15000 })
  const orders = await page.locator('.fix-streamers-j-entry').count()
  await shot('44-sidebar-journal-orders')
  check('Journal lists the NewOrderSingles newest first', orders > 3, String(orders))
  const clOrdId = (await page.locator('.fix-streamers-j-entry').nth(3).locator('td').nth(4).innerText()).trim()
  await page.fill('.fix-streamers-j-msgtype', '')
  await page.fill('.fix-streamers-j-clordid', clOrdId)
  await page.locator('.fix-streamers-j-search').click()
  await page
    // The list of orders already has 3 or more rows: wait for the search's own answer (a report in).
    .waitForFunction(() => [...document.querySelectorAll('.fix-streamers-j-entry')]
      .some(r => r.dataset.direction === 'in'), null, { timeout: 15000 })
    .catch(() => {})
  const convo = await page.$$eval('.fix-streamers-j-entry', rows =>
    rows.map(r => `${r.dataset.direction} ${r.dataset.msgtype}`)
  )
  check(
    `a ClOrdID search (${clOrdId}) shows its NewOrderSingle and two ExecutionReports`,
    convo.filter(c => c === 'out D').length === 1 && convo.filter(c => c === 'in 8').length === 2,
    convo.join(', ')
  )
  await page.locator('.fix-streamers-j-entry[data-msgtype="8"]').first().click()
  await page.waitForSelector('.fix-streamers-decoded', { timeout: 15000 })
  await page.locator('.fix-streamers-j-detail').scrollIntoViewIfNeeded()
  await shot('45-sidebar-journal-decoded')
  const decoded = await page.locator('.fix-streamers-decoded').innerText()
  const raw = await page.locator('.fix-streamers-raw').innerText()
  check(
    'an ExecutionReport opens decoded with field names and enum descriptions, raw beside it',
    /54=\s*1\s*Side\s*=\s*BUY|54=\s*2\s*Side\s*=\s*SELL/.test(decoded) &&
      /ExecType/.test(decoded) &&
      raw.includes(`|11=${clOrdId}|`),
    decoded.slice(0, 200)
  )

  // Streams
  await page.locator('.fix-streamers-switch button[data-part="streams"]').click()
  await page.waitForSelector('.fix-streamers-card[data-client]', { timeout: 15000 })
  await page.waitForTimeout(2500)
  await shot('46-sidebar-streams')
  const streams = await page.locator('.fix-streamers-streams tr').count()
  const clients = await page.$$eval('.fix-streamers-card[data-client]', cards => cards.map(c => c.innerText))
  check('Streams lists the streamers with their head', streams >= 3, String(streams))
  check(
    'Streams shows each client with position, in flight and a written checkpoint',
    clients.length >= 3 &&
      clients.every(t => /Position\s+\d/.test(t) && /In flight\s+\d+ \/ \d+/.test(t) && /Written\s+\d/.test(t)),
    clients
      .map(t => t.replace(/\s+/g, ' '))
      .join(' | ')
      .slice(0, 400)
  )

  // A refresh (every 2 s) updates the cards in place: the Rewind target the operator picked stays
  // picked, on the same element (a card rebuilt under the pointer lost the choice and the click).
  const blotter = `.fix-streamers-card[data-client="${BLOTTER}"]`
  const target = await page.locator(`${blotter} .fix-streamers-rewind-to`).elementHandle()
  await target.selectOption('beginning')
  const afterPick = await refreshed()
  const kept = await target.evaluate(e => (e.isConnected ? e.value : 'a new card'))
  check(
    'a refresh keeps the Rewind target the operator picked',
    afterPick && kept === 'beginning',
    `refreshed ${afterPick}, target ${kept}`
  )

  // After a position or from a time: a field shows for those two, the position starting as the client's
  // checkpoint (rewound after it, the blotter goes on from what it confirmed). A time the server cannot
  // read comes back as an error notification.
  await page.locator(blotter).scrollIntoViewIfNeeded()
  const rewindTo = async (kind, text) => {
    await page.selectOption(`${blotter} .fix-streamers-rewind-to`, kind)
    const field = page.locator(`${blotter} .fix-streamers-rewind-value`)
    const shown = await field.isVisible()
    if (text !== undefined) await field.fill(text)
    const typed = await field.inputValue()
    await page.locator(`${blotter} .fix-streamers-actions button`).click()
    const asked = await page.locator('.fix-streamers-confirm').innerText()
    const [answer] = await Promise.all([
      page.waitForResponse(r => /\/fix-streamers\/clients\/.+\/rewind$/.test(r.url()), { timeout: 15000 }),
      page.locator('.fix-streamers-confirm-yes').click()
    ])
    return { shown, typed, asked, status: answer.status(), body: await answer.json().catch(() => ({})) }
  }
  const after = await rewindTo('position')
  await shot('48-sidebar-rewind-after')
  const start = after.body.start ?? {}
  check(
    'Rewind after a position offers the checkpoint, asks with it and moves the blotter client after it',
    after.shown && /^\d+ \/ \d+$/.test(after.typed) && after.asked.includes(`after ${after.typed}`) &&
      after.status === 200 && start.kind === 'after' && start.position.join(' / ') === after.typed,
    JSON.stringify(after)
  )
  const bad = await rewindTo('time', 'not a time')
  const notice = await page.locator('.red-ui-notification-error').last().innerText().catch(() => '')
  check(
    'Rewind from a time the server cannot read answers 400, shown as an error',
    bad.shown && bad.typed === 'not a time' && bad.status === 400 && /not a timestamp/.test(notice),
    `${JSON.stringify(bad)} ${notice}`
  )

  // The blotter's rewind (the client panel's action), confirmed: to 'live' leaves the demo as it is.
  await page.selectOption(`${blotter} .fix-streamers-rewind-to`, 'live')
  await page.locator(`${blotter} .fix-streamers-actions button`).click()
  const [rewind] = await Promise.all([
    page.waitForResponse(r => /\/fix-streamers\/clients\/.+\/rewind$/.test(r.url()), { timeout: 15000 }),
    page.locator('.fix-streamers-confirm-yes').click()
  ])
  await page.waitForTimeout(500)
  await shot('48-sidebar-rewound')
  check(
    'Rewind (confirmed) moves the blotter client to live',
    rewind.status() === 200,
    `${rewind.status()} ${await rewind.text()}`
  )
}

/**
 * As a signed-in read-only user: the data shows, no button does; and a session name written as
 * HTML shows as text (nothing from the server is ever parsed as HTML).
 */
async function checkReadOnly (page, { check, shot }) {
  await page.evaluate(() => RED.sidebar.show('fix-streamers'))
  await page.locator('.fix-streamers-switch button[data-part="sessions"]').click()
  await page.waitForSelector(`.fix-streamers-card[data-session="${INITIATOR}"]`, { timeout: 20000 })
  await page.waitForTimeout(2500)
  await shot('47-sidebar-read-only')
  const cards = await page.locator('.fix-streamers-card').count()
  const buttons = await page.locator('.fix-streamers-actions button').count()
  const note = await page.locator('.fix-streamers-note').innerText().catch(() => '')
  check(
    'a read-only user sees the sessions but no action button',
    cards >= 2 && buttons === 0 && /Read-only/.test(note),
    `${cards} cards, ${buttons} buttons`
  )
  const label = await page
    .locator(`.fix-streamers-card[data-session="${ACCEPTOR}"] .fix-streamers-card-head b`)
    .innerText()
  const injected = await page.evaluate(
    () => window.__fixStreamersXss === true || document.querySelector('.fix-streamers img') !== null
  )
  check('a session name written as HTML shows as text, never as markup', label.includes('<img') && !injected, label)
  await page.locator('.fix-streamers-switch button[data-part="streams"]').click()
  await page.waitForSelector('.fix-streamers-card[data-client]', { timeout: 15000 })
  check('a read-only user has no Rewind button', await page.locator('.fix-streamers-actions button').count() === 0)
}

module.exports = { checkSidebar }

async function main () {
  const runtime = process.env.NODE_RED_RUNTIME || 'node-red'
  const { chromium } = require('playwright-core')
  const shots = path.join(root, 'screenshots')
  fs.mkdirSync(shots, { recursive: true })
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fix-streamers-sidebar-'))
  const flows = new Map()
  const dir = path.join(root, 'examples', 'flows')
  for (const f of fs.readdirSync(dir).filter(f => f.endsWith('.json')).sort()) {
    for (const n of JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))) if (!flows.has(n.id)) flows.set(n.id, n)
  }
  // Run alone, the acceptor's name is markup: the sidebar must show it as text.
  flows.get(ACCEPTOR).name = 'EXCHANGE <img src=x onerror="window.__fixStreamersXss=true">'
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify([...flows.values()]))
  const nr = await startNodeRed({
    runtime,
    userDir,
    settings: {
      nodesDir: [root],
      credentialSecret: 'sidebar-test',
      adminAuth: operatorAndViewer(runtime, 'sidebar-pw')
    }
  })
  let passed = 0
  let failed = 0
  const check = (name, ok, detail = '') => {
    if (ok) passed++
    else failed++
    console.log(`  ${ok ? '✔' : '✘'} ${name}${ok || detail === '' ? '' : `: ${detail}`}`)
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ]
  })
  try {
    const base = nr.url
    // Signs in through the editor's own token store (what its login dialog writes).
    const openAs = async (username, scope) => {
      const r = await fetch(`${base}auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: 'node-red-editor',
          grant_type: 'password',
          scope,
          username,
          password: 'sidebar-pw'
        }).toString()
      })
      const tokens = await r.json()
      const page = await browser.newPage({ viewport: { width: 1500, height: 900 } })
      page.on('pageerror', err => check('no script error in the editor', false, err.message))
      page.setDefaultTimeout(Number(process.env.BROWSER_TIMEOUT_MS || 120000)) // a loaded machine is slow
      await page.goto(base)
      await page.evaluate(t => localStorage.setItem('auth-tokens', JSON.stringify(t)), tokens)
      await page.goto(base)
      await page.waitForSelector('#red-ui-palette-search', { timeout: 60000 })
      return page
    }
    const operator = await openAs('operator', '*')
    await operator.waitForTimeout(Number(process.env.BROWSER_SETTLE_MS || 15000)) // orders flow and get filled
    // The status texts of the running demo, and a proof that their check can fail.
    const tabs = await operator.evaluate(labels => {
      const t = []
      RED.nodes.eachWorkspace(w => { if (labels.includes(w.label)) t.push({ id: w.id, label: w.label }) })
      return t
    }, DEMO_TABS)
    check('the demo tabs are there', tabs.length === DEMO_TABS.length, tabs.map(t => t.label).join(', '))
    await checkStatusTexts(operator, tabs, {
      check,
      shot: name => operator.screenshot({ path: path.join(shots, `${name}.png`) })
    })
    await checkSidebar(operator, {
      check,
      shot: name => operator.screenshot({ path: path.join(shots, `${name}.png`) })
    })
    const viewer = await openAs('viewer', 'read')
    await checkReadOnly(viewer, { check, shot: name => viewer.screenshot({ path: path.join(shots, `${name}.png`) }) })
  } catch (err) {
    failed++
    console.error(err)
  } finally {
    await browser.close()
    await nr.stop()
    fs.rmSync(userDir, { recursive: true, force: true })
  }
  console.log(`sidebar (${runtime}): ${passed} passed, ${failed} failed  (screenshots in screenshots/)`)
  process.exitCode = failed > 0 ? 1 : 0
  setTimeout(() => process.exit(), 2000).unref()
}

if (require.main === module) main()
