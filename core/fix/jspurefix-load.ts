/**
 * Loads jspurefix's ElasticBuffer with its `require('mathjs')` answered by fixed-notation.ts, the
 * one mathjs function it calls: mathjs would keep about 29 MB of heap in every Node-RED that runs
 * this pack. Only that require of that file is redirected, only while this module loads it: any
 * other module (another node's, jspurefix's own elsewhere) that requires mathjs gets mathjs. If
 * the ElasticBuffer was already loaded (by another package first), it stays as it is.
 * Must run before anything requires jspurefix (jspurefix.ts imports it first).
 */
import Module = require('module')

interface Resolver {
  _resolveFilename: (request: string, parent: { filename?: string } | undefined, ...rest: unknown[]) => string
}

const loader = Module as unknown as Resolver
const elasticBuffer = require.resolve('jspurefix/dist/buffer/elastic-buffer')
if (require.cache[elasticBuffer] === undefined) {
  const stand = require.resolve('./fixed-notation')
  const resolve = loader._resolveFilename
  loader._resolveFilename = function (request, parent, ...rest) {
    if (request === 'mathjs' && parent?.filename === elasticBuffer) return stand
    return resolve.call(this, request, parent, ...rest)
  }
  try {
    require(elasticBuffer)
  } finally {
    loader._resolveFilename = resolve
  }
}
