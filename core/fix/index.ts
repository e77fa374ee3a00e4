// core/fix: FIX dictionaries, codec, framing, the translator and its mappings. Nodes import this
// area through here.
export * from './catalog'
export * from './codec'
export * from './dictionaries'
export * from './framing'
export * from './jspurefix'
export * from './mapping'
export * from './translator'
export * from './validation'
export * from './utc'
// codec and validation re-export the UTCTimestamp format of ./utc: named once here.
export { formatUtcTimestamp } from './utc'
