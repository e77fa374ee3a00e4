/** What a session's default name is made of: the identity fields of its settings. */
export interface SessionIdentity {
  /** The name the user gave, if any (blank counts as none). */
  name?: string
  beginString: string
  senderCompID: string
  targetCompID: string
}

/**
 * The session's name: its key in fix_in, fix_out and the session tables, the lease and the log
 * files. The given name when it is not blank, else `BeginString:SenderCompID->TargetCompID`.
 * One function for the runtime, the node and the sidebar: if two of them worked it out
 * differently, the sidebar would read another session's rows, or none.
 */
export function sessionName (s: SessionIdentity): string {
  const given = String(s.name ?? '').trim()
  if (given !== '') return given
  return `${String(s.beginString)}:${String(s.senderCompID)}->${String(s.targetCompID)}`
}
