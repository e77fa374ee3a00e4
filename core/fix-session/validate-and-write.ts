import { validateMessage, writeBody } from '../fix/validation'
import type { OutboundValidator } from './codec-port'

/**
 * validateMessage, and the valid body written in dictionary order by writeBody: the same bytes as
 * the codec's jspurefix encoder (tested for every dictionary), at a fraction of its cost. The
 * session's default validator; with it, a body the translator proved valid is not validated again
 * (OutboundEncoder, core/fix/validation/proof.ts), since this is the check the proof stands for.
 */
export const validateAndWrite: OutboundValidator = (definitions, msgType, body) => {
  const check = validateMessage(definitions, msgType, body)
  return check.ok ? { ...check, encoded: writeBody(definitions, check.msgType, check.body) } : check
}
