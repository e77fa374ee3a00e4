import { Database } from '../db/database'
import type { Fence } from '../ha/lease'
import { InboundJournalStore } from './inbound-journal-store'
import {
  InboundRecord,
  JournalEntry,
  MessageStore,
  OutboundRecord,
  SequenceState,
  StreamOrigin
} from './message-store'
import { OutboundJournalStore } from './outbound-journal-store'
import { SequenceStore } from './sequence-store'
import { storeTables } from './store-guard'

export { SessionOwnershipError } from './store-guard'

/**
 * MessageStore on the pack's tables (migrations 30-32 and 72), as QuickFIX's MessageStore: three parts,
 * each its own module: the sequence numbers (fix_session_target and fix_session_sender), the outbound
 * journal (fix_out) and the inbound journal (fix_in). The session runs its calls one at a time, except
 * that a commit of inbound application messages may overlap one of outbound ones; every write that
 * moves a number also checks the value it replaces, so a second process driving the same
 * session fails loudly (SessionOwnershipError) instead of interleaving. With a fence (core/ha),
 * a write refused because a newer lease holder claimed the session fails with LeaseLostError.
 */
export class DatabaseMessageStore implements MessageStore {
  readonly sequences: SequenceStore
  readonly outbound: OutboundJournalStore
  readonly inbound: InboundJournalStore

  constructor (db: Database, schema: string, readonly sessionName: string, fence?: Fence) {
    const t = storeTables(schema)
    this.sequences = new SequenceStore(db, t, sessionName, fence)
    this.outbound = new OutboundJournalStore(db, t, this.sequences)
    this.inbound = new InboundJournalStore(db, t, this.sequences)
  }

  async load (): Promise<SequenceState> { return await this.sequences.load() }
  async reload (side: 'sender' | 'target'): Promise<SequenceState> { return await this.sequences.reload(side) }
  async advanceSender (next: number): Promise<void> { await this.sequences.advanceSender(next) }
  async advanceTarget (next: number): Promise<void> { await this.sequences.advanceTarget(next) }
  async setNext (sender?: number, target?: number): Promise<SequenceState> {
    return await this.sequences.setNext(sender, target)
  }

  async reset (): Promise<SequenceState> { return await this.sequences.reset() }

  async findSent (origin: StreamOrigin): Promise<number | undefined> { return await this.outbound.findSent(origin) }
  async recordSent (record: OutboundRecord): Promise<boolean> {
    return await this.outbound.recordSent(record).catch(async err => await this.sequences.explain(err))
  }

  async recordSentBatch (records: OutboundRecord[]): Promise<void> {
    await this.outbound.recordSentBatch(records).catch(async err => await this.sequences.explain(err))
  }

  async findSentMany (origins: StreamOrigin[]): Promise<Map<string, number>> {
    return await this.outbound.findSentMany(origins)
  }

  async sentRange (begin: number, end: number, limit?: number): Promise<JournalEntry[]> {
    return await this.outbound.sentRange(begin, end, limit)
  }

  async recordReceived (records: InboundRecord[], nextTarget: number): Promise<string[]> {
    return await this.inbound.recordReceived(records, nextTarget).catch(async err => await this.sequences.explain(err))
  }
}
