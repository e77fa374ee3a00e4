import * as assert from 'assert'
import * as path from 'path'
import { translator } from '../../nodes/shared/i18n'
import catalog = require('../../nodes/streamer-sql/locales/en-US/streamer-sql.json')

// Node-RED's own i18n (i18next as the runtime sets it up) with the pack's streamer-sql catalog.
const runtimeDir = path.dirname(require.resolve(`${process.env.NODE_RED_RUNTIME ?? 'node-red'}/package.json`))
const { i18n } = require(require.resolve('@node-red/util', { paths: [runtimeDir] }))
const NS = 'fix-streamers-i18n-spec'

describe('Node texts looked up through Node-RED\'s i18n', () => {
  let lookups = 0
  const RED = {
    _: (key: string, args?: Record<string, unknown>): string => {
      lookups++
      return i18n._(`${NS}:${key}`, args)
    }
  }

  before(async () => {
    await i18n.init({})
    const locales = path.resolve(__dirname, '../../nodes/streamer-sql/locales')
    await i18n.registerMessageCatalog(NS, locales, 'streamer-sql.json')
  })

  beforeEach(() => { lookups = 0 })

  it('gives each text as Node-RED does, and looks a status text up once however often it is written', () => {
    const t = translator(RED, catalog)
    const direct = (key: string, args?: Record<string, unknown>): string => i18n._(`${NS}:${key}`, args)
    for (let i = 0; i < 100; i++) {
      assert.strictEqual(t('streamer-sql.status.ready'), direct('streamer-sql.status.ready'))
      assert.strictEqual(t('streamer-sql.status.ran', { n: i * 997 }), `${i * 997} statements`)
      assert.strictEqual(t('streamer-sql.status.ran', { n: -1.5 }), direct('streamer-sql.status.ran', { n: -1.5 }))
    }
    // One lookup for the plain text, one for the template with a number (whatever the number).
    assert.strictEqual(lookups, 2)
  })

  it('looks up each time a text with a word in it, or a count that could pick a plural', () => {
    const t = translator(RED, catalog)
    const direct = (key: string, args?: Record<string, unknown>): string => i18n._(`${NS}:${key}`, args)
    for (const error of ['connection refused', '__n__ $t(streamer-sql.status.ready)', '']) {
      assert.strictEqual(t('streamer-sql.errors.failed', { error }), direct('streamer-sql.errors.failed', { error }))
    }
    assert.strictEqual(t('streamer-sql.status.ran', { count: 3 }), direct('streamer-sql.status.ran', { count: 3 }))
    assert.strictEqual(lookups, 4)
  })

  it('falls back on the node\'s own catalog when the runtime has none, numbers written in', () => {
    const bare = { _: (key: string): string => { lookups++; return key } }
    const t = translator(bare, catalog)
    assert.strictEqual(t('streamer-sql.status.ran', { n: 7 }), '7 statements')
    assert.strictEqual(t('streamer-sql.status.ran', { n: 8 }), '8 statements')
    assert.strictEqual(t('streamer-sql.status.connecting'), 'connecting')
    assert.strictEqual(t('streamer-sql.no-such-key'), 'streamer-sql.no-such-key')
    assert.strictEqual(lookups, 3)
  })
})
