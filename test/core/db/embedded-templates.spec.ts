import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { EmbeddedMaintenance } from '../../../core/db/embedded-maintenance'
import { PgliteDatabase } from '../../../core/db/pglite-database'
import type { Queryable } from '../../../core/db/database'
import { tempDirPerTest } from '../../support/temp'
import { eventually, sleep } from '../../support/wait'
import { collectWarnings } from '../../support/warnings'

/** Age of each database's oldest transaction id, by name. */
async function ages (db: Queryable): Promise<Record<string, number>> {
  const r = await db.query<{ name: string, age: number }>(
    'SELECT datname AS name, age(datfrozenxid) AS age FROM pg_database ORDER BY datname')
  return Object.fromEntries(r.rows.map(x => [x.name, Number(x.age)]))
}

/** Uses up `n` transaction ids, each committed, as a busy flow does over weeks. */
async function burn (db: Queryable, n: number): Promise<void> {
  await db.query(`DO $$ BEGIN FOR i IN 1..${n} LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`)
}

describe('embedded database: the template databases are frozen too (PGlite has no autovacuum) [pglite]', function () {
  this.timeout(120000)
  const tempDir = tempDirPerTest('fix-streamers-templates-')
  const FREEZE_AGE = 20000 // autovacuum_freeze_max_age is 200 million: the same rule, at a size a test can reach

  it('a folder whose templates are past the freeze age opens with every database frozen, its data as it was',
    async () => {
      const dir = path.join(tempDir(), 'db')
      const first = await PgliteDatabase.open({ dataDir: dir, maintenance: { freezeMaxAge: FREEZE_AGE } })
      await first.query('CREATE TABLE kept (id int PRIMARY KEY, v text NOT NULL)')
      await first.query("INSERT INTO kept VALUES (1, 'one'), (2, 'two')")
      await burn(first, FREEZE_AGE + 5000)
      await first.query('VACUUM (FREEZE)') // the open database: what the maintenance passes do for it
      const before = await ages(first)
      await first.close()
      assert.ok(before.template0 > FREEZE_AGE && before.template1 > FREEZE_AGE, JSON.stringify(before))
      assert.ok(before.postgres < FREEZE_AGE, JSON.stringify(before))

      const again = await PgliteDatabase.open({ dataDir: dir, maintenance: { freezeMaxAge: FREEZE_AGE } })
      try {
        const after = await ages(again)
        for (const name of ['postgres', 'template0', 'template1']) {
          assert.ok(after[name] < 1000, `${name}: age ${after[name]} (${JSON.stringify(after)})`)
        }
        assert.deepStrictEqual((await again.query('SELECT id, v FROM kept ORDER BY id')).rows,
          [{ id: 1, v: 'one' }, { id: 2, v: 'two' }])
        assert.strictEqual((await again.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d, 'postgres')
      } finally {
        await again.close()
      }
    })

  it('while the folder stays open, a pass says once that its templates wait for the next opening', async () => {
    const db = await PgliteDatabase.open({ dataDir: path.join(tempDir(), 'db'), maintenance: false })
    const warnings = collectWarnings()
    const maintenance = new EmbeddedMaintenance(db, { intervalMs: 20, freezeMaxAge: FREEZE_AGE })
    try {
      await maintenance.start()
      await new Promise(resolve => setTimeout(resolve, 200))
      assert.strictEqual(warnings.seen.length, 0, 'nothing due yet')
      assert.deepStrictEqual((await maintenance.pass()).templatesDue, [])
      await burn(db, FREEZE_AGE + 5000)
      assert.deepStrictEqual((await maintenance.pass()).templatesDue, ['template0', 'template1'])
      await eventually(() => warnings.seen.length > 0, 10000, 'the warning of a timed pass')
      await sleep(300) // many passes, which say nothing more
      assert.deepStrictEqual(warnings.seen.map(w => w.name), ['EmbeddedMaintenanceWarning'])
      assert.match(warnings.seen[0].message,
        /template0 and template1 are past autovacuum_freeze_max_age: frozen the next time/)
    } finally {
      warnings.stop()
      await maintenance.stop()
      await db.close()
    }
  })

  it('a template that cannot be opened is named in a warning, and the folder opens with the others frozen',
    async () => {
      const dir = path.join(tempDir(), 'db')
      const first = await PgliteDatabase.open({ dataDir: dir, maintenance: { freezeMaxAge: FREEZE_AGE } })
      await first.query('CREATE TABLE kept (id int PRIMARY KEY)')
      await first.query('INSERT INTO kept VALUES (7)')
      await burn(first, FREEZE_AGE + 5000)
      const oid = (await first.query<{ oid: number }>(
        "SELECT oid FROM pg_database WHERE datname = 'template0'")).rows[0].oid
      await first.close()
      // A damaged template (a real fault: PostgreSQL refuses a database folder without its PG_VERSION).
      // template0 comes first in the freeze order (ages equal, then by name), so the one after it shows
      // whether the others are still done.
      fs.rmSync(path.join(dir, 'base', String(oid), 'PG_VERSION'))
      const warnings = collectWarnings()
      let again: PgliteDatabase | undefined
      try {
        again = await PgliteDatabase.open({ dataDir: dir, maintenance: { freezeMaxAge: FREEZE_AGE } })
        await new Promise(resolve => setImmediate(resolve)) // process warnings are emitted on the next tick
        const after = await ages(again)
        assert.ok(after.template1 < 1000, `template1 frozen all the same: ${JSON.stringify(after)}`)
        assert.deepStrictEqual((await again.query('SELECT id FROM kept')).rows, [{ id: 7 }])
        assert.deepStrictEqual(warnings.seen.map(w => w.name), ['EmbeddedMaintenanceWarning'])
        assert.match(warnings.seen[0].message, /could not freeze template0 \(.+\); it opens anyway/)
        assert.doesNotMatch(warnings.seen[0].message, /template1/)
      } finally {
        warnings.stop()
        await again?.close()
      }
    })

  it('an in-memory database never says its templates wait for a next opening (it has none)', async () => {
    const warnings = collectWarnings()
    const memory = await PgliteDatabase.open({ maintenance: { intervalMs: 20, freezeMaxAge: FREEZE_AGE } })
    try {
      await burn(memory, FREEZE_AGE + 5000)
      const aged = await ages(memory)
      assert.ok(aged.template0 > FREEZE_AGE, `the templates are past the age: ${JSON.stringify(aged)}`)
      await new Promise(resolve => setTimeout(resolve, 300)) // many passes of its maintenance
      assert.deepStrictEqual(warnings.seen.map(w => w.message), [])
    } finally {
      warnings.stop()
      await memory.close()
    }
  })

  it('a folder opened with the templates option off reads no template age, and says nothing of them', async () => {
    const warnings = collectWarnings()
    const options = { intervalMs: 20, freezeMaxAge: FREEZE_AGE, templates: false }
    const db = await PgliteDatabase.open({ dataDir: path.join(tempDir(), 'db'), maintenance: options })
    try {
      await burn(db, FREEZE_AGE + 5000)
      await new Promise(resolve => setTimeout(resolve, 300)) // many passes of its maintenance
      assert.deepStrictEqual(warnings.seen.map(w => w.message), [])
    } finally {
      warnings.stop()
      await db.close()
    }
  })

  it('an in-memory database and a folder with maintenance off open as before', async () => {
    const memory = await PgliteDatabase.open()
    try {
      assert.strictEqual((await memory.query<{ n: number }>('SELECT 1 AS n')).rows[0].n, 1)
    } finally {
      await memory.close()
    }
    const dir = path.join(tempDir(), 'db')
    const off = await PgliteDatabase.open({ dataDir: dir, maintenance: false })
    await burn(off, 3000)
    await off.close()
    const reopened = await PgliteDatabase.open({ dataDir: dir, maintenance: false })
    try {
      const after = await ages(reopened)
      assert.ok(after.template1 >= 3000, `maintenance off leaves the templates alone: ${JSON.stringify(after)}`)
    } finally {
      await reopened.close()
    }
  })
})
