import * as assert from 'assert'
import { parseHostList, parseServerList, PgHostListError, needsOwnParsing } from '../../../core/db/pg-targets'
import { serverChoice } from '../../../core/db/pg-primary'

describe('several PostgreSQL hosts, read as libpq reads them', () => {
  it('pairs a host list with one port for all or one port per host', () => {
    assert.deepStrictEqual(parseHostList('a, b', '5433'), [{ host: 'a', port: 5433 }, { host: 'b', port: 5433 }])
    assert.deepStrictEqual(parseHostList('a,b', '5432,5433'), [{ host: 'a', port: 5432 }, { host: 'b', port: 5433 }])
    assert.deepStrictEqual(parseHostList('db1.example.com,[::1]', ''), [
      { host: 'db1.example.com', port: 5432 }, { host: '::1', port: 5432 }
    ])
  })

  it('refuses an empty entry, a bad name, a bad port and a port count that fits neither rule', () => {
    assert.throws(() => parseHostList('a,,b', '5432'), /empty entry/)
    assert.throws(() => parseHostList('a b', '5432'), PgHostListError)
    assert.throws(() => parseHostList('a;drop', '5432'), /not a host name/)
    assert.throws(() => parseHostList('a,b', '5432,x'), /port "x"/)
    assert.throws(() => parseHostList('a,b', '70000'), /1 to 65535/)
    assert.throws(() => parseHostList('a,b,c', '1,2'), /2 ports for 3 hosts/)
  })

  it('reads a multi-host URL with target_session_attrs, user and password', () => {
    const p = parseServerList('postgresql://u:s%40cret@h1:5432,h2:5433/orders?target_session_attrs=read-write')
    assert.deepStrictEqual(p.targets, [{ host: 'h1', port: 5432 }, { host: 'h2', port: 5433 }])
    assert.strictEqual(p.attrs, 'read-write')
    assert.strictEqual(p.config.user, 'u')
    assert.strictEqual(p.config.password, 's@cret')
    assert.strictEqual(p.config.database, 'orders')
    assert.strictEqual(p.config.host, undefined)
    assert.strictEqual(p.config.target_session_attrs, undefined)
  })

  it('reads a key/value string with quoted values and a host and port list', () => {
    const p = parseServerList("host=h1,h2 port=5432,5433 dbname=orders user=u password='it\\'s x' " +
      'target_session_attrs=primary sslmode=disable')
    assert.deepStrictEqual(p.targets, [{ host: 'h1', port: 5432 }, { host: 'h2', port: 5433 }])
    assert.strictEqual(p.attrs, 'primary')
    assert.strictEqual(p.config.database, 'orders')
    assert.strictEqual(p.config.user, 'u')
    assert.strictEqual(p.config.password, "it's x")
  })

  it('refuses read-only target kinds, unknown options and unreadable strings without echoing a password', () => {
    assert.throws(() => parseServerList('postgresql://h1,h2/db?target_session_attrs=standby'), /read-write/)
    assert.throws(() => parseServerList('host=h1 bogus=1'), /"bogus" is not a connection option/)
    assert.throws(() => parseServerList("host=h1 password='secret"), (err: Error) =>
      err instanceof PgHostListError && !err.message.includes('secret'))
  })

  it('leaves a plain one-host URL to pg, and chooses read-write by default for several hosts', () => {
    assert.strictEqual(needsOwnParsing('postgres://u@h1:5432/db'), false)
    assert.strictEqual(needsOwnParsing('postgres://u@h1:5432,h2/db'), true)
    assert.strictEqual(needsOwnParsing('host=h1'), true)
    assert.strictEqual(serverChoice({ connectionString: 'postgres://u@h1:5432/db' }), undefined)
    assert.strictEqual(serverChoice({ connectionString: 'postgres://u@h1,h2/db' })?.attrs, 'read-write')
    assert.strictEqual(serverChoice({ connectionString: 'postgres://h1,h2/db?target_session_attrs=any' })?.attrs, 'any')
    assert.strictEqual(serverChoice({ hosts: [{ host: 'h1', port: 1 }] })?.attrs, 'any')
  })
})
