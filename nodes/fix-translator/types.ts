import type { Node, NodeDef } from 'node-red'

/** One row of the mapping table: a FIX field path <- a TypedInput value. */
export interface FieldMapping {
  /** e.g. "ClOrdID", "Instrument.Symbol", "Parties.NoPartyIDs[0].PartyID". */
  field: string
  /** TypedInput type: msg, jsonata, str, num, env. */
  vt: string
  v: string
}

export type Direction = 'toFix' | 'toObject'
/** FIX -> object: all types to output 1; chosen types to 1 and the rest to 2; one output per type. */
export type Routing = 'all' | 'filter' | 'route'

export interface FixTranslatorDef extends NodeDef {
  /** A builtin id ('FIX.4.4') or 'custom'. */
  dictionary: string
  /** Absolute path of a QuickFIX XML, when dictionary is 'custom'. */
  dictionaryPath: string
  direction: Direction
  /** Object -> FIX: the message type code; empty takes msg.fix.msgType. */
  msgType: string
  mappings: FieldMapping[]
  routing: Routing
  /** FIX -> object: the message type codes for 'filter' and 'route'. */
  types: string[]
}

export type FixTranslatorNode = Node
