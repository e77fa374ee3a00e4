/**
 * A streamer client in its own process, for the kill -9 test: follows `<schema>.src` on the
 * PostgreSQL server in DATABASE_URL through the real streamer, as client "k9"; prints
 * "sent <id>" and "confirmed <id>", and confirms each row a little later (a target that takes
 * time). The checkpoint flush window is the default one (FLUSH_WINDOW).
 */
import { CheckpointStore, PgDatabase, StreamerClient } from '../../core'
import { sourceStreamer } from './source-table'

async function main (): Promise<void> {
  const schema = process.argv[2]
  const db = await PgDatabase.open({ connectionString: process.env.DATABASE_URL })
  const client: StreamerClient = new StreamerClient({
    name: 'k9',
    replayable: true,
    store: new CheckpointStore(db, schema),
    inFlightLimit: 20,
    prepare: row => ({
      action: 'send',
      send: () => {
        process.stdout.write(`sent ${row.position[0]}\n`)
        setTimeout(() => {
          client.confirm(row.position)
          process.stdout.write(`confirmed ${row.position[0]}\n`)
        }, Math.random() * 3)
      }
    })
  })
  await client.attach(sourceStreamer(db, schema, { batchSize: 50, initialStart: { kind: 'beginning' } }))
}

main().catch(err => { console.error(err); process.exit(1) })
