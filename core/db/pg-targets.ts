import { parse as parseUrl } from 'pg-connection-string'

/**
 * Several PostgreSQL servers for one database, as libpq accepts them: `host=a,b port=5432,5433`
 * in a key/value connection string, `postgresql://a:5432,b:5433/db` in a URL, or a comma-separated
 * host list with one port or a port per host. node-postgres takes one host only (its multi-host
 * support is an open request), so the pack parses the list here and chooses the server itself
 * (pg-primary.ts).
 */

/** One server of the list. */
export interface PgTarget {
  host: string
  port: number
}

/**
 * libpq's target_session_attrs, as far as a writer can use them: `any` takes the first server
 * that answers, `read-write` the first whose sessions accept writes (transaction_read_only off),
 * `primary` the first not in recovery. The read-only kinds are refused: the pack writes.
 */
export type TargetSessionAttrs = 'any' | 'read-write' | 'primary'

/** The parsed connection string: its servers, the kind wanted, and every other setting for pg. */
export interface PgServerList {
  targets: PgTarget[]
  attrs: TargetSessionAttrs | undefined
  /** The rest, as pg's own connection-string parser gives it (user, password, database, ssl...). */
  config: Record<string, unknown>
}

/** A host list, port list or connection string that cannot be used; says what, never the password. */
export class PgHostListError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'PgHostListError'
  }
}

