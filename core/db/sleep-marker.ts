/**
 * NOTIFY only while a reader sleeps.
 *
 * PostgreSQL commits the transactions that call pg_notify one at a time, server-wide: each takes
 * a cluster-wide lock before its commit record and holds it until after the record's WAL flush
 * (PreCommit_Notify in async.c), so writers that notify never share a flush. A reader that is
 * reading anyway needs no NOTIFY, so the pack's audit trigger sends one only while a reader of its
 * channel is marked asleep. The mark and the writers meet in two advisory locks, keyed by the
 * channel's hashtext:
 *
 *   ASLEEP   held shared, on its listening connection, by each reader that sleeps on the channel;
 *   WRITING  held shared by each writing transaction that skipped its NOTIFY, until it ends.
 *
 * A writer (writerPlpgsql) first takes WRITING shared for the rest of its transaction, then tests
 * ASLEEP by taking it exclusively for an instant: it skips the NOTIFY only when both succeed, that
 * is when no reader was marked asleep after it took WRITING. Anything else (a reader asleep, a
 * reader's check queued on WRITING, another writer in the same instant) makes it notify: a NOTIFY
 * too many costs time, never a row.
 *
 * A reader (SleepMarker) takes ASLEEP shared and then tests WRITING exclusively. Success means
 * that every writer that may have skipped its NOTIFY has ended, and since a transaction's locks
 * are released after its commit is visible, a read that starts after the test sees their rows:
 * the reader reads once more ('reread') and may then sleep until a NOTIFY. Failure means such a
 * writer is still running: the reader polls at its busy rate and tests again ('poll'). ASLEEP is a
 * session lock of the listening connection, so it goes with that connection: a reader whose
 * listener reconnected is awake again, and is woken by the reconnect itself.
 *
 * A writer's test holds ASLEEP as a session lock for an instant, which an aborted transaction would
 * not release: so the lock is taken and given back inside one expression. A backend acts on a
 * cancel at its interrupt checks: plpgsql makes one before each statement, and neither lock call
 * makes one. With two statements, a cancel landing between them kept the lock until that
 * connection ended, and meanwhile every writer notified and every reader polled at its busy rate
 * (test/core/stream/notify-when-asleep.spec.ts hits a writer with a storm of cancels).
 *
 * PostgreSQL only: in PGlite every statement runs in the one backend, whose own locks never
 * conflict, so there the trigger notifies always.
 */

/** Advisory lock classes (the first key of pg_advisory_lock(int4, int4)): 'fxs1' and 'fxs2' as ASCII. */
export const ASLEEP_LOCK_CLASS = 0x66787331
export const WRITING_LOCK_CLASS = 0x66787332

/**
 * The writer's side, for a plpgsql trigger whose channel is `channel` (a plpgsql expression): a
 * NOTIFY unless no reader is marked asleep. Runs once per statement.
 */
export function writerPlpgsql (channel: string): string {
  const key = `hashtext(${channel})`
  // Nested IFs: the order of the two lock calls is the protocol (WRITING first), and SQL does not
  // promise an order for the operands of AND. The test of ASLEEP takes and gives back the session
  // lock inside one expression (CASE evaluates its branches in order, only the one it needs): a
  // cancel is acted on between the function's statements, not between those two calls.
  // The parentheses keep plpgsql from ending the IF's condition at the CASE's own THEN.
  return `IF pg_try_advisory_xact_lock_shared(${WRITING_LOCK_CLASS}, ${key}) THEN
        IF (CASE WHEN pg_try_advisory_lock(${ASLEEP_LOCK_CLASS}, ${key})
          THEN pg_advisory_unlock(${ASLEEP_LOCK_CLASS}, ${key}) ELSE false END) THEN
          RETURN NULL;
        END IF;
      END IF;
      PERFORM pg_notify(${channel}, '');`
}

// The reader's statements. CASE evaluates its branches in order and only the ones it needs.
const TEST_WRITING = `CASE WHEN pg_try_advisory_lock(${WRITING_LOCK_CLASS}, hashtext($1))
  THEN pg_advisory_unlock(${WRITING_LOCK_CLASS}, hashtext($1)) ELSE false END`
/** null: not marked (a writer was testing the mark); false: marked, writers running; true: marked and clear. */
const MARK_ASLEEP = `SELECT CASE WHEN pg_try_advisory_lock_shared(${ASLEEP_LOCK_CLASS}, hashtext($1))
  THEN ${TEST_WRITING} END AS clear`
const TEST_CLEAR = `SELECT ${TEST_WRITING} AS clear`
const MARK_AWAKE = `SELECT pg_advisory_unlock_shared(${ASLEEP_LOCK_CLASS}, hashtext($1)) AS released`

/** The listening connection, as the marker needs it. */
export interface MarkerConnection {
  /** Which connection is current (it changes at each reconnect); undefined while there is none. */
  readonly generation: number | undefined
  /** Runs a statement on the current connection; rejects when there is none. */
  query: (text: string, params: readonly unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>
}

/**
 * What a reader that has just read nothing does next:
 * - 'asleep': it is marked and clear, and has read since: nap until a NOTIFY (or its idle poll);
 * - 'reread': it has just become marked and clear: read once more, then nap;
 * - 'poll': not marked, or writers that may not notify are still running: nap at the busy rate.
 */
export type SleepCheck = 'asleep' | 'reread' | 'poll'

/**
 * One reader's mark on one channel. Not for concurrent use: one tail loop calls check() and
 * wake() in turn (the statements of both go out in order on the one connection).
 */
export class SleepMarker {
  private state: 'awake' | 'marked' | 'asleep' = 'awake'
  private generation: number | undefined

  constructor (readonly channel: string, private readonly connection: MarkerConnection) {}

  /** Whether writers notify for this reader now (as far as it knows). */
  get asleep (): boolean {
    return this.state === 'asleep' && this.held()
  }

  async check (): Promise<SleepCheck> {
    if (this.state !== 'awake' && !this.held()) this.state = 'awake'
    if (this.state === 'asleep') return 'asleep'
    const generation = this.connection.generation
    if (generation === undefined) return 'poll'
    let clear: unknown
    try {
      const sql = this.state === 'awake' ? MARK_ASLEEP : TEST_CLEAR
      clear = (await this.connection.query(sql, [this.channel])).rows[0]?.clear
    } catch {
      // Unknown whether the mark was taken: if it was, writers notify for nothing until the
      // connection goes (a NOTIFY too many, never one too few).
      this.state = 'awake'
      return 'poll'
    }
    if (clear === null || clear === undefined) return 'poll'
    this.state = clear === true ? 'asleep' : 'marked'
    this.generation = generation
    return clear === true ? 'reread' : 'poll'
  }

  /** The reader is busy: writers need not notify. Never waits; a failure leaves a NOTIFY too many. */
  wake (): void {
    if (this.state === 'awake') return
    const held = this.held()
    this.state = 'awake'
    if (held) this.connection.query(MARK_AWAKE, [this.channel]).catch(() => {})
  }

  /** The mark lives as long as the connection it was taken on. */
  private held (): boolean {
    return this.generation !== undefined && this.generation === this.connection.generation
  }
}
