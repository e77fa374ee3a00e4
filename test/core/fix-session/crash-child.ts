/**
 * The initiator side of the kill -9 test, run as a child process. It plays a streamer client:
 * orders 1..N, each sent with its stream position, then a checkpoint row written. With
 * HOLD_AFTER=k it stops after sending order k and before its checkpoint, and waits to be killed.
 * Protocol on stdout: "LOGON", "SENT <order> <status> <seq>", "HOLDING", "DONE <nextSender> <nextTarget>".
 */
import { Database, migrate, PgDatabase, PgliteDatabase } from '../../../core'
import { FixCodec, FrameSplitter } from '../../../core/fix/codec'
import { SessionRuntime } from '../../../core/fix-session'
import { nos } from './support'

async function main (): Promise<void> {
  const cfg = JSON.parse(process.argv[2]) as {
    dataDir?: string
    url?: string
    schema: string
    port: number
    tag: string
    orders: number
    holdAfter?: number
  }
  const db: Database =
    cfg.url !== undefined
      ? await PgDatabase.open({ connectionString: cfg.url, max: 3 })
      : await PgliteDatabase.open({ dataDir: cfg.dataDir })
  await migrate(db, cfg.schema)
  await db.query(
    `CREATE TABLE IF NOT EXISTS "${cfg.schema}".crash_checkpoint (client text PRIMARY KEY, position bigint NOT NULL)`
  )
  const codec = await FixCodec.create('FIX.4.4')
  const rt = new SessionRuntime({
    settings: {
      role: 'initiator',
      beginString: 'FIX.4.4',
      senderCompID: `CLI${cfg.tag}`,
      targetCompID: `BRK${cfg.tag}`,
      heartBtInt: 30
    },
    host: '127.0.0.1',
    port: cfg.port,
    backoffInitialMs: 100,
    backoffMaxMs: 500,
    db,
    schema: cfg.schema,
    codec,
    makeFrameReader: onGarbled => new FrameSplitter({ onGarbled })
  })
  let loggedOn: () => void = () => {}
  const logon = new Promise<void>(resolve => { loggedOn = resolve })
  rt.on('event', e => { if (e.type === 'logon') loggedOn() })
  await rt.start()
  await logon
  console.log('LOGON')
  const r = await db.query<{ position: string }>(
    `SELECT position FROM "${cfg.schema}".crash_checkpoint WHERE client = 'crash'`
  )
  const from = r.rows.length > 0 ? Number(r.rows[0].position) + 1 : 1
  for (let i = from; i <= cfg.orders; i++) {
    const res = await rt.send({
      msgType: 'D',
      body: nos(`K${i}`),
      origin: { client: 'crash', position: JSON.stringify([String(i)]) }
    })
    console.log(`SENT ${i} ${res.status} ${res.seq}`)
    if (cfg.holdAfter === i) {
      console.log('HOLDING')
      await new Promise(resolve => setTimeout(resolve, 60000))
    }
    await db.query(`INSERT INTO "${cfg.schema}".crash_checkpoint (client, position) VALUES ('crash', $1)
      ON CONFLICT (client) DO UPDATE SET position = EXCLUDED.position`, [i])
  }
  await rt.stop()
  const s = rt.session.state
  console.log(`DONE ${s.nextSenderSeq} ${s.nextTargetSeq}`)
  await db.close()
}

main().catch(err => {
  console.log(`ERROR ${(err as Error).stack ?? String(err)}`)
  process.exit(1)
})
