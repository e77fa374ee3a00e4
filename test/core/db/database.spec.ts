import * as assert from 'assert'
import { migrate, PgliteDatabase, IdentifierError, SCHEMA_VERSION, SchemaNewerError } from '../../../core'
import { migrations } from '../../../core/db/migrations'
import { describeEachDatabase, dropSchema, eventually, uniqueSchema } from '../../support/databases'
import { schemaFixture } from '../../support/schema-fixture'
import { tempDirPerTest } from '../../support/temp'

describeEachDatabase('database interface', target => {
  const f = schemaFixture(target, {
    setup: async (db, schema) => {
      await db.query(
        `CREATE TABLE "${schema}".t (id bigint PRIMARY KEY, price numeric, at timestamptz, note text, doc jsonb)`
      )
    }
  })

  it('runs queries with bound parameters only', async () => {
    const hostile = "x'); DROP TABLE t; --"
    await f.db.query(`INSERT INTO "${f.schema}".t (id, note) VALUES ($1, $2)`, [1, hostile])
    const r = await f.db.query<{ note: string }>(`SELECT note FROM "${f.schema}".t WHERE id = $1`, [1])
    assert.deepStrictEqual(r.rows, [{ note: hostile }])
    assert.strictEqual(r.rowCount, 1)
  })

  it('keeps bigint, numeric and timestamp precision, the same on both engines', async () => {
    await f.db.query(`INSERT INTO "${f.schema}".t (id, price, at, doc) VALUES ($1, $2, $3, $4)`, [
      '9007199254740993',
      '12345678901234567890.123456789',
      '2024-03-01T12:34:56.123456Z',
      JSON.stringify({ a: [1, 'b'] })
    ])
    const r = await f.db.query(`SELECT id, price, at, doc, $1::int AS small FROM "${f.schema}".t WHERE id = $2`, [
      7,
      '9007199254740993'
    ])
    assert.deepStrictEqual(r.rows[0], {
      id: '9007199254740993',
      price: '12345678901234567890.123456789',
      at: '2024-03-01T12:34:56.123456Z',
      doc: { a: [1, 'b'] },
      small: 7
    })
  })

  it('runs a multi-statement script with exec, all or nothing', async () => {
    await f.db.exec(`CREATE TABLE "${f.schema}".s1 (v int); INSERT INTO "${f.schema}".s1 VALUES (1); INSERT INTO ` +
      `"${f.schema}".s1 VALUES (2);`)
    assert.strictEqual((await f.db.query(`SELECT count(*)::int AS n FROM "${f.schema}".s1`)).rows[0].n, 2)
    await assert.rejects(
      f.db.exec(`INSERT INTO "${f.schema}".s1 VALUES (3); SELECT * FROM "${f.schema}".nothing_here;`),
      /nothing_here/
    )
    assert.strictEqual(
      (await f.db.query(`SELECT count(*)::int AS n FROM "${f.schema}".s1`)).rows[0].n,
      2,
      'the failed script left nothing'
    )
  })

  it('commits a transaction that resolves', async () => {
    const out = await f.db.transaction(async tx => {
      await tx.query(`INSERT INTO "${f.schema}".t (id) VALUES ($1)`, [10])
      return 'done'
    })
    assert.strictEqual(out, 'done')
    assert.strictEqual((await f.db.query(`SELECT 1 FROM "${f.schema}".t WHERE id = 10`)).rowCount, 1)
  })

  it('rolls back a transaction that throws, and rethrows', async () => {
    await assert.rejects(f.db.transaction(async tx => {
      await tx.query(`INSERT INTO "${f.schema}".t (id) VALUES ($1)`, [11])
      throw new Error('boom')
    }), /boom/)
    assert.strictEqual((await f.db.query(`SELECT 1 FROM "${f.schema}".t WHERE id = 11`)).rowCount, 0)
  })

  it('rolls back when a statement fails inside the transaction', async () => {
    await assert.rejects(f.db.transaction(async tx => {
      await tx.query(`INSERT INTO "${f.schema}".t (id) VALUES ($1)`, [12])
      await tx.query(`INSERT INTO "${f.schema}".t (id) VALUES ($1)`, [12]) // duplicate key
    }), /duplicate key/)
    assert.strictEqual((await f.db.query(`SELECT 1 FROM "${f.schema}".t WHERE id = 12`)).rowCount, 0)
    // The database is still usable afterwards.
    assert.strictEqual((await f.db.query('SELECT 1 AS one')).rows[0].one, 1)
  })

  it('delivers NOTIFY to a listener, only after commit, and stops after unlisten', async () => {
    const got: string[] = []
    const channel = `ch_${Math.floor(Math.random() * 1e9)}`
    const unlisten = await f.db.listen(channel, { onNotify: p => got.push(p) })
    await f.db.transaction(async tx => {
      await tx.query('SELECT pg_notify($1, $2)', [channel, 'in-tx'])
      await tx.query('SELECT 1')
    })
    await assert.rejects(f.db.transaction(async tx => {
      await tx.query('SELECT pg_notify($1, $2)', [channel, 'rolled-back'])
      throw new Error('rollback')
    }))
    await f.db.query('SELECT pg_notify($1, $2)', [channel, 'plain'])
    await eventually(() => got.length >= 2, 5000, 'notifications')
    assert.deepStrictEqual(got, ['in-tx', 'plain'])
    await unlisten()
    await f.db.query('SELECT pg_notify($1, $2)', [channel, 'after'])
    await new Promise(resolve => setTimeout(resolve, 200))
    assert.deepStrictEqual(got, ['in-tx', 'plain'])
  })

  it('refuses a LISTEN channel that is not a plain lower-case identifier', async () => {
    await assert.rejects(f.db.listen('x; drop table y', { onNotify: () => {} }), IdentifierError)
  })

  it('runs the migrations once: a second run is a no-op', async () => {
    const s = uniqueSchema('m')
    try {
      const first = await migrate(f.db, s)
      assert.deepStrictEqual(first.applied, migrations.map(m => m.version))
      await f.db.query(`INSERT INTO "${s}".checkpoints (client_name, stream_name, position) VALUES ($1, $2, $3)`, [
        'c1',
        's1',
        JSON.stringify(['1', '2'])
      ])
      const second = await migrate(f.db, s)
      assert.deepStrictEqual(second.applied, [])
      assert.strictEqual(second.version, first.version)
      const rows = await f.db.query(`SELECT client_name, position FROM "${s}".checkpoints`)
      assert.deepStrictEqual(rows.rows, [{ client_name: 'c1', position: ['1', '2'] }], 'data kept')
      const versions = await f.db.query(`SELECT version FROM "${s}".schema_migrations ORDER BY version`)
      assert.deepStrictEqual(versions.rows.map(r => r.version), migrations.map(m => m.version))
    } finally {
      await dropSchema(f.db, s)
    }
  })

  it('applies only the migrations that are new, in version order', async () => {
    const s = uniqueSchema('m')
    try {
      await migrate(f.db, s)
      const extra = [{ version: 9001, name: 'extra', up: (q: string) => [`CREATE TABLE ${q}.extra (x int)`] }]
      const r = await migrate(f.db, s, [...migrations, ...extra])
      assert.deepStrictEqual(r.applied, [9001])
      assert.strictEqual(r.version, 9001)
    } finally {
      await dropSchema(f.db, s)
    }
  })

  it('refuses a schema a newer version of the pack migrated past what it can read, before applying anything',
    async () => {
      const s = uniqueSchema('m')
      try {
        // The schema as the newer version leaves it: one migration more, which earlier versions cannot work with.
        const older = migrations.filter(m => m.version < 62)
        const newer = { version: 9003, name: 'n', breaksOlder: true, up: (q: string) => [`CREATE TABLE ${q}.n ()`] }
        await migrate(f.db, s, older)
        await migrate(f.db, s, [...older, newer])
        await assert.rejects(migrate(f.db, s), (err: Error) => err instanceof SchemaNewerError &&
          err.found === 9003 && err.known === SCHEMA_VERSION && err.needsOperator &&
          err.message.startsWith(`schema needs a newer pack (schema "${s}" holds migration 9003`))
        const versions = await f.db.query(`SELECT max(version) AS v, count(*)::int AS n FROM "${s}".schema_migrations`)
        assert.deepStrictEqual(versions.rows[0], { v: 9003, n: older.length + 1 },
          'the migrations this version has and the schema lacks were not applied')
      } finally {
        await dropSchema(f.db, s)
      }
    })

  it('runs on a schema a newer version migrated only additively (a rollback), applying what it lacks', async () => {
    const s = uniqueSchema('m')
    try {
      const older = migrations.filter(m => m.version < 62)
      const newer = { version: 9004, name: 'n', up: (q: string) => [`CREATE TABLE ${q}.n (x int)`] }
      await migrate(f.db, s, older)
      await migrate(f.db, s, [...older, newer])
      const r = await migrate(f.db, s)
      assert.deepStrictEqual(r.applied, migrations.filter(m => m.version >= 62).map(m => m.version))
      assert.strictEqual(r.version, 9004)
    } finally {
      await dropSchema(f.db, s)
    }
  })

  it('records which migrations earlier versions cannot work with, also in a table made before the mark', async () => {
    const s = uniqueSchema('m')
    try {
      await migrate(f.db, s)
      const marked = async (): Promise<number[]> => (await f.db.query<{ version: number }>(
        `SELECT version FROM "${s}".schema_migrations WHERE breaks_older ORDER BY version`)).rows.map(r => r.version)
      assert.deepStrictEqual(await marked(), [33, 72])
      await f.db.query(`ALTER TABLE "${s}".schema_migrations DROP COLUMN breaks_older`)
      assert.deepStrictEqual((await migrate(f.db, s)).applied, [])
      assert.deepStrictEqual(await marked(), [33, 72])
    } finally {
      await dropSchema(f.db, s)
    }
  })

  it('rolls back a failing migration as a whole', async () => {
    const s = uniqueSchema('m')
    try {
      await migrate(f.db, s)
      const bad = [
        {
          version: 9002,
          name: 'bad',
          up: (q: string) => [`CREATE TABLE ${q}.half (x int)`, 'SELECT * FROM no_such_table_here']
        }
      ]
      await assert.rejects(migrate(f.db, s, [...migrations, ...bad]), /no_such_table_here/)
      const half = await f.db.query(
        'SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2',
        [s, 'half']
      )
      assert.strictEqual(half.rowCount, 0)
    } finally {
      await dropSchema(f.db, s)
    }
  })

  it('refuses a hostile schema name before any SQL runs', async () => {
    await assert.rejects(
      migrate(f.db, 'x"; drop table y; --'),
      (err: Error) => err instanceof IdentifierError && /schema/.test(err.message)
    )
  })
})

