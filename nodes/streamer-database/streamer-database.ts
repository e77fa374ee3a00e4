import * as os from 'os'
import * as path from 'path'
import type { Node, NodeAPI } from 'node-red'
import { ConnectionState, Database, DatabaseConnection, PgDatabase, EmbeddedRegistry } from '../../core/db'
import { buildDatabaseOptions, ConfigError, TlsOptions } from './options'
import type { StreamerDatabaseDef, StreamerDatabaseNode } from './types'
import { status } from '../shared/status'
import { connectionStatus } from './status-text'
import { translator } from '../shared/i18n'
import { tlsConfigOptions } from '../shared/tls-config'
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

export = function (RED: NodeAPI): void {
  const t = translator(RED, catalog)
  function StreamerDatabase (this: StreamerDatabaseNode & { [k: string]: any }, def: StreamerDatabaseDef): void {
    RED.nodes.createNode(this, def)
    const node = this
    const users = new Map<string, { user: Node, onState?: (s: ConnectionState) => void }>()
    let connection: DatabaseConnection | undefined
    let configError: string | undefined
    let lastLogged = ''

    try {
      const userDir = (RED.settings as any).userDir ?? path.join(os.homedir(), '.node-red')
      const { options, schema } = buildDatabaseOptions(
        def,
        node.credentials ?? {},
        userDir,
        process.env,
        tlsFrom(def.tls)
      )
      ;(node as { schema: string }).schema = schema
      if (options.kind === 'pg') {
        options.applicationName = `node-red-fix-streamers:${node.id}`
        // Every pooled connection reports the same outage: warn once per IDLE_WARN_EVERY_MS, with a count.
        let warnedAt = 0
        let more = 0
        options.onError = err => {
          const now = Date.now()
          if (now - warnedAt < IDLE_WARN_EVERY_MS) { more++; return }
          node.warn(t('streamer-database.errors.idle', { error: err.message }) + (more > 0 ? ` (+${more})` : ''))
          warnedAt = now
          more = 0
        }
        // Several servers: every move to another one is told, with the one before.
        options.onServerChange = (server, previous) => {
          node.warn(t('streamer-database.log.server-change', { server, previous }))
        }
      }
      connection = new DatabaseConnection(
        options,
        schema,
        typeof def.setupSql === 'string' ? def.setupSql : '',
        async dir => await embedded.open(dir ?? '')
      )
      connection.on('state', (s: ConnectionState) => onState(s))
    } catch (err) {
      configError = err instanceof ConfigError ? err.message : String((err as Error).message ?? err)
      node.error(t('streamer-database.errors.config', { error: configError }))
    }

    Object.defineProperty(node, 'connection', { get: () => connection })
    Object.defineProperty(node, 'configError', { get: () => configError })

    node.acquire = async (): Promise<Database> => {
      if (connection === undefined) throw new Error(t('streamer-database.errors.config', { error: configError ?? '' }))
      return await connection.ready()
    }

    node.register = (user: Node, handler?: (s: ConnectionState) => void): void => {
      users.set(user.id, { user, onState: handler })
      if (connection === undefined) {
        tell(users.get(user.id)!, undefined)
        return
      }
      tell(users.get(user.id)!, connection.state)
      // Connect on first use, like Node-RED's MQTT broker node: an unused config opens nothing.
      node.acquire().catch(() => { /* state events report it */ })
    }

    let allGone: (() => void) | undefined
    node.deregister = (user: Node): void => {
      users.delete(user.id)
      if (users.size === 0) allGone?.()
    }

    /** Users flush state on close (checkpoints, a FIX logout): let them finish before the pool goes. */
    async function usersClosed (ms: number): Promise<void> {
      if (users.size === 0) return
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, ms)
        allGone = () => { clearTimeout(timer); resolve() }
      })
    }

    function onState (s: ConnectionState): void {
      for (const u of users.values()) tell(u, s)
      // Once per outage, not per attempt or changed message (each attempt goes through
      // 'connecting'): the users show it in their status.
      if (s.state === 'connecting' && lastLogged === 'retrying') return
      const key = s.state
      if (key === lastLogged) return
      lastLogged = key
      if (s.state === 'retrying') {
        node.warn(t('streamer-database.errors.retrying', { error: s.error, seconds: Math.round(s.delayMs / 1000) }))
      } else if (s.state === 'connected') {
        node.log(connectedLine(s))
      }
    }

    function connectedLine (s: ConnectionState & { state: 'connected' }): string {
      const db = s.database
      const schema = node.schema
      if (!(db instanceof PgDatabase)) return t('streamer-database.log.connected', { kind: db.kind, schema })
      const servers = db.servers
      return servers.length > 1
        ? t('streamer-database.log.connected-primary', { server: db.server, servers: servers.join(', '), schema })
        : t('streamer-database.log.connected-server', { server: db.server, schema })
    }

    function tell (u: { user: Node, onState?: (s: ConnectionState) => void }, s: ConnectionState | undefined): void {
      if (s === undefined) {
        u.user.status(status.error(t('streamer-database.status.config-error')))
        return
      }
      if (u.onState !== undefined) {
        u.onState(s)
        return
      }
      u.user.status(statusFor(s))
    }

    function statusFor (s: ConnectionState): ReturnType<typeof status.ok> {
      return connectionStatus(s, {
        connecting: t('streamer-database.status.connecting'),
        connected: t('streamer-database.status.connected'),
        closed: t('streamer-database.status.closed')
      })
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      const c = connection
      if (c === undefined) return done()
      usersClosed(USERS_CLOSE_MS)
        .then(async () => await c.close())
        .catch(err => node.warn(String(err)))
        .finally(() => done())
    })
  }

  function tlsFrom (id: string | undefined): TlsOptions | undefined {
    return tlsConfigOptions(RED, id)
  }

  RED.nodes.registerType('streamer-database', StreamerDatabase as any, {
    credentials: {
      user: { type: 'text' },
      password: { type: 'password' }
    }
  })
}
