import * as assert from 'assert'
import { Client } from 'pg'
import { Streamer } from '../../../core/stream'
import { describeEachDatabase, eventually } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'
import { Collector, missingAndDuplicates } from '../../support/stream'

/**
 * The trap: sequence values are taken at insert but rows become visible at commit, so a
 * naive `seq > last` poll skips rows of transactions that commit late. Four writers (two with
 * short transactions, two holding theirs open) and 5% rollbacks, while subscribers stream.
 */
describeEachDatabase('streamer under concurrent writers', target => {
  const server = target.name === 'postgres'
  // At least 100k rows against the real server; PGlite runs one session, so a smaller run.
  const goal = server ? 100000 : 6000
  const f = schemaFixture(target, {
    prefix: 'cc',
    setup: async (db, schema) => {
      for (const t of ['by_tx', 'by_seq']) {
        await db.query(`CREATE TABLE "${schema}".${t} (seq bigserial PRIMARY KEY, tx xid8 NOT NULL DEFAULT ` +
          'pg_current_xact_id(), wid bigint NOT NULL)')
      }
      await db.query(`CREATE INDEX ON "${schema}".by_tx (tx, seq)`)
    }
  })

  it(`streams ${goal} rows from 4 concurrent writers with 0 missed and 0 ` +
    'duplicated, in both position modes', async function () {
    this.timeout(180000)
    const committed: number[] = []
    const rolledBack: number[] = []
    let nextWid = 1
    let written = 0

    // Every transaction writes the same ids to both tables, so both modes see the same history.
    async function transaction (
      q: (text: string, params?: unknown[]) => Promise<unknown>,
      long: boolean
    ): Promise<void> {
      const rows = long ? 1 + Math.floor(Math.random() * 3) : 20
      const ids = Array.from({ length: rows }, () => nextWid++)
      const rollback = Math.random() < 0.05
      await q('BEGIN')
      for (const t of ['by_tx', 'by_seq']) {
        await q(`INSERT INTO "${f.schema}".${t} (wid) SELECT unnest($1::bigint[])`, [ids])
      }
      if (long) await q(`SELECT pg_sleep(${(Math.random() * 0.15).toFixed(3)})`)
      if (long) {
        for (const t of ['by_tx', 'by_seq']) {
          await q(`INSERT INTO "${f.schema}".${t} (wid) SELECT unnest($1::bigint[])`, [ids.map(i => -i)])
        }
      }
      await q(rollback ? 'ROLLBACK' : 'COMMIT')
      const all = long ? [...ids, ...ids.map(i => -i)] : ids
      if (rollback) rolledBack.push(...all)
      else {
        committed.push(...all)
        written += all.length
      }
    }

    async function writer (long: boolean): Promise<void> {
      if (server) {
        const c = new Client({ ...target.pg, application_name: 'fix-streamers-writer' })
        await c.connect()
        try {
          while (written < goal) await transaction(async (text, params) => await c.query(text, params as any[]), long)
        } finally {
          await c.end()
        }
      } else {
        // One PGlite session: transactions run one at a time, interleaved with the streamers' reads.
        while (written < goal) {
          await f.db.transaction(async tx => {
            await transaction(async (text, params) => {
              if (/^(BEGIN|COMMIT)$/.test(text)) return
              if (text === 'ROLLBACK') throw new Error('rollback')
              if (/pg_sleep/.test(text)) return
              return await tx.query(text, params)
            }, long)
          }).catch(err => { if ((err as Error).message !== 'rollback') throw err })
          await new Promise(resolve => setImmediate(resolve))
        }
      }
    }

    const streamers = ['by_tx', 'by_seq'].map(
      t =>
        new Streamer({
          name: t,
          database: f.db,
          table: `${f.schema}.${t}`,
          positionColumns: t === 'by_tx' ? ['tx', 'seq'] : ['seq'],
          batchSize: 1000,
          pollMs: 20
        })
    )
    const early = streamers.map(s => {
      const c = new Collector()
      s.subscribe({ kind: 'beginning' }, c)
      return c
    })
    const writers = [writer(false), writer(false), writer(true), writer(true)]
    // A subscriber that starts mid-run replays, then crosses the seam while writers are busy.
    await eventually(() => written > goal / 3, 120000, 'a third of the rows written')
    const late = streamers.map(s => {
      const c = new Collector()
      s.subscribe({ kind: 'beginning' }, c)
      return c
    })
    await Promise.all(writers)
    // In PGlite the fake rollback leaves the 'rolledBack' ids out of the table as well.
    const expected = [...committed]
    for (const c of [...early, ...late]) {
      await eventually(() => c.rows.length >= expected.length, 60000, `all ${expected.length} rows`).catch(err => {
        throw new Error(`${(err as Error).message}; ` +
          `got ${[...early, ...late].map(x => `${x.rows.length} (${x.phase ?? ''} ${x.lastError ?? ''})`).join(', ')}`)
      })
    }
    await new Promise(resolve => setTimeout(resolve, 300))
    for (const [i, c] of [...early, ...late].entries()) {
      const seen = c.seqs('wid')
      const { missing, duplicates } = missingAndDuplicates(seen, expected)
      const label = `${['by_tx', 'by_seq'][i % 2]} ${i < 2 ? 'early' : 'late'}`
      assert.strictEqual(missing.length, 0, `${label}: missed ${missing.length} rows`)
      assert.strictEqual(duplicates.length, 0, `${label}: ${duplicates.length} duplicated rows`)
      assert.strictEqual(seen.length, expected.length, `${label}: row count`)
      assert.ok(!seen.some(w => rolledBack.includes(w)), `${label}: a rolled-back row was streamed`)
    }
    assert.ok(expected.length >= goal)
    assert.ok(
      late.every(c => c.rows.some(r => r.replay) && c.rows.some(r => !r.replay)),
      'the late subscribers crossed from replay to live'
    )
    // Strict sequence order in the settled mode.
    const bySeq = early[1].seqs('seq')
    assert.ok(bySeq.every((v, i) => i === 0 || v > bySeq[i - 1]), 'settled mode delivers in sequence order')
    await Promise.all(streamers.map(async s => await s.close()))
  })
})
