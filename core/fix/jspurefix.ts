// jspurefix's dependency injection (tsyringe) needs the Reflect metadata polyfill loaded before
// any of its modules. Every core/fix module imports jspurefix through this file.
import 'reflect-metadata'
// Before jspurefix: its ElasticBuffer without mathjs (jspurefix-load.ts).
import './jspurefix-load'
export * from 'jspurefix'
// Not exported from the package root.
export { AsciiEncoder, TimeFormatter } from 'jspurefix/dist/buffer/ascii'
