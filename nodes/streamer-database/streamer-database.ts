import * as os from 'os'
import * as path from 'path'
import type { Node, NodeAPI } from 'node-red'
import { ConnectionState, Database, DatabaseConnection, EmbeddedRegistry } from '../../core/db'
import { buildDatabaseOptions, ConfigError } from './options'
import type { StreamerDatabaseDef, StreamerDatabaseNode } from './types'
import { status } from '../shared/status'
import { connectionStatus } from './status-text'
import { ConnectionLog, throttled } from './log-lines'
import { translator } from '../shared/i18n'
import { tlsConfigOptions } from '../shared/tls-config'
import { ConfigUsers } from '../shared/config-users'
import catalog = require('./locales/en-US/streamer-database.json')

/**
 * Embedded databases by data folder, for this Node-RED process: config nodes naming the same
 * folder share one instance (two would corrupt it), and an open after a redeploy waits for the
 * old instance's close.
 */
const embedded = new EmbeddedRegistry()

/** Errors of idle pooled connections are logged at most this often (one outage breaks them all). */
const IDLE_WARN_EVERY_MS = 30000

/** How long a closing database waits for its users' own close (Node-RED allows 15 s in all). */
const USERS_CLOSE_MS = 10000

interface User { user: Node, onState?: (s: ConnectionState) => void }

export = function (RED: NodeAPI): void {
  const t = translator(RED, catalog)
  function StreamerDatabase (this: StreamerDatabaseNode & { [k: string]: any }, def: StreamerDatabaseDef): void {
    RED.nodes.createNode(this, def)
    const node = this
    let open: (() => DatabaseConnection) | undefined
    let connection: DatabaseConnection | undefined
    let configError: string | undefined
    try {
      const userDir = (RED.settings as any).userDir ?? path.join(os.homedir(), '.node-red')
      const tls = tlsConfigOptions(RED, def.tls)
      const { options, schema } = buildDatabaseOptions(def, node.credentials ?? {}, userDir, process.env, tls)
      ;(node as { schema: string }).schema = schema
      if (options.kind === 'pg') {
        options.applicationName = `node-red-fix-streamers:${node.id}`
        const warn = throttled(IDLE_WARN_EVERY_MS, text => node.warn(text))
        options.onError = err => warn(t('streamer-database.errors.idle', { error: err.message }))
        options.onServerChange = (server, previous) => {
          node.warn(t('streamer-database.log.server-change', { server, previous }))
        }
      }
      const log = new ConnectionLog(t, schema)
      const setupSql = typeof def.setupSql === 'string' ? def.setupSql : ''
      // A new connection each time the first user arrives after the last one left.
      open = () => {
        const c = new DatabaseConnection(options, schema, setupSql, async dir => await embedded.open(dir ?? ''))
        c.on('state', (s: ConnectionState) => {
          for (const u of users.handlers()) tell(u, s)
          const line = log.lineFor(s)
          if (line !== undefined) node[line.level](line.text)
        })
        return c
      }
      connection = open()
    } catch (err) {
      configError = err instanceof ConfigError ? err.message : String((err as Error).message ?? err)
      node.error(t('streamer-database.errors.config', { error: configError }))
    }

    // Like Node-RED's MQTT broker: the first user connects, the last one removed closes the pool.
    const users = new ConfigUsers<User>({
      open: () => { node.acquire().catch(() => { /* state events report it */ }) },
      close: async () => {
        const old = connection
        if (old === undefined || open === undefined) return
        connection = open()
        await old.close()
      }
    })

    Object.defineProperty(node, 'connection', { get: () => connection })
    Object.defineProperty(node, 'configError', { get: () => configError })

    node.acquire = async (): Promise<Database> => {
      if (connection === undefined) throw new Error(t('streamer-database.errors.config', { error: configError ?? '' }))
      return await connection.ready()
    }

    node.register = (user: Node, onState?: (s: ConnectionState) => void): void => {
      const u = { user, onState }
      tell(u, connection?.state)
      users.register(user, u)
    }

    node.deregister = (user: Node, done?: (err?: Error) => void, removed?: boolean): void =>
      users.deregister(user, done, removed)

    function tell (u: User, s: ConnectionState | undefined): void {
      if (s === undefined) return u.user.status(status.error(t('streamer-database.status.config-error')))
      if (u.onState !== undefined) return u.onState(s)
      u.user.status(connectionStatus(s, {
        connecting: t('streamer-database.status.connecting'),
        connected: t('streamer-database.status.connected'),
        closed: t('streamer-database.status.closed')
      }))
    }

    // Users flush state on close (checkpoints, a FIX Logout): let them finish before the pool goes.
    node.on('close', (_removed: boolean, done: () => void) => {
      users.whenEmpty(USERS_CLOSE_MS)
        .then(async () => await connection?.close())
        .catch(err => node.warn(String(err)))
        .finally(() => done())
    })
  }

  RED.nodes.registerType('streamer-database', StreamerDatabase as any, {
    credentials: {
      user: { type: 'text' },
      password: { type: 'password' }
    }
  })
}
