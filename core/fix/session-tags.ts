/**
 * The standard header and trailer fields of FIX 4.2 and later (FIXT.1.1's included), once for
 * the whole pack. Three views are read from this one table:
 * - `stamped`: the session writes these itself and never takes them from a user's message;
 * - `owned`: the translator treats them as header or trailer whatever a custom dictionary's
 *   StandardHeader says (jspurefix's merged 5.0SP2 XML leaves the FIXT ones out);
 * - every header tag: one of them after the first body field is SessionRejectReason 14.
 */
export interface EnvelopeField {
  tag: number
  name: string
  part: 'header' | 'trailer'
  stamped?: boolean
  owned?: boolean
}

export const ENVELOPE_FIELDS: readonly EnvelopeField[] = [
  { tag: 8, name: 'BeginString', part: 'header', stamped: true, owned: true },
  { tag: 9, name: 'BodyLength', part: 'header', stamped: true, owned: true },
  { tag: 35, name: 'MsgType', part: 'header', stamped: true, owned: true },
  { tag: 49, name: 'SenderCompID', part: 'header', stamped: true, owned: true },
  { tag: 56, name: 'TargetCompID', part: 'header', stamped: true, owned: true },
  { tag: 115, name: 'OnBehalfOfCompID', part: 'header' },
  { tag: 128, name: 'DeliverToCompID', part: 'header' },
  { tag: 90, name: 'SecureDataLen', part: 'header' },
  { tag: 91, name: 'SecureData', part: 'header' },
  { tag: 34, name: 'MsgSeqNum', part: 'header', stamped: true, owned: true },
  { tag: 50, name: 'SenderSubID', part: 'header', stamped: true },
  { tag: 142, name: 'SenderLocationID', part: 'header', stamped: true },
  { tag: 57, name: 'TargetSubID', part: 'header', stamped: true },
  { tag: 143, name: 'TargetLocationID', part: 'header', stamped: true },
  { tag: 116, name: 'OnBehalfOfSubID', part: 'header' },
  { tag: 144, name: 'OnBehalfOfLocationID', part: 'header' },
  { tag: 129, name: 'DeliverToSubID', part: 'header' },
  { tag: 145, name: 'DeliverToLocationID', part: 'header' },
  { tag: 43, name: 'PossDupFlag', part: 'header', stamped: true },
  { tag: 97, name: 'PossResend', part: 'header', stamped: true },
  { tag: 52, name: 'SendingTime', part: 'header', stamped: true, owned: true },
  { tag: 122, name: 'OrigSendingTime', part: 'header', stamped: true },
  { tag: 212, name: 'XmlDataLen', part: 'header' },
  { tag: 213, name: 'XmlData', part: 'header' },
  { tag: 347, name: 'MessageEncoding', part: 'header' },
  { tag: 369, name: 'LastMsgSeqNumProcessed', part: 'header' },
  { tag: 370, name: 'OnBehalfOfSendingTime', part: 'header' },
  { tag: 627, name: 'NoHops', part: 'header' },
  { tag: 628, name: 'HopCompID', part: 'header' },
  { tag: 629, name: 'HopSendingTime', part: 'header' },
  { tag: 630, name: 'HopRefID', part: 'header' },
  { tag: 1128, name: 'ApplVerID', part: 'header', owned: true },
  { tag: 1129, name: 'CstmApplVerID', part: 'header', owned: true },
  { tag: 1156, name: 'ApplExtID', part: 'header', owned: true },
  { tag: 93, name: 'SignatureLength', part: 'trailer' },
  { tag: 89, name: 'Signature', part: 'trailer' },
  { tag: 10, name: 'CheckSum', part: 'trailer', stamped: true, owned: true }
]

const tagsWhere = (keep: (f: EnvelopeField) => boolean): Set<number> =>
  new Set(ENVELOPE_FIELDS.filter(keep).map(f => f.tag))

/** Header and trailer tags the session stamps itself; never taken from a user's message. */
export const SESSION_TAGS: ReadonlySet<number> = tagsWhere(f => f.stamped === true)
/** Every standard header tag. */
export const HEADER_TAGS: ReadonlySet<number> = tagsWhere(f => f.part === 'header')
/** Every standard trailer tag. */
export const TRAILER_TAGS: ReadonlySet<number> = tagsWhere(f => f.part === 'trailer')
