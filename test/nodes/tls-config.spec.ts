import * as assert from 'assert'
import * as fs from 'fs'
import * as path from 'path'
import type { NodeAPI } from 'node-red'
import { tlsConfigOptions } from '../../nodes/shared/tls-config'
import { helper, runtimeName } from '../support/node-red'
import { tempDir } from '../support/databases'

const runtimeDir = path.dirname(require.resolve(`${process.env.NODE_RED_RUNTIME ?? 'node-red'}/package.json`))
const tlsNode = require(require.resolve('@node-red/nodes/core/network/05-tls.js', { paths: [runtimeDir] }))

describe(`TLS options from a tls-config node on ${runtimeName}`, () => {
  let dir: string
  before(async () => {
    dir = tempDir()
    for (const f of ['cert.pem', 'key.pem', 'ca.pem']) fs.writeFileSync(path.join(dir, f), `${f} text`)
    await helper.startServer()
  })
  after(async () => {
    await helper.stopServer()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  afterEach(async () => await helper.unload())

  /** The part of the runtime API the helper reads: finding a deployed node by id. */
  const red = { nodes: { getNode: (id: string) => helper.getNode(id) } } as unknown as NodeAPI

  it('reads the files, the server name and the verify box of the deployed node', async () => {
    await helper.load(tlsNode, [{
      id: 'tls1',
      type: 'tls-config',
      cert: path.join(dir, 'cert.pem'),
      key: path.join(dir, 'key.pem'),
      ca: path.join(dir, 'ca.pem'),
      servername: 'db.example',
      verifyservercert: false
    }])
    const opts = tlsConfigOptions(red, 'tls1')
    assert.deepStrictEqual(
      [String(opts?.cert), String(opts?.key), String(opts?.ca), opts?.servername, opts?.rejectUnauthorized],
      ['cert.pem text', 'key.pem text', 'ca.pem text', 'db.example', false]
    )
  })

  it('gives nothing for no id, an id nobody deployed, or a node that is not a tls-config', async () => {
    await helper.load(tlsNode, [{ id: 'h1', type: 'helper' }])
    assert.deepStrictEqual(
      [tlsConfigOptions(red, undefined), tlsConfigOptions(red, ''), tlsConfigOptions(red, 'nope'),
        tlsConfigOptions(red, 'h1')],
      [undefined, undefined, undefined, undefined]
    )
  })
})
