import 'reflect-metadata'
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red'
import { InboundMessage, NotLoggedOnError, SessionEvent } from '../../core/fix-session'
import type { StreamMeta } from '../../core/stream'
import type { FixSessionNode, FixSessionStatus } from '../fix-session/types'
import { confirmables } from '../shared/registry'
import { status } from '../shared/status'
import { gatewayStatus } from './status-text'
import { controlCommand, inboundMessage, requestOf, sentFix } from './messages'
import { GatewayClosedError, HeldSends } from './held-sends'
import { CONTROL_TOPICS, FixGatewayDef } from './types'
import { translator } from '../shared/i18n'
import catalog = require('./locales/en-US/fix-gateway.json')
import sessionCatalog = require('../fix-session/locales/en-US/fix-session.json')
import { configNode } from '../shared/config-users'

export = function (RED: NodeAPI): void {
  const t = translator(RED, catalog)
  const ts = translator(RED, sessionCatalog)
  function FixGateway (this: Node, def: FixGatewayDef): void {
    RED.nodes.createNode(this, def)
    const node = this
    const session = configNode<FixSessionNode>(RED, def.session, 'fix-session')
    if (session === undefined) {
      node.status(status.error(t('fix-gateway.status.no-session')))
      node.on('input', (_msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) =>
        done(new Error(t('fix-gateway.errors.no-session')))
      )
      return
    }

    const held = new HeldSends(() => session.currentStatus.phase === 'logged-on',
      () => new GatewayClosedError(t('fix-gateway.errors.closing')),
      count => node.status(status.warn(t('fix-gateway.status.held', { count }))))

    session.register(node, {
      onMessage: (m: InboundMessage) => {
        // Unwired, the message would go nowhere: not building it spares decoding the body (fix_in has it).
        if (((node as Node & { wires?: unknown[][] }).wires?.[0]?.length ?? 0) === 0) return
        node.send([inboundMessage(m, session.sessionKey), null])
      },
      onEvent: (e: SessionEvent) => {
        if (e.type === 'state' && def.stateEvents !== true) return
        node.send([null, { topic: e.type, payload: e } as any])
      },
      onStatus: (s: FixSessionStatus) => {
        node.status(statusOf(s))
        if (s.phase === 'logged-on' && held.count > 0) held.release()
      }
    })

    function statusOf (s: FixSessionStatus): ReturnType<typeof status.ok> {
      return gatewayStatus(s, phase => ts(`fix-session.status.${phase}`))
    }

    node.on('input', (
      msg: NodeMessageInFlow & Record<string, any>, _send: (m: any) => void, done: (err?: Error) => void
    ) => {
      handle(msg).then(() => done(), (err: Error) => {
        // Not the row's failure: the close logs one line for all the rows held (a redeploy would log one per row).
        if (err instanceof GatewayClosedError) return done()
        if (err instanceof NotLoggedOnError) node.status(status.warn(t('fix-gateway.status.not-logged-on')))
        done(err)
      })
    })

    async function handle (msg: Record<string, any>): Promise<void> {
      const topic = typeof msg.topic === 'string' ? msg.topic : ''
      if ((CONTROL_TOPICS as readonly string[]).includes(topic) && msg.stream === undefined) {
        return await control(topic, msg.payload)
      }
      const req = await requestOf(msg, async given => await session!.msgTypeOf(given), t)
      const meta = msg.stream as StreamMeta | undefined
      if (meta?.clientId === undefined || !Array.isArray(meta.position)) {
        msg.fix = sentFix(msg.fix, await session!.sendFix(req))
        return
      }
      // A streamer client's row: sent in line (held while not logged on), then confirmed to the client.
      // Each layer of the send passes the journal's promise on rather than awaiting it in an async
      // function of its own: a suspended async frame per layer and order (eight of them) outlived the
      // journal commit and was promoted (docs/performance.md, 4 December 2026, session 17).
      const result = await held.send(() => session!.sendFix(req))
      confirmables.get(meta.clientId)?.confirm(meta.position)
      msg.fix = sentFix(msg.fix, result)
    }

    async function control (topic: string, payload: any): Promise<void> {
      const c = controlCommand(topic, payload)
      if (c === undefined) throw new Error(t('fix-gateway.errors.set-sequence'))
      await session!.control(c)
    }

    node.on('close', (removed: boolean, done: () => void) => {
      // Unconfirmed: the streamer client replays them from its checkpoint after the redeploy.
      const waiting = held.count
      held.close()
      if (waiting > 0) node.log(t('fix-gateway.log.closed-holding', { count: waiting }))
      // Flow nodes close before config nodes: logging out here happens while the database is
      // still open, so the Logout's sequence number is committed.
      session.deregister(node, () => done(), removed)
    })
  }

  RED.nodes.registerType('fix-gateway', FixGateway as any)
}
