import type { FixDefinitions } from 'jspurefix'

/**
 * What the session needs from the FIX codec (core/fix/codec.ts): the same shapes, stated here
 * so the session layer depends on behaviour, not on one module. FixCodec and FrameSplitter
 * satisfy these interfaces as they are.
 */
export type { FixHeader } from '../fix/codec'
import type { FixHeader, ParsedFixMessage } from '../fix/codec'

export type ParsedMessage = ParsedFixMessage

export interface SessionCodec {
  readonly definitions: FixDefinitions
  encodeBody: (msgType: string, body: object) => string
  frame: (msgType: string, header: FixHeader, body: string) => Buffer
  parse: (raw: Buffer | string) => ParsedMessage
}

/** Splits the byte stream into frames; told about skipped bytes through `onGarbled` (FrameSplitter's option). */
export type MakeFrameReader = (onGarbled: (bytes: Buffer, reason: string) => void) => FrameReader

export interface FrameReader {
  push: (chunk: Buffer) => Buffer[]
  reset: () => void
}

/** What an outbound validator says: the translator's validateMessage() result has this shape. */
export interface OutboundCheck {
  ok: boolean
  /** The normalised body to encode (exact decimals, timestamps); the input is encoded when absent. */
  body?: Record<string, unknown>
  /** The body already written as SOH-delimited tag=value text: the codec does not encode it again. */
  encoded?: string
  problems: Array<string | { field?: string, tag?: number, path?: string, problem: string }>
}

/**
 * Checks an outbound application object against the dictionary before it is encoded, so nothing
 * unencodable or invalid reaches the wire (the translator's validateMessage fits as it is).
 */
export type OutboundValidator = (
  definitions: FixDefinitions,
  msgType: string,
  body: Record<string, unknown>
) => OutboundCheck
