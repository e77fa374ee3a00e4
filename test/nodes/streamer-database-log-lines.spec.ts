import * as assert from 'assert'
import { ConnectionState, PgDatabase, PgliteDatabase } from '../../core/db'
import { ConnectionLog, connectedLine, throttled } from '../../nodes/streamer-database/log-lines'
import { translator } from '../../nodes/shared/i18n'
import { serverOptions } from '../support/databases'
import catalog = require('../../nodes/streamer-database/locales/en-US/streamer-database.json')

// No runtime catalog: the node's own en-US texts, as under node-red-node-test-helper.
const t = translator({ _: (key: string) => key }, catalog)

describe('streamer-database log lines', () => {
  it('logs one warning per outage, not one per retry, and one line when connected again', async () => {
    const db = await PgliteDatabase.open()
    try {
      const log = new ConnectionLog(t, 'fx')
      const retrying = (attempt: number): ConnectionState =>
        ({ state: 'retrying', error: 'connection refused', attempt, delayMs: 2000 })
      const lines = ([
        { state: 'connecting' }, retrying(1), { state: 'connecting' }, retrying(2), { state: 'connecting' },
        { state: 'connected', database: db }, { state: 'closed' }
      ] as ConnectionState[]).map(s => log.lineFor(s)).filter(l => l !== undefined)
      assert.deepStrictEqual(lines, [
        { level: 'warn', text: 'Database unavailable: connection refused. Retrying in 2 s' },
        { level: 'log', text: 'connected (pglite), schema fx up to date' }
      ])
    } finally {
      await db.close()
    }
  })

  it('logs a refused login that comes while the database node retries, once, after the outage began otherwise',
    async () => {
      const db = await PgliteDatabase.open()
      try {
        const log = new ConnectionLog(t, 'fx')
        const starting = 'the database system is starting up'
        const password = 'password authentication failed for user "app"'
        const retrying = (error: string, attempt: number, needsOperator = false): ConnectionState =>
          ({ state: 'retrying', error, attempt, delayMs: 1000, needsOperator })
        const lines = ([
          { state: 'connecting' }, retrying(starting, 1), { state: 'connecting' }, retrying(password, 2, true),
          { state: 'connecting' }, retrying(starting, 3), { state: 'connecting' }, retrying(password, 4, true),
          { state: 'connected', database: db }, { state: 'connecting' }, retrying(starting, 1)
        ] as ConnectionState[]).map(s => log.lineFor(s)).filter(l => l !== undefined)
        assert.deepStrictEqual(lines, [
          { level: 'warn', text: `Database unavailable: ${starting}. Retrying in 1 s` },
          { level: 'warn', text: `Database unavailable: ${password}. Retrying in 1 s` },
          { level: 'log', text: 'connected (pglite), schema fx up to date' },
          { level: 'warn', text: `Database unavailable: ${starting}. Retrying in 1 s` }
        ])
      } finally {
        await db.close()
      }
    })

  const server = serverOptions()
  ;(server === undefined ? it.skip : it)('names the server it reached', async () => {
    const db = await PgDatabase.open({ ...server!, applicationName: 'fix-streamers-test' })
    try {
      assert.strictEqual(
        connectedLine(db, 'fx', t),
        `connected to PostgreSQL at ${db.server}, schema fx up to date`
      )
    } finally {
      await db.close()
    }
  })

  it('passes one idle-connection error per period on, with how many it held back', () => {
    let clock = 0
    const out: string[] = []
    const warn = throttled(30000, text => out.push(text), () => clock)
    warn('a')
    warn('b')
    warn('c')
    clock = 30000
    warn('d')
    warn('e')
    assert.deepStrictEqual(out, ['a', 'd (+2)'])
  })
})
