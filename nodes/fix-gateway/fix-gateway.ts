import 'reflect-metadata'
import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red'
import { InboundMessage, NotLoggedOnError, SendRequest, SessionEvent } from '../../core/fix-session'
import type { StreamMeta } from '../../core/stream'
import type { FixSessionNode, FixSessionStatus } from '../fix-session/types'
import { confirmables } from '../shared/registry'
import { status } from '../shared/status'
import { gatewayStatus } from './status-text'
import { controlCommand, inboundMessage, originOf, possResendOf, rawRequest, sentFix } from './messages'
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

    // Stream messages that came while the session was not logged on, in arrival order. A streamer
    // client never sends a row twice by itself, so erroring them would leave them unconfirmed
    // until the next restart (and stop the client at its in-flight limit): they wait here instead,
    // unconfirmed, and go out in order at the next logon. The client's in-flight window bounds them.
    let held: Array<{ resume: () => void, cancel: (err: Error) => void }> = []
    let closing = false
    const loggedOn = (): boolean => session.currentStatus.phase === 'logged-on'
    function release (): void {
      const waiting = held
      held = []
      for (const h of waiting) h.resume()
    }
    async function untilLoggedOn (): Promise<void> {
      if (closing) throw new Error(t('fix-gateway.errors.closing'))
      node.status(status.warn(t('fix-gateway.status.held', { count: held.length + 1 })))
      await new Promise<void>((resolve, reject) => {
        held.push({ resume: resolve, cancel: reject })
        if (loggedOn()) setImmediate(release) // never wait for a status change that already happened
      })
    }

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
        if (s.phase === 'logged-on' && held.length > 0) release()
      }
    })

    function statusOf (s: FixSessionStatus): ReturnType<typeof status.ok> {
      return gatewayStatus(s, phase => ts(`fix-session.status.${phase}`))
    }

    node.on('input', (
      msg: NodeMessageInFlow & Record<string, any>, _send: (m: any) => void, done: (err?: Error) => void
    ) => {
      handle(msg).then(() => done(), (err: Error) => {
        if (err instanceof NotLoggedOnError) node.status(status.warn(t('fix-gateway.status.not-logged-on')))
        done(err)
      })
    })

    async function handle (msg: Record<string, any>): Promise<void> {
      const topic = typeof msg.topic === 'string' ? msg.topic : ''
      if ((CONTROL_TOPICS as readonly string[]).includes(topic) && msg.stream === undefined) {
        return await control(topic, msg.payload)
      }
      const req = await requestOf(msg)
      const meta = msg.stream as StreamMeta | undefined
      const fromClient = meta?.clientId !== undefined && Array.isArray(meta.position)
      let result
      for (;;) {
        // Behind held messages, or not logged on: wait in line (stream messages only).
        if (fromClient && (held.length > 0 || !loggedOn())) await untilLoggedOn()
        try {
          result = await session!.sendFix(req)
          break
        } catch (err) {
          // The session went down between the check and the send: back in line, in order.
          if (!(fromClient && err instanceof NotLoggedOnError) || closing) throw err
        }
      }
      if (fromClient && meta?.clientId !== undefined) {
        confirmables.get(meta.clientId)?.confirm(meta.position)
      }
      msg.fix = sentFix(msg.fix, result)
    }

    async function requestOf (msg: Record<string, any>): Promise<SendRequest> {
      const origin = originOf(msg.stream as StreamMeta | undefined)
      const p = msg.payload
      const raw = rawRequest(p, origin, msg.fix?.possResend === true)
      if (raw !== undefined) return raw
      const possResend = possResendOf(msg.fix, p)
      if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new Error(t('fix-gateway.errors.payload'))
      const given = msg.fix?.msgType ?? msg.msgType
      if (typeof given !== 'string' || given === '') throw new Error(t('fix-gateway.errors.msgtype'))
      const msgType = await session!.msgTypeOf(given)
      if (msgType === undefined) throw new Error(t('fix-gateway.errors.unknown-msgtype', { msgType: given }))
      return { msgType, body: p, origin, possResend }
    }

    async function control (topic: string, payload: any): Promise<void> {
      const c = controlCommand(topic, payload)
      if (c === undefined) throw new Error(t('fix-gateway.errors.set-sequence'))
      await session!.control(c)
    }

    node.on('close', (removed: boolean, done: () => void) => {
      closing = true
      // Unconfirmed: the streamer client replays them from its checkpoint after the redeploy.
      const waiting = held
      held = []
      for (const h of waiting) h.cancel(new Error(t('fix-gateway.errors.closing')))
      // Flow nodes close before config nodes: logging out here happens while the database is
      // still open, so the Logout's sequence number is committed.
      session.deregister(node, () => done(), removed)
    })
  }

  RED.nodes.registerType('fix-gateway', FixGateway as any)
}