export const DEFAULT_PORT = 5432
/** More would only be a typo or a paste of something else. */
const MAX_HOSTS = 16
/** A name, IPv4 or IPv6 address (IPv6 may come in brackets), or a Unix socket directory. */
const HOST_RE = /^(?:[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|\/[^\s,'"\\]*)$/

export function describeTarget (t: PgTarget): string {
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`
}

/**
 * `hosts` "a,b" and `ports` "5432,5433" (or one port for every host, or empty for 5432), as in
 * libpq's host and port keywords.
 */
export function parseHostList (hosts: string, ports: string | number | undefined): PgTarget[] {
  const names = hosts.split(',').map(h => h.trim().replace(/^\[(.*)\]$/, '$1'))
  if (names.length > MAX_HOSTS) throw new PgHostListError(`at most ${MAX_HOSTS} hosts, not ${names.length}`)
  for (const name of names) {
    if (name === '') throw new PgHostListError('the host list has an empty entry')
    if (!HOST_RE.test(name)) throw new PgHostListError(`"${name.slice(0, 60)}" is not a host name or address`)
  }
  const portText = ports === undefined ? '' : String(ports).trim()
  const portList = portText === '' ? [] : portText.split(',').map(p => p.trim())
  if (portList.length > 1 && portList.length !== names.length) {
    throw new PgHostListError(`${portList.length} ports for ${names.length} hosts: give one port, or one per host`)
  }
  return names.map((host, i) => ({ host, port: parsePort(portList.length === 1 ? portList[0] : portList[i]) }))
}

function parsePort (text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_PORT
  const n = Number(text)
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    throw new PgHostListError(`port "${text.slice(0, 20)}" is not a number from 1 to 65535`)
  }
  return n
}

export function parseTargetSessionAttrs (value: unknown): TargetSessionAttrs | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (value === 'any' || value === 'read-write' || value === 'primary') return value
  throw new PgHostListError(`target_session_attrs "${String(value).slice(0, 30)}" is not supported: the pack ` +
    'writes, so use read-write (or primary, or any)')
}

/** True for a libpq key/value string (`host=a port=5432 ...`) rather than a URL. */
export function isKeyValue (s: string): boolean {
  return /^\s*[A-Za-z_]+\s*=/.test(s)
}

/**
 * True when a connection string needs the pack's own parsing: several hosts, a key/value string,
 * or target_session_attrs. Any other string goes to pg unchanged, as before.
 */
export function needsOwnParsing (s: string): boolean {
  if (isKeyValue(s)) return true
  if (/[?&]target_session_attrs=/.test(s)) return true
  const m = URL_RE.exec(s)
  return m !== null && (m[3].includes(',') || /[?&](host|port)=[^&]*,/.test(m[4]))
}

/** scheme, user info, host list, and the rest (path and query). */
const URL_RE = /^(postgres(?:ql)?:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/s

/** Parses a URL or key/value connection string with one or several hosts. */
export function parseServerList (s: string): PgServerList {
  return isKeyValue(s) ? parseKeyValue(s) : parseMultiHostUrl(s)
}

function parseMultiHostUrl (s: string): PgServerList {
  const m = URL_RE.exec(s.trim())
  if (m === null) throw new PgHostListError('the connection string is neither postgres://... nor key=value pairs')
  const [, scheme, userInfo, hostList, rest] = m
  // pg parses everything but the hosts: a placeholder host stands in for the list.
  const config = parsePgUrl(`${scheme}${userInfo !== undefined ? `${userInfo}@` : ''}placeholder${rest}`)
  let hosts = hostList
  let ports = ''
  if (typeof config.host === 'string' && config.host !== 'placeholder') {
    // libpq also takes the hosts from a query parameter (postgresql:///db?host=a,b&port=...).
    hosts = config.host
    ports = typeof config.port === 'string' ? config.port : ''
  } else {
    const entries = splitHostPorts(hostList)
    hosts = entries.map(e => e.host).join(',')
    ports = entries.map(e => e.port).join(',')
    if (entries.every(e => e.port === '')) ports = ''
  }
  if (hosts === '') throw new PgHostListError('the connection string names no host')
  const attrs = parseTargetSessionAttrs(config.target_session_attrs)
  return { targets: parseHostList(hosts, ports), attrs, config: withoutHostKeys(config) }
}

/** "a:1,[::1]:2,b" -> host and port text of each entry. */
function splitHostPorts (list: string): Array<{ host: string, port: string }> {
  return list.split(',').map(entry => {
    const m = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(decodeURIComponent(entry.trim()))
    if (m === null) throw new PgHostListError(`"${entry.slice(0, 60)}" is not host:port`)
    return { host: m[1], port: m[2] ?? '' }
  })
}

function parsePgUrl (url: string): Record<string, unknown> {
  try {
    return parseUrl(url) as Record<string, unknown>
  } catch (err) {
    // pg's parser redacts the input; its message alone says what is wrong.
    throw new PgHostListError(`the connection string cannot be read: ${(err as Error).message}`)
  }
}

/** libpq's key/value form, values bare or in single quotes (with \' and \\). */
function parseKeyValue (s: string): PgServerList {
  const values = new Map<string, string>()
  const re = /\s*([A-Za-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s']*))/y
  let at = 0
  const text = s.trim()
  while (at < text.length) {
    re.lastIndex = at
    const m = re.exec(text)
    // The position only: the text may hold the password.
    if (m === null) throw new PgHostListError(`the connection string cannot be read at character ${at + 1}`)
    values.set(m[1], m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3])
    at = re.lastIndex
  }
  const known = new Set(['host', 'port', 'dbname', 'user', 'password', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey',
    'target_session_attrs', 'connect_timeout', 'application_name', 'options'])
  for (const key of values.keys()) {
    if (!known.has(key)) throw new PgHostListError(`"${key.slice(0, 30)}" is not a connection option the pack knows`)
  }
  const query = new URLSearchParams()
  for (const [key, value] of values) {
    if (!['host', 'port', 'dbname', 'target_session_attrs'].includes(key)) query.set(key, value)
  }
  const db = encodeURIComponent(values.get('dbname') ?? '')
  const config = parsePgUrl(`postgres://placeholder/${db}${query.size > 0 ? `?${query.toString()}` : ''}`)
  const hosts = values.get('host') ?? ''
  if (hosts === '') throw new PgHostListError('the connection string names no host')
  return {
    targets: parseHostList(hosts, values.get('port')),
    attrs: parseTargetSessionAttrs(values.get('target_session_attrs')),
    config: withoutHostKeys(config)
  }
}

/** pg's parse result without the host, port and libpq-only keys, and without empty values. */
function withoutHostKeys (config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(config)) {
    if (['host', 'port', 'target_session_attrs'].includes(key)) continue
    if (value === undefined || value === null || value === '') continue
    out[key] = value
  }
  return out
}
