import * as assert from 'assert'
import { lookupSource } from '../../../core/stream/catalog'
import type { Horizon } from '../../../core/stream/horizon'
import { SettledHorizon } from '../../../core/stream/horizon-settled'
import { Xid8Horizon } from '../../../core/stream/horizon-xid8'
import { buildPlan, SourcePlan } from '../../../core/stream/source'
import { describeEachDatabase } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'

describeEachDatabase('stream horizon statements', target => {
  const f = schemaFixture(target, {
    prefix: 'hz',
    setup: async (db, schema) => {
      await db.query(`CREATE TABLE "${schema}".src (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT ` +
        'pg_current_xact_id(), note text)')
      await db.query(`INSERT INTO "${schema}".src (note) VALUES ('a'), ('b')`)
      await db.query(`CREATE TABLE "${schema}".victim (id int)`)
    }
  })

  /**
   * A plan built around a filter that checkFilter would refuse: it ends the statement and drops
   * a table. Built by hand, past the checks, to prove the last line of defence on its own.
   */
  async function hostilePlan (positionColumns: string[]): Promise<SourcePlan> {
    const relation = { schema: f.schema, name: 'src' }
    return buildPlan({
      relation,
      positionColumns,
      timeColumn: undefined,
      projection: [],
      filter: `true); DROP TABLE "${f.schema}".victim; SELECT (true`
    }, await lookupSource(f.db, relation))
  }

  const victimExists = async (): Promise<boolean> =>
    (await f.db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`"${f.schema}".victim`]))
      .rows[0].t !== null

  /** Runs every read of the horizon, from the start and after a position, each on its own. */
  async function runEveryRead (h: Horizon, after: string[]): Promise<string[]> {
    const stop = new AbortController().signal
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['read first', async () => await h.read(f.db, undefined, 10)],
      ['read after', async () => await h.read(f.db, after, 10)],
      ['count all', async () => await h.count(f.db, undefined)],
      ['count after', async () => await h.count(f.db, after)],
      ['count all limited', async () => await h.count(f.db, undefined, 5)],
      ['count after limited', async () => await h.count(f.db, after, 5)],
      ['replay count all', async () => await h.countForReplay(f.db, undefined, stop)],
      ['replay count after', async () => await h.countForReplay(f.db, after, stop)],
      ['head', async () => await h.head(f.db, stop)],
      ['held back first', async () => await h.heldBack(f.db, undefined)],
      ['held back after', async () => await h.heldBack(f.db, after)]
    ]
    const ran: string[] = []
    for (const [name, call] of calls) {
      await call().catch(() => {})
      if (!(await victimExists())) ran.push(name)
      if (ran.length > 0) await f.db.query(`CREATE TABLE IF NOT EXISTS "${f.schema}".victim (id int)`)
    }
    return ran
  }

  it('no statement of the xid8 horizon runs a second statement hidden in the filter', async () => {
    const ran = await runEveryRead(new Xid8Horizon(await hostilePlan(['tx', 'seq'])), ['1', '1'])
    assert.deepStrictEqual(ran, [], `these reads ran the stacked DROP TABLE: ${ran.join(', ')}`)
  })

  it('no statement of the settled horizon runs a second statement hidden in the filter', async () => {
    const ran = await runEveryRead(new SettledHorizon(await hostilePlan(['seq']), 10), ['1'])
    assert.deepStrictEqual(ran, [], `these reads ran the stacked DROP TABLE: ${ran.join(', ')}`)
  })

  it('counts every readable row when no limit is given, and stops at the limit when one is', async () => {
    const relation = { schema: f.schema, name: 'src' }
    const plan = buildPlan({
      relation,
      positionColumns: ['tx', 'seq'],
      timeColumn: undefined,
      projection: [],
      filter: "note <> 'b'"
    }, await lookupSource(f.db, relation))
    await f.db.query(`INSERT INTO "${f.schema}".src (note) SELECT 'c' FROM generate_series(1, 20)`)
    const h: Horizon = new Xid8Horizon(plan)
    assert.strictEqual(await h.count(f.db, undefined), 21)
    assert.strictEqual(await h.countForReplay(f.db, undefined, new AbortController().signal), 21)
    assert.strictEqual(await h.count(f.db, undefined, 4), 4)
    const first = (await h.read(f.db, undefined, 1)).rows[0]
    assert.strictEqual(await h.count(f.db, [String(first.tx), String(first.seq)]), 20)
  })
})