describe('PGlite specifics', () => {
  const tempDir = tempDirPerTest()

  it('keeps data in its folder across a close and reopen', async () => {
    const dir = tempDir()
    const a = await PgliteDatabase.open({ dataDir: dir })
    await a.query('CREATE TABLE kept (v text)')
    await a.query('INSERT INTO kept VALUES ($1)', ['survives'])
    await a.close()
    assert.ok(a.closed)
    const b = await PgliteDatabase.open({ dataDir: dir })
    assert.deepStrictEqual((await b.query('SELECT v FROM kept')).rows, [{ v: 'survives' }])
    await b.close()
  })

  it('serialises transactions: a query waits until a running transaction ends', async () => {
    const db = await PgliteDatabase.open()
    await db.query('CREATE TABLE s (v int)')
    const order: string[] = []
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const tx = db.transaction(async t => {
      await t.query('INSERT INTO s VALUES (1)')
      order.push('tx wrote')
      await gate
      order.push('tx commits')
    })
    await new Promise(resolve => setTimeout(resolve, 50))
    const outside = db.query<{ n: number }>('SELECT count(*)::int AS n FROM s').then(r => {
      order.push(`outside saw ${r.rows[0].n}`)
    })
    await new Promise(resolve => setTimeout(resolve, 100))
    release()
    await Promise.all([tx, outside])
    assert.deepStrictEqual(order, ['tx wrote', 'tx commits', 'outside saw 1'])
    await db.close()
  })

  it('refuses queries after close with a clear error', async () => {
    const db = await PgliteDatabase.open()
    await db.close()
    await assert.rejects(db.query('SELECT 1'), /closed/)
  })
})
