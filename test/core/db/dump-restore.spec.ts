import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import { PGlite } from '@electric-sql/pglite'
import { restoreDump } from '../../../core/db/dump-restore'
import { loadOldEngine } from '../../../bin/upgrade-embedded'
import { openPg18, pg18EngineFolder } from '../../support/old-engine'
import { tempDirPerSuite } from '../../support/temp'

/** Values that hide a statement's end from a naive split: every one must come back byte for byte. */
const TRICKY = [
  'a; b',
  "it''s; -- not a comment",
  'two\nlines;\n',
  '$$ not a dollar quote; $x$',
  '/* not a comment; */',
  '"quoted; identifier"',
  'émoji 🎉; ünïcode',
  ''
]

const TABLES = `
CREATE TABLE "odd;name$" (id int PRIMARY KEY, v text, j jsonb);
CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  -- a comment; with a semicolon
  NEW.v := NEW.v || ';'; /* nested /* comment; */ still; */
  RETURN NEW;
END $body$;
CREATE FUNCTION a$b() RETURNS text LANGUAGE sql AS $$ SELECT 'x;y' $$;
CREATE TRIGGER bumped BEFORE INSERT ON "odd;name$" FOR EACH ROW EXECUTE FUNCTION bump();`

describe('restoring a pg_dump file in batches of whole statements [pglite]', function () {
  this.timeout(180000)
  const tempDir = tempDirPerSuite('fix-streamers-restore-')
  let dump: string
  let expected: unknown[]

  before(async function () {
    this.timeout(300000)
    const dir = path.join(tempDir(), 'pg18')
    const db = await openPg18(dir)
    try {
      await db.exec(TABLES)
      for (const [i, v] of TRICKY.entries()) {
        await db.query('INSERT INTO "odd;name$" VALUES ($1, $2, $3)', [i, v.replace(/''/g, "'"), JSON.stringify({ v })])
      }
      expected = (await db.query('SELECT * FROM "odd;name$" ORDER BY id')).rows
      dump = path.join(tempDir(), 'dump.sql')
      await loadOldEngine(18, pg18EngineFolder()).dump(db.raw as never, dump)
    } finally {
      await db.close()
    }
  })

  for (const [batch, readBytes] of [[1, 7], [100, 64], [4096, 300], [1 << 22, 1 << 20]]) {
    it(`gives back every row, function and trigger with batches of ${batch} and reads of ${readBytes} bytes`,
      async () => {
        const db = await PGlite.create('memory://')
        let execs = 0
        try {
          const { statements } = await restoreDump({
            exec: async (sql: string) => { execs++; return await db.exec(sql) }
          }, dump, { batch, readBytes })
          await db.exec('RESET ALL')
          assert.deepStrictEqual((await db.query('SELECT * FROM "odd;name$" ORDER BY id')).rows, expected)
          assert.deepStrictEqual((await db.query('SELECT a$b() AS r')).rows, [{ r: 'x;y' }])
          await db.query('INSERT INTO "odd;name$" VALUES (100, $1)', ['t'])
          assert.deepStrictEqual((await db.query('SELECT v FROM "odd;name$" WHERE id = 100')).rows, [{ v: 't;' }])
          assert.ok(statements > TRICKY.length + 4, `${statements} statements`)
          if (batch === 1) assert.ok(execs > TRICKY.length, `one batch per statement or so: ${execs} runs`)
          if (batch === 1 << 22) assert.strictEqual(execs, 1, 'a small dump in one batch')
        } finally {
          await db.close()
        }
      })
  }

  it('a statement that fails rejects with PostgreSQL\'s error, not later in another batch', async () => {
    const broken = path.join(tempDir(), 'broken.sql')
    const rows = Array.from({ length: 50 }, (_, i) => `INSERT INTO t VALUES (${i});\n`).join('')
    fs.writeFileSync(broken, `CREATE TABLE t (a int);\n${rows}INSERT INTO nowhere VALUES (2);\n`)
    const db = await PGlite.create('memory://')
    try {
      await assert.rejects(restoreDump(db, broken, { batch: 1, readBytes: 7 }), /relation "nowhere" does not exist/)
      const done = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0].n
      assert.ok(done > 0 && done < 50, `the batches before it ran, not the one that failed: ${done} rows`)
    } finally {
      await db.close()
    }
  })
})
