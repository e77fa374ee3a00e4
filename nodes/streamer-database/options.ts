import * as path from 'path'
import type { DatabaseOptions } from '../../core/db'
import { validateIdentifier, needsOwnParsing, parseHostList, parseServerList } from '../../core/db'
import type { StreamerDatabaseCredentials, StreamerDatabaseDef } from './types'

export const DEFAULT_SCHEMA = 'fix_streamers'
export const DEFAULT_DATA_DIR = 'fix-streamers-db'

export class ConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

export interface TlsOptions {
  ca?: string | Buffer
  cert?: string | Buffer
  key?: string | Buffer
  rejectUnauthorized?: boolean
}

/**
 * Turns the config node's fields into core database options. Throws a ConfigError that says
 * which field is wrong; never puts a secret into the message.
 */
export function buildDatabaseOptions (
  def: Partial<StreamerDatabaseDef>,
  creds: StreamerDatabaseCredentials,
  userDir: string,
  env: NodeJS.ProcessEnv,
  tls?: TlsOptions
): { options: DatabaseOptions, schema: string } {
  const schema = (def.schema ?? '').trim() === '' ? DEFAULT_SCHEMA : (def.schema ?? '').trim()
  try {
    validateIdentifier(schema, 'schema')
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }

  if ((def.mode ?? 'embedded') === 'embedded') {
    const sub = (def.dataDir ?? '').trim() === '' ? DEFAULT_DATA_DIR : (def.dataDir ?? '').trim()
    const dataDir = path.resolve(userDir, sub)
    if (!path.isAbsolute(sub) && !dataDir.startsWith(path.resolve(userDir) + path.sep)) {
      throw new ConfigError(
        `data folder "${sub}" must stay inside the Node-RED user directory (or be an absolute path)`
      )
    }
    return { options: { kind: 'pglite', dataDir }, schema }
  }
  if (def.mode !== 'server') throw new ConfigError(`unknown mode "${String(def.mode)}"`)

  const max = def.poolSize === undefined || def.poolSize === '' ? 10 : Number(def.poolSize)
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw new ConfigError('pool size must be a whole number from 1 to 1000')
  }
  const min = poolMin(def.poolMin, max)
  // Off only for a pooler in transaction mode that cannot keep prepared statements.
  const prepareThreshold = def.prepared === false ? 0 : 3
  const ssl = sslOption(def.ssl, tls)
  const user = nonEmpty(creds.user)
  const password = nonEmpty(creds.password)

  const urlEnv = (def.urlEnv ?? '').trim()
  if (urlEnv !== '') {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(urlEnv)) {
      throw new ConfigError(`"${urlEnv.slice(0, 40)}" is not an environment variable name`)
    }
    const connectionString = env[urlEnv]
    if (connectionString === undefined || connectionString.trim() === '') {
      throw new ConfigError(`environment variable ${urlEnv} is not set`)
    }
    // Several hosts or a key/value string: read now, so a mistake is a config error, not a retry loop.
    if (needsOwnParsing(connectionString)) {
      try {
        parseServerList(connectionString)
      } catch (err) {
        throw new ConfigError(`${urlEnv}: ${(err as Error).message}`)
      }
    }
    return {
      options: {
        kind: 'pg',
        connectionString,
        user,
        password,
        ssl: ssl === false ? undefined : ssl,
        max,
        min,
        prepareThreshold
      },
      schema
    }
  }

  const host = (def.host ?? '').trim()
  if (host === '') throw new ConfigError('host is empty')
  const database = nonEmpty((def.database ?? '').trim())
  const portText = def.port === undefined ? '' : String(def.port).trim()
  if (host.includes(',') || portText.includes(',')) {
    // A primary and its standbys: the node uses the one that accepts writes (pg-primary.ts).
    let hosts
    try {
      hosts = parseHostList(host, portText)
    } catch (err) {
      throw new ConfigError((err as Error).message)
    }
    return { options: { kind: 'pg', hosts, database, user, password, ssl, max, min, prepareThreshold }, schema }
  }
  const port = portText === '' ? 5432 : Number(portText)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError('port must be a number from 1 to 65535')
  }
  return { options: { kind: 'pg', host, port, database, user, password, ssl, max, min, prepareThreshold }, schema }
}

/**
 * Connections kept open. Empty means the whole pool, as a fixed-size pool: every connection is
 * ready before the first order and none is opened (and run cold) in the middle of a burst.
 */
function poolMin (value: string | number | undefined, max: number): number {
  if (value === undefined || String(value).trim() === '') return max
  const min = Number(value)
  if (!Number.isInteger(min) || min < 0 || min > max) {
    throw new ConfigError(`connections kept open must be a whole number from 0 to the pool size (${max})`)
  }
  return min
}

function sslOption (mode: string | undefined, tls?: TlsOptions): false | TlsOptions {
  switch (mode ?? 'disable') {
    case 'disable': return false
    // Encrypted, but the server certificate is not checked (like libpq's sslmode=require).
    case 'require': return { ...tls, rejectUnauthorized: false }
    case 'verify': return { ...tls, rejectUnauthorized: true }
    default: throw new ConfigError(`unknown SSL mode "${String(mode)}"`)
  }
}

function nonEmpty (s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s
}
