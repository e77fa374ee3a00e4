import { FixDefinitions, TagType } from './jspurefix'
import type { FieldList } from './field-list'
import { checksumOf, formatChecksum, SOH_CHAR } from './framing'

/**
 * A UTCTimestamp or UTCTimeOnly whose fraction of a second has one or two digits ("05.9",
 * "05.25"). The session takes such a value and reads it as QuickFIX does (.9 is 900 ms: see
 * parseUtcTimestamp), but jspurefix's time reader, which both paths of the decode use, reads
 * exactly three digits: past the value's end, into the SOH and the next field (05.9 became
 * 06.661, silently). So before a decode those values get zeros up to three digits, which is
 * exact (.9 is .900), and the frame is made again with its BodyLength and CheckSum. A frame
 * without such a value (every frame of a counterparty that sends milliseconds) is left alone:
 * this is one look at each value's length.
 */
export function fullFractions (fields: FieldList, definitions: FixDefinitions): Buffer | undefined {
  const { tags, values } = fields
  let padded: string[] | undefined
  // Fields 0 and 1 are BeginString and BodyLength, the last one the CheckSum.
  for (let i = 2; i < values.length - 1; i++) {
    const zeros = missingDigits(values[i], definitions.tagToSimple[tags[i]]?.tagType)
    if (zeros === '') continue
    padded ??= values.slice()
    padded[i] = values[i] + zeros
  }
  if (padded === undefined) return undefined
  let body = ''
  for (let i = 2; i < padded.length - 1; i++) body += `${tags[i]}=${padded[i]}${SOH_CHAR}`
  const length = Buffer.byteLength(body, 'latin1')
  const head = Buffer.from(`8=${padded[0]}${SOH_CHAR}9=${length}${SOH_CHAR}${body}`, 'latin1')
  return Buffer.concat([head, Buffer.from(`10=${formatChecksum(checksumOf(head))}${SOH_CHAR}`, 'latin1')])
}

/** The zeros a time value lacks for a three-digit fraction: '' when it has none, or three or more digits. */
function missingDigits (value: string, tagType: number | undefined): string {
  const n = value.length
  // YYYYMMDD-HH:MM:SS.f or .ff: the dot at 17; HH:MM:SS.f or .ff: the dot at 8.
  const dot = n === 19 || n === 20 ? 17 : n === 10 || n === 11 ? 8 : -1
  if (dot < 0 || value.charCodeAt(dot) !== 46) return ''
  if (tagType !== (dot === 17 ? TIMESTAMP : TIME_ONLY)) return ''
  return n === dot + 2 ? '00' : '0'
}

// Read once: each read through the package's re-exports is a getter call.
const TIMESTAMP = TagType.UtcTimestamp
const TIME_ONLY = TagType.UtcTimeOnly
