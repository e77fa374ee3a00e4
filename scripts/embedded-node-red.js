// Node-RED embedded in this process, as the browser checks and the operator console's specs run it: the
// runtime named (node-red for 4.1, node-red-5), its own express (its http-in node reaches into express 4's
// router), the editor and admin API at / and HTTP nodes at /api, on 127.0.0.1. One copy for
// scripts/test-browser.js, browser-sidebar.js, test-pack.js and test/nodes/ops-harness.ts (which runs it
// in a child process).
'use strict'
const http = require('http')
const path = require('path')

const root = path.resolve(__dirname, '..')

function runtimeDir (runtime) {
  return path.dirname(require.resolve(`${runtime}/package.json`, { paths: [root] }))
}

/** adminAuth with two users of `password`: an operator with every permission and a viewer with 'read' only. */
function operatorAndViewer (runtime, password) {
  const nr = runtimeDir(runtime)
  const bcrypt = require(
    require.resolve('bcryptjs', { paths: [nr, path.join(nr, 'node_modules', '@node-red', 'editor-api')] })
  )
  const hash = bcrypt.hashSync(password, 8)
  return {
    type: 'credentials',
    users: [
      { username: 'operator', password: hash, permissions: '*' },
      { username: 'viewer', password: hash, permissions: 'read' }
    ]
  }
}

/**
 * Starts Node-RED on `userDir`/flows.json and resolves once its flows have started, with its url and a
 * stop(). `settings` are added to (and override) the defaults below: nodesDir, adminAuth, logging.
 */
async function startNodeRed ({ runtime = 'node-red', userDir, port = 0, settings = {} }) {
  const nr = runtimeDir(runtime)
  const express = require(require.resolve('express', { paths: [nr] }))
  const RED = require(nr)
  const app = express()
  const server = http.createServer(app)
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    httpAdminRoot: '/',
    httpNodeRoot: '/api',
    logging: { console: { level: 'warn' } },
    telemetry: { enabled: false },
    diagnostics: { enabled: false },
    editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
    ...settings
  })
  app.use('/', RED.httpAdmin)
  app.use('/api', RED.httpNode)
  await new Promise(resolve => server.listen(port, '127.0.0.1', resolve))
  const started = new Promise(resolve => RED.events.once('flows:started', resolve))
  await RED.start()
  await started
  return {
    RED,
    url: `http://127.0.0.1:${server.address().port}/`,
    stop: async () => {
      await RED.stop()
      server.close()
    }
  }
}

module.exports = { startNodeRed, operatorAndViewer, root }
