import type { ControlCommand } from '../fix-session/session-runtime'

export class ControlInputError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ControlInputError'
  }
}

/**
 * A session control command from the sidebar's request body, checked: the same commands as the
 * fix:* control messages of a fix-gateway. Throws ControlInputError on anything else.
 */
export function controlOf (body: Record<string, unknown>, defaultLogoutText: string): ControlCommand {
  const seq = (v: unknown, what: string): number | undefined => {
    if (v === undefined || v === null || v === '') return undefined
    const n = Number(v)
    if (!Number.isSafeInteger(n) || n < 1) throw new ControlInputError(`${what} must be a whole number of at least 1`)
    return n
  }
  switch (body.command) {
    case 'logon': return { command: 'logon' }
    case 'logout': {
      const given = typeof body.text === 'string' ? body.text.trim() : ''
      const text = given !== '' ? given.slice(0, 200) : defaultLogoutText
      return { command: 'logout', text }
    }
    case 'reset-sequence': return { command: 'reset-sequence' }
    case 'set-sequence': {
      const nextSenderSeq = seq(body.nextSenderSeq, 'the next outgoing MsgSeqNum')
      const nextTargetSeq = seq(body.nextTargetSeq, 'the next incoming MsgSeqNum')
      if (nextSenderSeq === undefined && nextTargetSeq === undefined) {
        throw new ControlInputError('set-sequence needs nextSenderSeq, nextTargetSeq or both')
      }
      return { command: 'set-sequence', nextSenderSeq, nextTargetSeq }
    }
    default: throw new ControlInputError("command must be 'logon', 'logout', 'reset-sequence' or 'set-sequence'")
  }
}
