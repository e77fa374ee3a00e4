import * as assert from 'assert'
import * as path from 'path'
import { waitFor } from '../support/e2e/harness'
import { call, consoleNodeRed, deadDatabase, orderInject, runtime, SESSION_DEFAULTS, sessionPair } from './ops-harness'

/**
 * The operator console's HTTP endpoints on a real Node-RED (test/nodes/ops-harness.ts): sessions,
 * control, journal and the bad-input cases.
 */
describe(`operator console endpoints on a real Node-RED (${runtime})`, function () {
  this.timeout(120000)
  const nr = consoleNodeRed('ops-sidebar-', ({ dir, fixPort, deadPort }) => [
    { id: 'tab1', type: 'tab', label: 'ops' },
    {
      id: 'db1',
      type: 'streamer-database',
      name: 'embedded',
      mode: 'embedded',
      dataDir: path.join(dir, 'pg'),
      schema: 'fx'
    },
    deadDatabase('dbdown', deadPort, 'fx'),
    ...sessionPair({ z: 'tab1', fixPort, database: 'db1', names: ['broker side', 'client side'] }),
    {
      id: 'sdown',
      type: 'fix-session',
      name: 'no database',
      role: 'initiator',
      host: '127.0.0.1',
      port: deadPort,
      senderCompID: 'X',
      targetCompID: 'Y',
      database: 'dbdown',
      ...SESSION_DEFAULTS
    },
    {
      id: 'sbad',
      type: 'fix-session',
      name: 'bad dictionary',
      role: 'initiator',
      host: '127.0.0.1',
      port: deadPort,
      senderCompID: 'P',
      targetCompID: 'Q',
      database: 'db1',
      ...SESSION_DEFAULTS,
      dictionary: '/nonexistent/FIX44.xml'
    },
    { id: 'gdown', z: 'tab1', type: 'fix-gateway', session: 'sdown', wires: [[], []] },
    { id: 'gbad', z: 'tab1', type: 'fix-gateway', session: 'sbad', wires: [[], []] },
    orderInject('inj', 'tab1', 'OPS-1')
  ])

  const session = (o: any, id: string): any => o.sessions.find((s: any) => s.id === id)

  it('registers the sidebar plugin from package.json, so the editor loads it', async () => {
    const r = await call(nr.base, nr.operator, 'GET', 'plugins')
    assert.strictEqual(r.status, 200)
    assert.ok(JSON.stringify(r.body).includes('fix-streamers-sidebar'), JSON.stringify(r.body).slice(0, 300))
  })

  it('refuses every endpoint without a login', async () => {
    assert.strictEqual((await call(nr.base, undefined, 'GET', 'fix-streamers/overview')).status, 401)
    assert.strictEqual((await call(nr.base, undefined, 'GET', 'fix-streamers/metrics')).status, 401)
  })

  it('shows a read-only user every session with state, role, address and sequence numbers', async () => {
    const o = await waitFor(async () => {
      const r = await call(nr.base, nr.viewer, 'GET', 'fix-streamers/overview')
      return r.status === 200 &&
        session(r.body, 'si')?.state === 'logged-on' &&
        session(r.body, 'sa')?.state === 'logged-on'
        ? r.body
        : undefined
    }, 90000, 'both sessions logged on (opening PGlite blocks Node-RED for many seconds on a loaded machine)')
    const si = session(o, 'si')
    assert.strictEqual(si.role, 'initiator')
    assert.match(si.address, /^127\.0\.0\.1:\d+$/)
    assert.ok(si.nextSenderSeq >= 2 && si.nextTargetSeq >= 2, JSON.stringify(si))
    assert.ok(si.activity.lastLogon !== undefined && si.activity.logons >= 1)
    assert.strictEqual(si.activity.outByType.A, 1)
    assert.match(session(o, 'sa').remote ?? '', /^127\.0\.0\.1:\d+$/)
  })

  it('answers 403 to a read-only user for every action, and changes nothing', async () => {
    for (const [p, body] of [
      ['fix-streamers/sessions/si/control', { command: 'logout' }],
      ['fix-streamers/clients/x/rewind', { target: 'live' }]
    ] as const) {
      const r = await call(nr.base, nr.viewer, 'POST', p, body)
      assert.strictEqual(r.status, 403, p)
      assert.match(r.body.error, /fix-streamers\.write/)
    }
    const o = (await call(nr.base, nr.viewer, 'GET', 'fix-streamers/overview')).body
    assert.strictEqual(session(o, 'si').state, 'logged-on')
  })

  it("logs the session out and on again for the operator, through the session's control " +
    "path, and logs the user's name", async () => {
    const out = await call(nr.base, nr.operator, 'POST', 'fix-streamers/sessions/si/control', {
      command: 'logout',
      text: 'maintenance'
    })
    assert.strictEqual(out.status, 200, JSON.stringify(out.body))
    const down = await waitFor(
      async () => {
        const s = session((await call(nr.base, nr.viewer, 'GET', 'fix-streamers/overview')).body, 'si')
        return s.state !== 'logged-on' && s.activity.lastLogout !== undefined ? s : undefined
      },
      20000,
      'logged out'
    )
    assert.match(down.activity.lastLogout.text, /maintenance/)
    assert.ok(
      nr.child.lines.some(l => /\[fix-streamers\] operator: logout on session FIX\.4\.4:CLI->BRK/.test(l)),
      'log line with the user'
    )
    const on = await call(nr.base, nr.operator, 'POST', 'fix-streamers/sessions/si/control', { command: 'logon' })
    assert.strictEqual(on.status, 200)
    await waitFor(
      async () =>
        session((await call(nr.base, nr.viewer, 'GET', 'fix-streamers/overview')).body, 'si').state === 'logged-on',
      20000,
      'logged on again'
    )
  })

  it('sets, then resets, the sequence numbers for the operator; the pair logs on again after each', async () => {
    const set = await call(nr.base, nr.operator, 'POST', 'fix-streamers/sessions/si/control', {
      command: 'set-sequence',
      nextSenderSeq: 100
    })
    assert.strictEqual(set.status, 200, JSON.stringify(set.body))
    await waitFor(async () => {
      const o = (await call(nr.base, nr.viewer, 'GET', 'fix-streamers/overview')).body
      return (
        session(o, 'si').state === 'logged-on' &&
        session(o, 'si').nextSenderSeq > 100 &&
        session(o, 'sa').nextTargetSeq > 100
      )
    }, 20000, 'logged on again at 100 and above, on both sides')
    // A reset is agreed with the counterparty: here the operator resets both sides while the link is down.
    const control = async (id: string, command: string): Promise<void> => {
      const r = await call(nr.base, nr.operator, 'POST', `fix-streamers/sessions/${id}/control`, { command })
      assert.strictEqual(r.status, 200, `${command} ${id}: ${JSON.stringify(r.body)}`)
    }
    await control('si', 'logout')
    await control('sa', 'reset-sequence')
    await control('si', 'reset-sequence')
    const zero = session((await call(nr.base, nr.viewer, 'GET', 'fix-streamers/overview')).body, 'si')
    assert.deepStrictEqual([zero.nextSenderSeq, zero.nextTargetSeq], [1, 1])
    await control('si', 'logon')
    const after = await waitFor(async () => {
      const s = session((await call(nr.base, nr.viewer, 'GET', 'fix-streamers/overview')).body, 'si')
      return s.state === 'logged-on' && s.nextSenderSeq < 10 ? s : undefined
    }, 20000, 'logged on again from 1')
    assert.deepStrictEqual([after.nextSenderSeq, after.nextTargetSeq], [2, 2])
    assert.ok(
      nr.child.lines.some(l =>
        /\[fix-streamers\] operator: set-sequence on session FIX\.4\.4:CLI->BRK \(next out 100/.test(l)
      )
    )
  })

  it('refuses a bad control command with 400 and a reason', async () => {
    const r = await call(nr.base, nr.operator, 'POST', 'fix-streamers/sessions/si/control', {
      command: 'set-sequence',
      nextSenderSeq: -4
    })
    assert.strictEqual(r.status, 400)
    assert.match(r.body.error, /whole number/)
    assert.strictEqual(
      (await call(nr.base, nr.operator, 'POST', 'fix-streamers/sessions/nope/control', { command: 'logon' })).status,
      404
    )
  })

  it('finds a sent order by ClOrdID in the journal and opens it decoded with names and enum descriptions', async () => {
    assert.strictEqual((await call(nr.base, nr.operator, 'POST', 'inject/inj')).status, 200)
    const page = await waitFor(async () => {
      const r = await call(nr.base, nr.viewer, 'GET', 'fix-streamers/journal?session=si&clOrdId=OPS-1')
      return r.status === 200 && r.body.entries.length > 0 ? r.body : undefined
    }, 20000, 'the order in the journal')
    assert.deepStrictEqual(
      page.entries.map((e: any) => [e.direction, e.msgType, e.msgName]),
      [['out', 'D', 'NewOrderSingle']]
    )
    // The acceptor journals the order in its own commit, after the initiator's (which comes before the send):
    // waited for, not read once.
    const inbound = await waitFor(async () => {
      const r = await call(nr.base, nr.viewer, 'GET', 'fix-streamers/journal?session=sa&clOrdId=OPS-1&direction=in')
      return r.status === 200 && r.body.entries.length > 0 ? r.body : undefined
    }, 20000, 'the order in the acceptor\'s journal')
    assert.strictEqual(inbound.entries.length, 1)
    const m = (
      await call(nr.base, nr.viewer, 'GET', `fix-streamers/journal/si/out/${page.entries[0].id as string}`)
    ).body
    assert.ok(m.message.raw.includes('|11=OPS-1|'), m.message.raw)
    const side = m.decoded.fields.find((f: any) => f.tag === 54)
    assert.deepStrictEqual([side.name, side.value, side.description], ['Side', '1', 'BUY'])
  })

  it('explains a session whose database is down and one whose dictionary did not ' +
    'load, without failing the rest', async () => {
    const o = await waitFor(
      async () => {
        const r = (await call(nr.base, nr.viewer, 'GET', 'fix-streamers/overview')).body
        return /database down/.test(session(r, 'sdown')?.problem ?? '') && session(r, 'sbad')?.state === 'error'
          ? r
          : undefined
      },
      30000,
      'both problems reported'
    )
    assert.match(session(o, 'sbad').problem, /nonexistent/)
    assert.strictEqual(session(o, 'si').state, 'logged-on')
    const j = await call(nr.base, nr.viewer, 'GET', 'fix-streamers/journal?session=sdown')
    assert.strictEqual(j.status, 503)
    assert.match(j.body.error, /database down/)
    const bad = await call(nr.base, nr.viewer, 'GET', 'fix-streamers/journal?session=si&seqFrom=abc')
    assert.strictEqual(bad.status, 400)
  })

  it('serves Prometheus metrics to a reader: sessions, messages by type, databases', async () => {
    const r = await call(nr.base, nr.viewer, 'GET', 'fix-streamers/metrics')
    assert.strictEqual(r.status, 200)
    assert.match(r.type, /^text\/plain/)
    const text = String(r.body)
    assert.match(text, /^fix_streamers_session_logged_on\{session="FIX\.4\.4:CLI->BRK"\} 1$/m)
    assert.match(text, /^fix_streamers_session_messages_out_total\{session="FIX\.4\.4:CLI->BRK",msg_type="D"\} 1$/m)
    assert.match(text, /^fix_streamers_session_logons_total\{session="FIX\.4\.4:CLI->BRK"\} 4$/m)
    assert.match(text, /^fix_streamers_database_connected\{database="down",kind="pg"\} 0$/m)
    assert.match(text, /^fix_streamers_database_errors_total\{database="down"\} [1-9]/m)
    assert.match(text, /^fix_streamers_session_problem\{session="FIX\.4\.4:X->Y"\} 1$/m)
  })
})
