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
// Two modules format a UTCTimestamp; the area exports the validation one.
export { formatUtcTimestamp } from './validation'
