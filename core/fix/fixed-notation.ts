/**
 * The one thing jspurefix takes from mathjs: `format(v, { notation: 'fixed' })`, which its
 * ElasticBuffer.writeNumber calls for a number with a fraction (a Price of 50.25). Loading mathjs
 * for it costs about 29 MB of heap that stays for the life of the process, a third of what a
 * Node-RED running this pack keeps; jspurefix-load.ts points that one require here instead.
 * The output is mathjs 15's for every number (a spec compares the two over many values); any
 * other call is passed to mathjs itself, loaded then.
 */
export function format (value: unknown, options?: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value) && onlyFixedNotation(options)) return fixedNotation(value)
  const mathjs = require('mathjs') as { format: (value: unknown, options?: unknown) => string }
  return mathjs.format(value, options)
}

function onlyFixedNotation (options: unknown): boolean {
  if (typeof options !== 'object' || options === null) return false
  const keys = Object.keys(options)
  return keys.length === 1 && keys[0] === 'notation' && (options as { notation: unknown }).notation === 'fixed'
}

/**
 * A finite number in plain decimal digits, never with an exponent: String(v) when it has none
 * (it has then neither leading nor trailing zeros to drop), else its digits with the point moved.
 */
export function fixedNotation (v: number): string {
  const s = String(v)
  const e = s.indexOf('e')
  if (e < 0) return s
  const sign = s.startsWith('-') ? '-' : ''
  const mantissa = s.slice(sign.length, e)
  const dot = mantissa.indexOf('.')
  const digits = mantissa.replace('.', '')
  // Where the point goes in `digits`: after the mantissa's integer part, moved by the exponent.
  const point = (dot < 0 ? mantissa.length : dot) + Number(s.slice(e + 1))
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length)
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}
