import 'reflect-metadata'
import type { Node, NodeAPI } from 'node-red'
import { ControlCommand, sessionName, SendRequest, SendResult, TlsSettings } from '../../core/fix-session'
import type { StreamerDatabaseNode } from '../streamer-database/types'
import type { FixSessionDef, FixSessionNode, FixSessionUser } from './types'
import { tlsSettingsOf } from './options'
import { translator } from '../shared/i18n'
import { tlsConfigOptions } from '../shared/tls-config'
import catalog = require('./locales/en-US/fix-session.json')
import { haSettings } from '../shared/ha'
import { configNode, ConfigUsers } from '../shared/config-users'
import { fileLogOf, frameLog, LoggingSettings, traceEnabled } from './log-lines'
import { SessionHost } from './session-host'
import { StatusFeed } from './status-feed'

export = function (RED: NodeAPI): void {
  const t = translator(RED, catalog)
  function FixSession (this: FixSessionNode & { [k: string]: any }, def: FixSessionDef): void {
    RED.nodes.createNode(this, def)
    const node = this
    const sessionKey = sessionName({ ...def, name: def.sessionName })
    // Like Node-RED's MQTT broker: the first user starts the session, the last one to leave logs it out.
    const users: ConfigUsers<FixSessionUser> = new ConfigUsers<FixSessionUser>({
      open: (): void => host.start(),
      close: async (): Promise<void> => await host.stop(),
      closeOnRedeploy: true
    })
    const feed = new StatusFeed(s => { for (const h of users.handlers()) h.onStatus?.(s) })
    const dbNode = configNode<StreamerDatabaseNode>(RED, def.database, 'streamer-database')
    const settings = RED.settings as unknown as { logging?: LoggingSettings, userDir?: string }
    const host: SessionHost = new SessionHost({
      def,
      credentials: node.credentials ?? {},
      key: sessionKey,
      id: node.id,
      database: dbNode === undefined
        ? undefined
        : { schema: dbNode.schema, acquire: async () => await dbNode.acquire(), watch: f => dbNode.register(node, f) },
      ha: () => haSettings(RED),
      tls: () => tlsFrom(def),
      // Frames are logged at trace level only: skip the work when nothing would print it.
      frames: frameLog(traceEnabled(() => settings.logging), node),
      openFileLog: () => fileLogOf(def.logDirectory, settings.userDir ?? process.cwd(), sessionKey,
        err => node.warn(t('fix-session.errors.log-file', { error: err.message }))),
      feed,
      users: (): FixSessionUser[] => users.handlers(),
      say: node,
      t
    })

    node.register = (user: Node, h: FixSessionUser): void => {
      h.onStatus?.(feed.current)
      users.register(user, h)
    }
    /** The last user to leave stops the session: a clean Logout, so the next logon continues the numbers. */
    node.deregister = (user: Node, done: (err?: Error) => void, removed?: boolean): void =>
      users.deregister(user, done, removed)
    node.sendFix = (req: SendRequest): Promise<SendResult> => host.send(req)
    node.control = async (c: ControlCommand): Promise<void> => await host.control(c)
    node.msgTypeOf = async (nameOrCode: string): Promise<string | undefined> => await host.msgTypeOf(nameOrCode)
    Object.defineProperty(node, 'currentStatus', { get: () => feed.current })
    Object.defineProperty(node, 'sessionKey', { get: () => sessionKey })

    node.on('close', (removed: boolean, done: () => void) => {
      // The database is released only after the Logout and the last sequence numbers are stored.
      host.close().finally(() => {
        if (dbNode === undefined) return done()
        dbNode.deregister(node, () => done(), removed)
      })
    })
  }

  function tlsFrom (d: FixSessionDef): TlsSettings | undefined {
    if (d.usetls !== true || d.tls === undefined || d.tls === '') return undefined
    const opts = tlsConfigOptions(RED, d.tls)
    if (opts === undefined) throw new Error('the TLS configuration node is missing')
    return tlsSettingsOf(d, opts)
  }

  RED.nodes.registerType('fix-session', FixSession as any, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
      expectUsername: { type: 'text' },
      expectPassword: { type: 'password' }
    }
  })
}
