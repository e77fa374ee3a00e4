import 'reflect-metadata'
import type { NodeAPI } from 'node-red'
import type { ControlCommand } from '../../core/fix-session'
import { builtinDictionary, loadDictionary } from '../../core/fix'
import type { FixDefinitions } from '../../core/fix'
import {
  decodeForDisplay,
  DecodedMessage,
  Direction,
  JournalQueryError,
  parseJournalFilter,
  readJournal,
  readJournalMessage,
  METRICS_CONTENT_TYPE,
  renderMetrics,
  controlOf,
  OpsRegistry,
  scopeHolds,
  messageOf,
  within
} from '../../core/ops'
import type { FixSessionDef, FixSessionNode } from '../fix-session/types'
import type { StreamerClientNode } from '../streamer-client/types'
import { parseRewindTarget } from '../streamer-client/control'
import { buildOverview, databaseOf, sessionKeyOf, watchDatabases } from './overview'

/** A journal query may take this long before the sidebar is told the database is too slow. */
const QUERY_MS = 5000

/**
 * The operator console: the editor sidebar's HTTP endpoints and the Prometheus endpoint. Glue
 * only: the read models are core/ops. Reads need `fix-streamers.read`, actions
 * `fix-streamers.write`; every action is logged with the user's name.
 */
