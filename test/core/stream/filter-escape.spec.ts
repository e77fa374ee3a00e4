import * as assert from 'assert'
import { Streamer, StreamerOptions } from '../../../core/stream'
import { checkFilter } from '../../../core/stream/filter'
import { describeEachDatabase, eventually } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'
import { Collector } from '../../support/stream'

describe('streamer filter syntax', () => {
  it('accepts one expression, with strings, escape strings and quoted names holding ; ) -- and quotes', () => {
    for (const f of [
      "note = 'a;b' OR note = ')' OR note = '--x' OR note = '/*'",
      "(note = 'it''s' AND seq > 1) OR \"note\" = 'x'",
      "note = E'it\\'s' OR note = e'\\\\' OR note = E'a''b'",
      "upper(note) IN ('A', 'B')",
      '"odd;name"  IS NULL'
    ]) assert.strictEqual(checkFilter(` ${f} `), f)
    assert.strictEqual(checkFilter('  '), undefined)
  })

  it('refuses what could end the expression, the statement or the rest of the query', () => {
    const cases: Array<[string, RegExp]> = [
      ["note <> E'\\'') IS NULL; DROP TABLE victim; SELECT (E'\\'' <> ''", /closes a parenthesis/],
      ["note = E'\\''; DROP TABLE victim", /no ";"/],
      ["note <> 'x') OR (true", /closes a parenthesis/],
      ['true) OR (true', /closes a parenthesis/],
      ['(true', /not closed/],
      ["note = 'open", /string is not closed/],
      ['"open = 1', /identifier is not closed/],
      ["note = 'a\\' OR true --'", /backslash before a quote/],
      ['seq > $1', /no "\$"/],
      ['note = $$x$$', /no "\$"/],
      ['true /* x */', /no comments/],
      ['true -- x', /no comments/]
    ]
    for (const [f, why] of cases) assert.throws(() => checkFilter(f), why, f)
  })
})

describeEachDatabase('streamer filter cannot leave its parentheses', target => {
  const f = schemaFixture(target, {
    prefix: 'flt',
    setup: async (db, schema) => {
      await db.query(`CREATE TABLE "${schema}".cfg (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT ` +
        'pg_current_xact_id(), note text)')
      await db.query(`INSERT INTO "${schema}".cfg (note) VALUES ('a'), ('it''s'), ('c')`)
      await db.query(`CREATE TABLE "${schema}".victim (id int)`)
    }
  })

  function start (filter: string, opts: Partial<StreamerOptions> = {}): Collector {
    const c = new Collector()
    const s = new Streamer({
      name: 'f',
      database: f.db,
      table: `${f.schema}.cfg`,
      positionColumns: ['tx', 'seq'],
      retryInitialMs: 20,
      filter,
      ...opts
    })
    f.closing.push(s)
    s.subscribe({ kind: 'beginning' }, c)
    return c
  }
  const victimExists = async (): Promise<boolean> =>
    (await f.db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`"${f.schema}".victim`]))
      .rows[0].t !== null

  it('refuses a filter that hides a second statement behind an E\'\\\'\' string, and runs nothing of it', async () => {
    const q = `"${f.schema}"`
    const c = start(
      `note <> E'\\'') IS NULL; DROP TABLE ${q}.victim; SELECT 1 FROM ${q}.cfg AS src WHERE (E'\\'' <> ''`
    )
    await eventually(() => c.phase === 'failed' || c.phase === 'retrying', 10000, 'the streamer to refuse the filter')
    assert.strictEqual(await victimExists(), true, 'the table the filter tried to drop is still there')
    assert.match(c.lastError as string, /one SQL expression/)
  })

  it('refuses a filter that closes the parentheses around it to read past the position bounds', async () => {
    const c = start("note = 'none') OR (true")
    await eventually(() => c.phase === 'failed', 10000, 'the streamer to refuse the filter')
    assert.match(c.lastError as string, /one SQL expression: a "\)" closes a parenthesis/)
    assert.strictEqual(c.rows.length, 0)
  })

  it('streams with a filter whose strings hold quotes, parentheses and semicolons', async () => {
    const c = start("note = E'it\\'s' OR note = ')' OR note = 'a;' OR note = 'a'")
    await eventually(() => c.rows.length === 2, 10000, 'the two matching rows')
    assert.deepStrictEqual(c.rows.map(r => r.row.note), ['a', "it's"])
  })
})
