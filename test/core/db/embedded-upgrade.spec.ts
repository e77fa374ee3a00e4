import * as assert from 'assert'
import * as crypto from 'crypto'
import * as fs from 'fs'
import * as path from 'path'
import { spawn } from 'child_process'
import { PGlite } from '@electric-sql/pglite'
import { migrate } from '../../../core/db/migrate'
import { DatabaseConnection, ConnectionState } from '../../../core/db/connection'
import { PgliteDatabase } from '../../../core/db/pglite-database'
import { ENGINE_MAJOR, EmbeddedVersionError, UPGRADE_COMMAND, upgradePaths } from '../../../core/db/embedded-version'
import { ensureAuditTable } from '../../../core/stream/audit-table'
import { AUDIT_POSITION_COLUMNS } from '../../../core/stream/audit-columns'
import { Streamer } from '../../../core/stream/streamer'
import { Position } from '../../../core/stream/types'
import { EmbeddedUpgradeError, upgradeEmbedded } from '../../../core/db/embedded-upgrade'
import { loadOldEngine, main } from '../../../bin/upgrade-embedded'
import { openPg18, pg18EngineFolder } from '../../support/old-engine'
import { Collector } from '../../support/stream'
import { tempDirPerTest } from '../../support/temp'
import { eventually } from '../../support/wait'

const CLI = path.resolve(__dirname, '../../../bin/upgrade-embedded.js')

/** Every file of a folder with its SHA-256: equal before and after means nothing was written. */
function fingerprint (dir: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    out.set(path.relative(dir, file), crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'))
  }
  return out
}

/**
 * A PostgreSQL 18 folder as an older pack left it: the pack's tables, an `orders` table audited
 * for a stream, and transaction ids far past a new cluster's (`burn` of them used up before the
 * orders), so that positions carried over wrongly would show. Returns the position of order 2.
 */
async function pg18Folder (dir: string, burn: number): Promise<Position> {
  const db = await openPg18(dir)
  try {
    await migrate(db, 'fix_streamers')
    await db.query('CREATE TABLE orders (id int PRIMARY KEY, qty int NOT NULL)')
    await ensureAuditTable(db, { source: 'orders' })
    await db.raw.exec(`DO $$ BEGIN FOR i IN 1..${burn} LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$`)
    for (const id of [1, 2, 3]) await db.query('INSERT INTO orders VALUES ($1, $2)', [id, id * 10])
    const second = (await db.query<{ tx: string, seq: string }>(
      'SELECT audit_tx::text AS tx, audit_seq::text AS seq FROM orders_audit WHERE id = 2')).rows[0]
    await db.query(`INSERT INTO fix_streamers.checkpoints (client_name, stream_name, position)
      VALUES ('orders-to-fix', 'orders', $1)`, [JSON.stringify([second.tx, second.seq])])
    return [second.tx, second.seq]
  } finally {
    await db.close()
  }
}

/** Runs the command as an operator would, in a process of its own; resolves with its exit code and output. */
async function runCli (args: string[], onLine?: (line: string, kill: () => void) => void): Promise<{
  code: number | null, signal: string | null, out: string
}> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const take = (chunk: Buffer): void => {
    out += chunk.toString()
    for (const line of chunk.toString().split('\n')) onLine?.(line, () => child.kill('SIGKILL'))
  }
  child.stdout.on('data', take)
  child.stderr.on('data', take)
  return await new Promise(resolve => child.on('close', (code, signal) => resolve({ code, signal, out })))
}

