/**
 * The translator's status texts, in the pack's one format: ready shows what it translates
 * ("FIX 4.4 → NewOrderSingle (D)"), a fault what is wrong and a short reason
 * ("FIX dictionary not loaded: file not found"; the log has the whole message).
 */
import { shortReason } from '../shared/status-text'

/** Ready: the dictionary and the message type it builds, or "object" when it decodes. */
export function readyText (dictionary: string, toFix: boolean, message?: { name: string, msgType: string }): string {
  if (!toFix) return `${dictionary} → object`
  return `${dictionary} → ${message !== undefined ? `${message.name} (${message.msgType})` : 'FIX'}`
}

/** A dictionary that did not load, for the status: the reason in a few words. */
export function dictionaryFailedText (template: (reason: string) => string, message: string): string {
  return template(shortReason(message))
}
