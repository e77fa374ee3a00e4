import * as fs from 'fs'
import { StringDecoder } from 'string_decoder'

/** A database that runs a script of several statements (PGlite's exec). */
export interface ScriptRunner {
  exec: (sql: string) => Promise<unknown>
}

/** Batches of whole statements are about this long (characters): memory stays flat for any dump size. */
export const RESTORE_BATCH = 4 * 1024 * 1024

/** Characters left unscanned at the end of a read until the next one, so every look-ahead is there. */
const LOOKAHEAD = 256

type State =
  | { in: 'code' }
  | { in: 'quote', close: "'" | '"' }
  | { in: 'line-comment' }
  | { in: 'block-comment', depth: number }
  | { in: 'dollar', tag: string }

const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/
const IDENTIFIER_CHAR = /[\w$\u0080-\uffff]/

/**
 * Runs a plain-SQL dump (pg_dump's format: one `INSERT` per row with PGlite's pg_dump) on `db`
 * a batch of whole statements at a time, read from the file as it goes. Handing PGlite the whole
 * dump in one string took about 15 times its size in memory (1.5 GB for a 100 MB dump): the
 * string, its UTF-8 copy, and the engine's heap, which never shrinks. The split is PostgreSQL's
 * own lexical rules, enough to find each statement's end: a `;` outside quotes ('' and "", with
 * their doubled escapes), dollar quotes ($tag$ ... $tag$, a function's body) and comments (--,
 * and nested /* *\/). pg_dump writes standard_conforming_strings on, so a backslash escapes
 * nothing. Session settings the dump makes (its empty search_path) last across batches: one session.
 */
export async function restoreDump (
  db: ScriptRunner,
  file: string,
  { batch = RESTORE_BATCH, readBytes = 1024 * 1024 }: { batch?: number, readBytes?: number } = {}
): Promise<{ statements: number }> {
  const decoder = new StringDecoder('utf8')
  let buf = ''
  let at = 0 // next character to scan
  let end = 0 // just after the last statement's `;`
  let statements = 0
  let pending = 0 // statements before `end`
  let content = false // anything but blanks and comments after `end`
  let state: State = { in: 'code' }

  const flush = async (upTo: number): Promise<void> => {
    if (upTo === 0) return
    await db.exec(buf.slice(0, upTo))
    statements += pending
    pending = 0
    buf = buf.slice(upTo)
    at -= upTo
    end -= upTo
  }

  const scan = (limit: number): void => {
    while (at < limit) {
      const c = buf[at]
      switch (state.in) {
        case 'code':
          if (c === ';') {
            end = at + 1
            pending++
            content = false
          } else if (c === '-' && buf[at + 1] === '-') state = { in: 'line-comment' }
          else if (c === '/' && buf[at + 1] === '*') {
            state = { in: 'block-comment', depth: 1 }
            at++
          } else if (c !== ' ' && c !== '\n' && c !== '\t' && c !== '\r') {
            content = true
            if (c === "'" || c === '"') state = { in: 'quote', close: c }
            else if (c === '$' && (at === 0 || !IDENTIFIER_CHAR.test(buf[at - 1]))) {
              const tag = DOLLAR_TAG.exec(buf.slice(at, at + LOOKAHEAD))?.[0]
              if (tag !== undefined) {
                state = { in: 'dollar', tag }
                at += tag.length - 1
              }
            }
          }
          break
        case 'quote':
          if (c === state.close) state = { in: 'code' } // a doubled one re-enters at once
          break
        case 'line-comment':
          if (c === '\n') state = { in: 'code' }
          break
        case 'block-comment':
          if (c === '*' && buf[at + 1] === '/') {
            state = state.depth === 1 ? { in: 'code' } : { in: 'block-comment', depth: state.depth - 1 }
            at++
          } else if (c === '/' && buf[at + 1] === '*') {
            state = { in: 'block-comment', depth: state.depth + 1 }
            at++
          }
          break
        case 'dollar': {
          const close = buf.indexOf(state.tag, at)
          if (close < 0 || close >= limit) {
            at = Math.max(at, limit - 1) // not in this part: look again when more is read
            break
          }
          at = close + state.tag.length - 1
          state = { in: 'code' }
          break
        }
      }
      at++
    }
  }

  const handle = await fs.promises.open(file, 'r')
  try {
    const chunk = Buffer.alloc(readBytes)
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null)
      if (bytesRead === 0) break
      buf += decoder.write(chunk.subarray(0, bytesRead))
      scan(buf.length - LOOKAHEAD)
      if (end >= batch) await flush(end)
    }
    buf += decoder.end()
    scan(buf.length)
    await flush(end)
    if (content) {
      await db.exec(buf) // a last statement without `;`
      statements++
    }
  } finally {
    await handle.close()
  }
  return { statements }
}