describe('embedded database: a folder of an older PostgreSQL major is refused, then upgraded [pglite]', function () {
  this.timeout(180000)
  const tempDir = tempDirPerTest('fix-streamers-upgrade-')
  let engine: string

  before(function () {
    this.timeout(300000) // the first run installs PostgreSQL 18's engine from npm into .cache/
    engine = pg18EngineFolder()
  })

  it('ENGINE_MAJOR is the major version of the PGlite the pack depends on', async () => {
    const db = await PGlite.create('memory://')
    try {
      const v = (await db.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version_num'])).rows[0].v
      assert.strictEqual(Math.floor(Number(v) / 10000), ENGINE_MAJOR)
    } finally {
      await db.close()
    }
  })

  it('opening a PostgreSQL 18 folder rejects with EmbeddedVersionError naming the command, and writes nothing',
    async () => {
      const dir = path.join(tempDir(), 'db')
      await pg18Folder(dir, 10)
      const before = fingerprint(dir)
      const err = await PgliteDatabase.open({ dataDir: dir }).then(() => undefined, (e: Error) => e)
      assert.ok(err instanceof EmbeddedVersionError, String(err))
      assert.strictEqual(err.foundMajor, 18)
      assert.ok(err.message.includes(`npx ${UPGRADE_COMMAND} ${dir}`), err.message)
      assert.match(err.message, /^PostgreSQL 18 folder needs upgrading \(/)
      assert.deepStrictEqual(fingerprint(dir), before, 'no file of the folder changed')
    })

  it('the connection waits, flagged for an operator, and opens by itself once the command has upgraded the folder;' +
    ' the rows, the checkpoint and the stream positions carry over', async () => {
    const dir = path.join(tempDir(), 'db')
    const second = await pg18Folder(dir, 200000)
    const connection = new DatabaseConnection({ kind: 'pglite', dataDir: dir }, 'fix_streamers')
    const states: ConnectionState[] = []
    connection.on('state', (s: ConnectionState) => states.push(s))
    const ready = connection.ready()
    try {
      const waiting = await eventually(() => states.find(s => s.state === 'retrying'), 20000, 'a retrying state')
      assert.ok(waiting?.state === 'retrying' && waiting.needsOperator === true, JSON.stringify(waiting))
      assert.ok(waiting.error.includes(UPGRADE_COMMAND), waiting.error)

      const lines: string[] = []
      assert.strictEqual(await main([dir, '--engine', engine], line => lines.push(line)), 0, lines.join('\n'))
      assert.match(lines.join('\n'), /done: \d+ tables and \d+ rows, every table/)
      const { backup, dump } = upgradePaths(dir, 18)
      assert.strictEqual(fs.readFileSync(path.join(backup, 'PG_VERSION'), 'utf8').trim(), '18', 'old folder kept')
      assert.ok(fs.statSync(dump).size > 0, 'the dump is kept')

      const db = await ready // the connection's own retry opens it: no restart
      assert.deepStrictEqual((await db.query('SELECT id, qty FROM orders ORDER BY id')).rows,
        [{ id: 1, qty: 10 }, { id: 2, qty: 20 }, { id: 3, qty: 30 }])
      assert.deepStrictEqual((await db.query('SELECT position FROM fix_streamers.checkpoints')).rows,
        [{ position: second }])
      await db.query('INSERT INTO orders VALUES (4, 40)') // the audit trigger came over too
      // A stream resumed from order 2's checkpoint gets order 3 (restored) and order 4 (new), in order.
      const s = new Streamer({
        name: 'orders',
        database: db,
        table: 'orders_audit',
        positionColumns: [...AUDIT_POSITION_COLUMNS],
        pollMs: 50
      })
      const c = new Collector()
      s.subscribe({ kind: 'after', position: second }, c)
      try {
        await eventually(() => c.rows.length >= 2, 10000, 'orders 3 and 4 streamed')
        await new Promise(resolve => setTimeout(resolve, 200))
        assert.deepStrictEqual(c.rows.map(r => r.row.id), [3, 4])
      } finally {
        await s.close()
      }
    } finally {
      await connection.close()
    }
  })

  it('a kill of the command mid-upgrade leaves the PostgreSQL 18 folder whole and in place; the next run upgrades it',
    async () => {
      const dir = path.join(tempDir(), 'db')
      await pg18Folder(dir, 500000)
      const killed = await runCli([dir, '--engine', engine], (line, kill) => {
        if (/moving the transaction ids/.test(line)) kill() // restored and counted, not yet renamed
      })
      assert.strictEqual(killed.signal, 'SIGKILL', killed.out)
      const { staging, backup } = upgradePaths(dir, 18)
      assert.ok(fs.existsSync(staging), 'killed while the new database was being made')
      assert.ok(!fs.existsSync(backup), 'not renamed')
      await assert.rejects(PgliteDatabase.open({ dataDir: dir }), EmbeddedVersionError)
      const old = await openPg18(dir) // still PostgreSQL 18's, whole
      try {
        assert.deepStrictEqual((await old.query('SELECT count(*)::int AS n FROM orders_audit')).rows, [{ n: 3 }])
      } finally {
        await old.close()
      }

      const again = await runCli([dir, '--engine', engine])
      assert.strictEqual(again.code, 0, again.out)
      const db = await PgliteDatabase.open({ dataDir: dir, maintenance: false })
      try {
        assert.deepStrictEqual((await db.query('SELECT count(*)::int AS n FROM orders_audit')).rows, [{ n: 3 }])
        const next = (await db.query<{ ok: boolean }>(`SELECT pg_current_xact_id() >
          (SELECT max(audit_tx) FROM orders_audit) AS ok`)).rows[0]
        assert.strictEqual(next.ok, true, 'new transactions are numbered after the restored ones')
      } finally {
        await db.close()
      }
    })

  it('an upgrade stopped between its two renames: the pack creates no empty database in its place,' +
    ' and the next run finishes it', async () => {
    const dir = path.join(tempDir(), 'db')
    await pg18Folder(dir, 10)
    assert.strictEqual(await main([dir, '--engine', engine], () => {}), 0)
    const { staging } = upgradePaths(dir, 18)
    fs.renameSync(dir, staging) // the state after the first rename: backup and staging, no data folder

    const err = await PgliteDatabase.open({ dataDir: dir }).then(() => undefined, (e: Error) => e)
    assert.ok(err instanceof EmbeddedVersionError, String(err))
    assert.match(err.message, /^upgrade of the folder interrupted \(/)
    assert.ok(!fs.existsSync(dir), 'no new database was created')

    const lines: string[] = []
    assert.strictEqual(await main([dir], line => lines.push(line)), 0, lines.join('\n')) // no engine needed
    assert.match(lines.join('\n'), /the upgrade is finished/)
    const db = await PgliteDatabase.open({ dataDir: dir, maintenance: false })
    try {
      assert.deepStrictEqual((await db.query('SELECT count(*)::int AS n FROM orders')).rows, [{ n: 3 }])
    } finally {
      await db.close()
    }
  })

  it('a folder of a newer major (the pack downgraded) is refused as "pack too old", never sent to the upgrade' +
    ' command, and the command refuses it too, changing nothing', async () => {
    const dir = path.join(tempDir(), 'db')
    const made = await PgliteDatabase.open({ dataDir: dir })
    await migrate(made, 'fix_streamers')
    await made.close()
    const newer = ENGINE_MAJOR + 1 // what a newer pack's engine writes; this engine never reads past PG_VERSION
    fs.writeFileSync(path.join(dir, 'PG_VERSION'), `${newer}\n`)
    const before = fingerprint(dir)

    const err = await PgliteDatabase.open({ dataDir: dir }).then(() => undefined, (e: Error) => e)
    assert.ok(err instanceof EmbeddedVersionError, String(err))
    assert.match(err.message, new RegExp(`^PostgreSQL ${newer} folder: pack too old \\(`))
    assert.ok(err.message.includes('install the newer version of the pack'), err.message)
    assert.ok(!err.message.includes(UPGRADE_COMMAND), 'the upgrade command cannot help: not named')

    const lines: string[] = []
    assert.strictEqual(await main([dir], line => lines.push(line)), 1, lines.join('\n'))
    assert.match(lines.join('\n'), new RegExp(`PostgreSQL ${newer} folder: pack too old`))
    assert.ok(!lines.some(l => l.startsWith('installing')), `no engine installed: ${lines.join('\n')}`)
    assert.deepStrictEqual(fingerprint(dir), before, 'no file of the folder changed')
  })

  it('a folder whose transaction ids are past what the upgrade can carry over is refused before its dump, ' +
    'with no dump, staging or backup folder written', async () => {
    const dir = path.join(tempDir(), 'db')
    await pg18Folder(dir, 3000)
    const old = loadOldEngine(18, engine)
    const lines: string[] = []
    // The limit is a billion ids; the test lowers it rather than use up a billion.
    const refusal = new RegExp('the old database has used \\d{4} transaction ids, more than this upgrade can ' +
      'carry its stream positions over \\(2000\\); the folder is unchanged$')
    await assert.rejects(upgradeEmbedded(dir, old, line => lines.push(line), { maxTransactionIdAdvance: 2000n }),
      (err: Error) => err instanceof EmbeddedUpgradeError && refusal.test(err.message))
    assert.deepStrictEqual(lines, [`reading ${dir} with PostgreSQL 18`], 'stopped before the dump')
    // PostgreSQL 18 has read it (hint bits, a shutdown checkpoint), and it is still a PostgreSQL 18 folder.
    assert.strictEqual(fs.readFileSync(path.join(dir, 'PG_VERSION'), 'utf8').trim(), '18')
    const { staging, backup, dump } = upgradePaths(dir, 18)
    for (const left of [staging, backup, dump, `${dump}.partial`]) assert.ok(!fs.existsSync(left), `${left} exists`)

    const report = await upgradeEmbedded(dir, old, () => {}, { maxTransactionIdAdvance: 10000n })
    assert.strictEqual(report.outcome, 'upgraded', 'under the limit the same folder upgrades')
  })

  it('the command refuses, changing nothing, when the backup folder is taken or the folder is no database',
    async () => {
      const root = tempDir()
      const dir = path.join(root, 'db')
      await pg18Folder(dir, 10)
      fs.mkdirSync(upgradePaths(dir, 18).backup)
      const before = fingerprint(dir)
      const taken = await runCli([dir, '--engine', engine])
      assert.strictEqual(taken.code, 1, taken.out)
      assert.match(taken.out, /\.pg18 exists already: move it away first/)
      assert.deepStrictEqual(fingerprint(dir), before)

      const empty = path.join(root, 'empty')
      fs.mkdirSync(empty)
      const none = await runCli([empty])
      assert.strictEqual(none.code, 1, none.out)
      assert.match(none.out, /is not an embedded database folder/)
      assert.strictEqual((await runCli([])).code, 2, 'no folder: the usage')
    })
})
