/**
 * node-red-node-test-helper, started on the Node-RED runtime named by NODE_RED_RUNTIME
 * ('node-red' is 4.1, 'node-red-5' is 5.x; scripts/test.js runs the node specs on both).
 */

const helper = require('node-red-node-test-helper')

const runtime = process.env.NODE_RED_RUNTIME ?? 'node-red'
helper.init(require.resolve(runtime))

export const runtimeName = `${runtime}@${require(`${runtime}/package.json`).version as string}`
export { helper }

export type FlowNode = Record<string, unknown> & { id: string, type: string }