export = function (RED: NodeAPI): void {
  RED.plugins.registerPlugin('fix-streamers-sidebar', { type: 'fix-streamers-sidebar' } as any)
  const read = RED.auth.needsPermission('fix-streamers.read')
  // Signed in but read-only: 403 (Node-RED's own check would answer 401, which reads as "log in").
  const forbidden = (req: any, res: any, next: () => void): void => {
    if (
      req.user !== undefined &&
      req.authInfo !== undefined &&
      !scopeHolds(req.authInfo.scope, 'fix-streamers.write')
    ) {
      RED.log.warn(`[fix-streamers] ${String(req.user.username ?? 'anonymous')}: ` +
        `refused ${String(req.method)} ${String(req.path)} (no fix-streamers.write permission)`)
      return res.status(403).json({ error: 'your user has no fix-streamers.write permission' })
    }
    next()
  }
  const write = [read, forbidden, RED.auth.needsPermission('fix-streamers.write')]
  const admin = RED.httpAdmin
  RED.events.on('flows:started', () => watchDatabases(RED))

  const userOf = (req: any): string => req.user?.username ?? 'anonymous'
  const fail = (res: any, status: number, err: unknown): void => { res.status(status).json({ error: messageOf(err) }) }

  function sessionDef (id: unknown): (FixSessionDef & { id: string }) | undefined {
    let found: (FixSessionDef & { id: string }) | undefined
    RED.nodes.eachNode((n: any) => { if (n.type === 'fix-session' && n.id === id) found = n })
    return found
  }

  /** The session's dictionary, for names and enum descriptions; the reason when it does not load. */
  async function dictionaryOf (def: FixSessionDef): Promise<{ definitions?: FixDefinitions, problem?: string }> {
    const fallback: Record<string, string> = { 'FIX.4.2': 'FIX.4.2', 'FIX.4.4': 'FIX.4.4', 'FIXT.1.1': 'FIX.5.0SP2' }
    const ref = String(def.dictionary ?? '').trim() || fallback[def.beginString] || def.beginString
    try {
      if (builtinDictionary(ref) === undefined && ref === def.beginString) throw new Error(`no dictionary for ${ref}`)
      return { definitions: await within(loadDictionary(ref), 30000, 'dictionary') }
    } catch (err) {
      return { problem: `the dictionary ${JSON.stringify(ref)} did not load: ${messageOf(err)}` }
    }
  }

  admin.get('/fix-streamers/overview', read, (_req: any, res: any) => {
    buildOverview(RED).then(o => res.json(o), err => fail(res, 500, err))
  })

  admin.get('/fix-streamers/metrics', read, (_req: any, res: any) => {
    buildOverview(RED).then(renderMetrics).then(text => {
      res.set('Content-Type', METRICS_CONTENT_TYPE)
      res.send(text)
    }, err => fail(res, 500, err))
  })

  admin.get('/fix-streamers/journal', read, (req: any, res: any) => {
    (async () => {
      const def = sessionDef(req.query.session)
      if (def === undefined) return res.status(404).json({ error: 'no fix-session with this id in the running flows' })
      const filter = parseJournalFilter({ ...req.query, session: sessionKeyOf(RED, def) })
      const { db, schema, problem } = databaseOf(RED, def.database)
      if (db === undefined || schema === undefined) return res.status(503).json({ error: problem })
      const { definitions } = await dictionaryOf(def)
      if (filter.msgType !== undefined && definitions !== undefined) {
        filter.msgType = definitions.message.get(filter.msgType)?.msgType ?? filter.msgType
      }
      const page = await within(readJournal(db, schema, filter), QUERY_MS, 'journal query')
      const names = page.entries.map(e => definitions?.message.get(e.msgType)?.name)
      res.json({ ...page, entries: page.entries.map((e, i) => ({ ...e, msgName: names[i] })) })
    })().catch(err => fail(res, err instanceof JournalQueryError ? 400 : 500, err))
  })

  admin.get('/fix-streamers/journal/:session/:direction/:id', read, (req: any, res: any) => {
    (async () => {
      const def = sessionDef(req.params.session)
      if (def === undefined) return res.status(404).json({ error: 'no fix-session with this id in the running flows' })
      const direction = req.params.direction as Direction
      if (direction !== 'in' && direction !== 'out') {
        return res.status(400).json({ error: "direction must be 'in' or 'out'" })
      }
      const { db, schema, problem } = databaseOf(RED, def.database)
      if (db === undefined || schema === undefined) return res.status(503).json({ error: problem })
      const m = await within(
        readJournalMessage(db, schema, sessionKeyOf(RED, def), direction, String(req.params.id)),
        QUERY_MS,
        'journal query'
      )
      if (m === undefined) return res.status(404).json({ error: 'no such message in this session' })
      const dict = await dictionaryOf(def)
      // A row that does not parse (written by hand, or damaged) is shown as it is, raw, with why: never a 500.
      let decoded: DecodedMessage | undefined
      let parseError: string | undefined
      try {
        decoded = decodeForDisplay(m.raw, dict.definitions)
      } catch (err) {
        parseError = messageOf(err)
      }
      res.json({
        message: { ...m, raw: m.raw.replace(/\x01/g, '|') },
        decoded,
        parses: parseError === undefined,
        problem: parseError !== undefined ? `the stored message does not parse: ${parseError}` : dict.problem
      })
    })().catch(err => fail(res, err instanceof JournalQueryError ? 400 : 500, err))
  })

  admin.post('/fix-streamers/sessions/:id/control', ...write, (req: any, res: any) => {
    const def = sessionDef(req.params.id)
    const live = def !== undefined ? RED.nodes.getNode(def.id) as FixSessionNode | null : null
    if (def === undefined || live === null) {
      return res.status(404).json({ error: 'no deployed fix-session with this id' })
    }
    let c: ControlCommand
    try {
      c = controlOf(req.body ?? {}, `logout by ${userOf(req)} from the editor`)
    } catch (err) {
      return fail(res, 400, err)
    }
    const seqs = c.command === 'set-sequence'
      ? ` (next out ${String(c.nextSenderSeq ?? '-')}, next in ${String(c.nextTargetSeq ?? '-')})`
      : ''
    RED.log.info(`[fix-streamers] ${userOf(req)}: ${c.command} on session ${live.sessionKey}${seqs}`)
    if (c.command === 'logout') {
      OpsRegistry.get()
        .session(def.id)
        .expectLogout(`${c.text ?? 'logout'} (by ${userOf(req)})`)
    }
    // The same path as a fix:* control message to a fix-gateway: the session node's control().
    live.control(c).then(() => res.json({ ok: true, status: live.currentStatus }), err => fail(res, 409, err))
  })

  admin.post('/fix-streamers/clients/:id/rewind', ...write, (req: any, res: any) => {
    const target = RED.nodes.getNode(req.params.id) as (StreamerClientNode & { type: string }) | null
    if (target === null || target.type !== 'streamer-client') {
      return res.status(404).json({ error: 'no deployed streamer client with this id' })
    }
    let parsed
    try {
      parsed = parseRewindTarget(req.body?.target)
    } catch (err) {
      return fail(res, 400, err)
    }
    RED.log.info(
      `[fix-streamers] ${userOf(req)}: rewind of client ${target.clientName} to ${JSON.stringify(req.body?.target)}`
    )
    target.rewind(parsed).then(start => res.json({ start }), err => fail(res, 409, err))
  })
}
