import * as fs from 'fs'
import * as path from 'path'
import { finished } from 'stream'
import { maskSecretFields, printableFix, SessionLog } from './session-log'

export interface FileLogOptions {
  /** An existing or creatable directory; one pair of files per session and UTC day goes in it. */
  directory: string
  /** The session's name (its key in the database); made safe for a file name. */
  sessionName: string
  /** A write that failed: reported once until a file opens again; the session carries on. */
  onError?: (err: Error) => void
  now?: () => Date
}

/**
 * QuickFIX's FileLog, in the pack's terms: every frame in and out (secrets masked, SOH as '|') in
 * `<session>.messages.<YYYY-MM-DD>.log`, session events in `<session>.events.<YYYY-MM-DD>.log`.
 * A new pair starts each UTC day, so old days can be archived or deleted while the session runs.
 * Files are the owner's only (0600, directories made 0700): they name counterparties and orders.
 * The database (fix_in and the outbound journal) stays the record that counts; this file is for
 * people reading a session, as they would a QuickFIX log.
 */
export class FileSessionLog implements SessionLog {
  private readonly base: string
  private readonly files = new Map<string, { day: string, stream: fs.WriteStream }>()
  private readonly now: () => Date
  /** Yesterday's files, ended at the day change but maybe still flushing: close() waits for them too. */
  private readonly retiring = new Set<Promise<void>>()
  private closed = false
  /** Set from a failed write until a file opens again: one report per outage, not per line. */
  private failing = false

  constructor (private readonly o: FileLogOptions) {
    this.base = path.join(o.directory, o.sessionName.replace(/[^A-Za-z0-9._-]/g, '_'))
    this.now = o.now ?? (() => new Date())
    fs.mkdirSync(o.directory, { recursive: true, mode: 0o700 })
  }

  incoming (raw: string): void { this.write('messages', `<< ${printableFix(raw)}`) }
  outgoing (raw: string): void { this.write('messages', `>> ${printableFix(raw)}`) }
  event (text: string): void { this.write('events', maskSecretFields(text)) }

  /** The file a kind of line goes to today. */
  pathOf (kind: 'messages' | 'events', at: Date = this.now()): string {
    return `${this.base}.${kind}.${at.toISOString().slice(0, 10)}.log`
  }

  /** Flushes and closes the files; later lines are dropped. */
  async close (): Promise<void> {
    this.closed = true
    const ends = [...this.files.values()].map(f => this.end(f.stream))
    this.files.clear()
    await Promise.all([...ends, ...this.retiring])
  }

  /**
   * Resolves once the stream has flushed and closed, or has failed (reported on 'error' already).
   * finished() also answers for a stream that failed before this was called.
   */
  private async end (stream: fs.WriteStream): Promise<void> {
    await new Promise<void>(resolve => {
      finished(stream, () => resolve())
      stream.end()
    })
  }

  private write (kind: 'messages' | 'events', line: string): void {
    if (this.closed) return
    const at = this.now()
    const day = at.toISOString().slice(0, 10)
    let f = this.files.get(kind)
    if (f === undefined || f.day !== day) {
      if (f !== undefined) {
        const ended = this.end(f.stream)
        this.retiring.add(ended)
        void ended.then(() => this.retiring.delete(ended))
      }
      const stream = fs.createWriteStream(this.pathOf(kind, at), { flags: 'a', mode: 0o600 })
      // A full disk or a removed directory must not take the session down: say so once.
      stream.on('error', err => {
        if (!this.failing) this.o.onError?.(err)
        this.failing = true
      })
      stream.on('open', (fd: number) => {
        this.failing = false
        // The mode above applies to a new file only: a file an older version made readable is narrowed too.
        fs.fchmod(fd, 0o600, () => {})
      })
      f = { day, stream }
      this.files.set(kind, f)
    }
    f.stream.write(`${at.toISOString()} ${line}\n`)
  }
}
