// jspurefix's dependency injection (tsyringe) needs the Reflect metadata polyfill loaded before
// any of its modules. Every core/fix module imports jspurefix through this file.
import 'reflect-metadata'
// Before jspurefix: its ElasticBuffer without mathjs (jspurefix-load.ts).
import './jspurefix-load'
// Only the parts of jspurefix the codec, the decoder and the dictionary loader use: its package root
// also loads its transports, session runtime and generated types of every FIX version (1,261 modules,
// about 8 MB of heap kept by every Node-RED running the pack, against 72 modules for these).
export * from 'jspurefix/dist/dictionary'
export * from 'jspurefix/dist/buffer'
export { AsciiEncoder, AsciiParserState, AsciiSegmentParser, TimeFormatter } from 'jspurefix/dist/buffer/ascii'
export type { IJsFixConfig } from 'jspurefix/dist/config/js-fix-config'
export { makeEmptyLogger } from 'jspurefix/dist/config/js-fix-logger'
export { QuickFixGraphFileParser } from 'jspurefix/dist/dictionary/parser/quickfix/quick-fix-graph-file-parser'
export { FileDuplex } from 'jspurefix/dist/transport/duplex/file-duplex'
