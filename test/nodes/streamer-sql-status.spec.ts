import * as assert from 'assert'
import { helper, runtimeName } from '../support/node-red'
import { eventually } from '../support/databases'
import { tempDirPerTest } from '../support/temp'
import databaseNode = require('../../nodes/streamer-database/streamer-database')
import sqlNode = require('../../nodes/streamer-sql/streamer-sql')

describe(`streamer-sql status (${runtimeName})`, function () {
  this.timeout(60000)
  beforeEach(async () => { await helper.startServer() })
  afterEach(async () => {
    await helper.unload()
    await helper.stopServer()
  })
  const tempDir = tempDirPerTest() // after the unload above: no flow holds its folders any more

  it('counts the statements run in words: "1 statement", then "2 statements"', async () => {
    await helper.load([databaseNode, sqlNode], [
      { id: 'db1', type: 'streamer-database', mode: 'embedded', dataDir: tempDir() },
      { id: 'q1', type: 'streamer-sql', database: 'db1', sql: 'SELECT 1 AS one', params: [], wires: [['out']] },
      { id: 'out', type: 'helper' }
    ])
    const q1 = helper.getNode('q1')
    const last = (): string => String(q1.status.lastCall?.args[0].text)
    const run = async (): Promise<void> => {
      const got = new Promise(resolve => helper.getNode('out').once('input', resolve))
      q1.receive({ payload: null })
      await got
    }
    await run()
    await eventually(() => last() === '1 statement', 5000, `"1 statement", not "${last()}"`)
    await run()
    await eventually(() => last() === '2 statements', 5000, `"2 statements", not "${last()}"`)
    assert.strictEqual(last(), '2 statements')
  })
})
