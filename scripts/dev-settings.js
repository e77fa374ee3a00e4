// Node-RED settings for `npm start` (development and demo only).
const path = require('path')
const root = path.resolve(__dirname, '..')

module.exports = {
  uiHost: process.env.NR_HOST || '127.0.0.1',
  uiPort: Number(process.env.PORT) || 1880,
  flowFile: 'flows.json',
  flowFilePretty: true,
  // Load this pack straight from the working tree (its package.json has a "node-red" section).
  nodesDir: [root],
  credentialSecret: process.env.NR_CREDENTIAL_SECRET || 'fix-streamers-dev-only',
  diagnostics: { enabled: false },
  telemetry: { enabled: false },
  editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
  logging: { console: { level: process.env.NR_LOG_LEVEL || 'info' } }
}
